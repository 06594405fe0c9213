import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface

extension GuatanDatabase: PermitStore {
    static let liveStates = SQLiteTransaction.list(PermitState.live)

    public func certificate(permitNumber: String) async throws -> (district: String, photo: StoredPhoto)? {
        try await read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT p.district, ph.id, ph.media_type, ph.byte_count FROM permit p JOIN photo ph ON ph.id = p.certificate_photo
                        WHERE p.permit_no = ?
                        """, arguments: [permitNumber]),
                let type = PhotoType(rawValue: row["media_type"])
            else { return nil }
            return (row["district"], StoredPhoto(id: row["id"], type: type, byteCount: row["byte_count"]))
        }
    }

    public func permits(matching filter: PermitFilter, page: PageRequest) async throws -> Page<PermitRecord> {
        try await read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let district = filter.district {
                conditions.append("district = ?")
                arguments += [district]
            }
            if let state = filter.state {
                conditions.append("state = ?")
                arguments += [state.rawValue]
            }
            if let season = filter.season {
                conditions.append("season = ?")
                arguments += [season]
            }
            if let vendorId = filter.vendorId {
                conditions.append("vendor_id = ?")
                arguments += [vendorId]
            }
            let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM permit" + whereClause, arguments: arguments) ?? 0
            let numbers = try String.fetchAll(
                db, sql: "SELECT permit_no FROM permit" + whereClause + " ORDER BY season DESC, seq DESC LIMIT ? OFFSET ?",
                arguments: arguments + [page.perPage, page.offset])
            return Page(items: try numbers.compactMap { try Self.permitRecord(db, number: $0) }, total: total, request: page)
        }
    }

    public func permit(number: String) async throws -> PermitRecord? {
        try await read { db in try Self.permitRecord(db, number: number) }
    }

    public func permits(vendorId: String) async throws -> [PermitRecord] {
        try await read { db in
            try String.fetchAll(db, cached: "SELECT permit_no FROM permit WHERE vendor_id = ? ORDER BY season DESC, seq DESC", arguments: [vendorId])
                .compactMap { try Self.permitRecord(db, number: $0) }
        }
    }

    static func permitRecord(_ db: Database, number: String) throws -> PermitRecord? {
        guard
            let row = try Row.fetchOne(
                db,
                cached: """
                    SELECT p.*, v.name AS holder_name, v.origin, s.id AS site_id, s.name AS site_name
                    FROM permit p JOIN vendor v ON v.id = p.vendor_id JOIN slot ON slot.id = p.slot_id JOIN site s ON s.id = slot.site_id
                    WHERE p.permit_no = ?
                    """, arguments: [number])
        else { return nil }
        let permit = Permit(
            number: row["permit_no"], season: row["season"], vendorId: row["vendor_id"], slotId: row["slot_id"],
            district: row["district"], state: try decoded(row, "state"),
            produce: decodeList(row["produce_json"]), vehiclePlate: row["vehicle_plate"])
        return PermitRecord(
            permit: permit, holderName: row["holder_name"], origin: row["origin"], siteId: row["site_id"], siteName: row["site_name"],
            seasonDates: try season(db, year: permit.season), expectedKg: row["expected_kg"],
            hasCertificate: (row["certificate_photo"] as String?) != nil)
    }

    /// Which slots `slotHoldings` reads: a page about one stall or site reads only its own.
    enum SlotScope {
        case all
        case site(String)
        case slot(String)
        /// The slots a nearby search found: reading every permit of a national-scale season
        /// for a handful of stalls would cost more than the search itself.
        case slots([String])
    }

    /// The slots holding an issued permit on `day`, with the permit's public summary and
    /// whether its vendor checked in (and out) that day.
    static func slotHoldings(_ db: Database, on day: LocalDate, in scope: SlotScope = .all) throws -> [String: SlotHolding] {
        let season = try season(db, year: day.year)
        guard season.contains(day) || day < season.startsOn else { return [:] }
        var sql = """
            SELECT p.permit_no, p.slot_id, p.produce_json, v.name, v.origin, c.id AS checkin_id, c.checked_out_at
            FROM permit p JOIN vendor v ON v.id = p.vendor_id
            LEFT JOIN checkin c ON c.permit_no = p.permit_no AND c.business_date = ?
            WHERE p.season = ? AND p.state = 'issued'
            """
        var arguments: StatementArguments = [day.description, day.year]
        switch scope {
        case .all:
            break
        case .site(let siteId):
            sql += " AND p.slot_id IN (SELECT id FROM slot WHERE site_id = ?)"
            arguments += [siteId]
        case .slot(let slotId):
            sql += " AND p.slot_id = ?"
            arguments += [slotId]
        case .slots(let slotIds):
            sql += " AND p.slot_id IN (SELECT value FROM json_each(?))"
            arguments += [json(slotIds)]
        }
        var result: [String: SlotHolding] = [:]
        for row in try Row.fetchAll(db, cached: sql, arguments: arguments) {
            let permit = PublicPermit(
                number: row["permit_no"], holderMasked: Masking.name(row["name"]), produce: decodeList(row["produce_json"]), origin: row["origin"])
            let status: StallStatus =
                if row["checkin_id"] as Int64? == nil { .assigned } else if row["checked_out_at"] as String? == nil { .open } else { .closedForDay }
            result[row["slot_id"]] = SlotHolding(permit: permit, statusToday: status)
        }
        return result
    }

    static func season(_ db: Database, year: Int) throws -> Season {
        try Row.fetchOne(db, cached: "SELECT * FROM season WHERE year = ?", arguments: [year]).flatMap(season) ?? Season.standard(year: year)
    }

    /// A `season` row as the domain's Season; nil when the row does not hold together.
    static func season(_ row: Row) -> Season? {
        guard let startsOn = LocalDate(row["starts_on"] as String), let endsOn = LocalDate(row["ends_on"] as String),
            let opensAt = LocalTime(row["opens_at"] as String), let closesAt = LocalTime(row["closes_at"] as String)
        else { return nil }
        return try? Season(year: row["year"], startsOn: startsOn, endsOn: endsOn, opensAt: opensAt, closesAt: closesAt)
    }

    static func json(_ list: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(list)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func decodeList(_ text: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }
}
