import Foundation
import GuatanCore

/// A site's GeoJSON feature written straight into bytes: the snapshot writes 39,000 of them at
/// national scale, and Foundation's encoder (snake-case keys converted for every field of every
/// slot) took three seconds of a six-second build. The bytes are exactly what
/// `APIJSON.encoder()` makes of `MapFeature`; a test holds every seed site to that. A feature
/// with text the writer does not handle itself (control characters) or a coordinate Swift
/// would print in exponent form goes through the encoder instead.
enum MapFeatureJSON {
    static func encode(_ detail: SiteDetail) throws -> [UInt8] {
        if let bytes = write(detail) { return bytes }
        return Array(try APIJSON.encoder().encode(MapFeature(detail)))
    }

    /// The feature's bytes, or nil where only the encoder is sure to match.
    static func write(_ detail: SiteDetail) -> [UInt8]? {
        let site = detail.site
        var out: [UInt8] = []
        out.reserveCapacity(400 + detail.slots.count * 120)
        func raw(_ text: StaticString) {
            text.withUTF8Buffer { out.append(contentsOf: $0) }
        }
        func string(_ text: String) -> Bool {
            out.append(UInt8(ascii: "\""))
            var text = text
            let plain = text.withUTF8 { bytes -> Bool in
                // Most text needs no escaping: appended whole.
                guard bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                    out.append(contentsOf: bytes)
                    return true
                }
                return false
            }
            if !plain {
                for byte in text.utf8 {
                    switch byte {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                        out.append(UInt8(ascii: "\\"))
                        out.append(byte)
                    case ..<0x20:
                        return false
                    default:
                        out.append(byte)
                    }
                }
            }
            out.append(UInt8(ascii: "\""))
            return true
        }
        func number(_ value: Int) {
            out.append(contentsOf: String(value).utf8)
        }
        func coordinate(_ value: Double) -> Bool {
            let text = NearbyAnswers.number(PositionBody.round6(value))
            guard value.isFinite, !text.utf8.contains(UInt8(ascii: "e")) else { return false }
            out.append(contentsOf: text.utf8)
            return true
        }
        var assigned = 0
        var open = 0
        for index in detail.slots.indices {
            let status = detail.slots[index].statusToday
            if status != .vacant { assigned += 1 }
            if status == .open { open += 1 }
        }

        raw(#"{"geometry":{"coordinates":["#)
        guard coordinate(site.position.lng) else { return nil }
        raw(",")
        guard coordinate(site.position.lat) else { return nil }
        raw(#"],"type":"Point"},"id":"#)
        guard string(site.id) else { return nil }
        raw(#","properties":{"address":"#)
        guard string(site.address) else { return nil }
        raw(#","assigned_count":"#)
        number(assigned)
        raw(#","district":"#)
        guard string(site.district) else { return nil }
        raw(#","district_name":"#)
        guard string(detail.districtName) else { return nil }
        raw(#","name":"#)
        guard string(site.name) else { return nil }
        raw(#","open_count":"#)
        number(open)
        func time(_ time: LocalTime) {
            // "HH:MM", as LocalTime's description writes it.
            let (hour, minute) = (time.minutes / 60, time.minutes % 60)
            out.append(contentsOf: [
                UInt8(ascii: "\""), UInt8(48 + hour / 10), UInt8(48 + hour % 10), UInt8(ascii: ":"), UInt8(48 + minute / 10), UInt8(48 + minute % 10),
                UInt8(ascii: "\""),
            ])
        }
        raw(#","opening_hours":{"closes_at":"#)
        time(site.closesAt)
        raw(#","opens_at":"#)
        time(site.opensAt)
        raw(#"},"site_id":"#)
        guard string(site.id) else { return nil }
        raw(#","slot_count":"#)
        number(detail.slots.count)
        raw(#","slots":["#)
        for index in detail.slots.indices {
            if index > 0 { raw(",") }
            raw(#"{"number":"#)
            number(detail.slots[index].slot.number)
            raw(#","produce":["#)
            if let produce = detail.slots[index].permit?.produce {
                for position in produce.indices {
                    if position > 0 { raw(",") }
                    guard string(produce[position]) else { return nil }
                }
            }
            raw(#"],"slot_id":"#)
            guard string(detail.slots[index].slot.id) else { return nil }
            raw(#","status":"#)
            guard string(detail.slots[index].statusToday.rawValue) else { return nil }
            raw("}")
        }
        raw(#"]},"type":"Feature"}"#)
        return out
    }
}
