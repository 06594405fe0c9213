import Crypto
import Foundation

/// The season's draw by lot (摇号), `guatan-draw-v1`: a documented, deterministic function of a
/// secret seed and the published list of qualified applications, so that anyone can re-run it
/// (`tools/verify_draw.py` does, with Python's standard library alone).
///
/// 1. When the application window closes, the commitment — SHA-256 of the seed — is published
///    with the list; nobody, the bureau included, can choose a seed after seeing the list.
/// 2. Each application's lot is HMAC-SHA256(key: the seed, message: its number in UTF-8).
/// 3. Renewals first: an application of tier 1 naming a renewal slot open to the draw keeps it.
/// 4. Every other application, in order of (tier, lot, number), takes the first free slot (in the
///    site's slot order) of its first preference that has one; if none of its sites has one, it
///    is not allocated.
/// 5. Each site's waitlist: the applications not allocated that named the site, in that order.
public enum Draw {
    public static let algorithm = "guatan-draw-v1"

    /// A site's slots open to the draw, in order.
    public struct SiteSlots: Sendable, Hashable, Codable {
        public var siteId: String
        public var slots: [String]

        enum CodingKeys: String, CodingKey {
            case siteId = "site_id", slots
        }

        public init(siteId: String, slots: [String]) {
            self.siteId = siteId
            self.slots = slots
        }
    }

    /// A qualified application as the list publishes it.
    public struct Entry: Sendable, Hashable, Codable {
        public var applicationNo: String
        public var holderMasked: String
        /// 1 renewal, 2 priority household, 3 everyone else.
        public var tier: Int
        public var preferences: [String]
        public var renewalSlot: String?

        enum CodingKeys: String, CodingKey {
            case applicationNo = "application_no", holderMasked = "holder_masked", tier, preferences, renewalSlot = "renewal_slot"
        }

        public init(applicationNo: String, holderMasked: String, tier: Int, preferences: [String], renewalSlot: String?) {
            self.applicationNo = applicationNo
            self.holderMasked = holderMasked
            self.tier = tier
            self.preferences = preferences
            self.renewalSlot = renewalSlot
        }
    }

    public struct Allocated: Sendable, Hashable, Codable {
        public var slotId: String
        public var siteId: String
        public var applicationNo: String
        public var tier: Int
        /// The application's place in the drawn order (1 first); 0 for a renewal.
        public var rank: Int

        enum CodingKeys: String, CodingKey {
            case slotId = "slot_id", siteId = "site_id", applicationNo = "application_no", tier, rank
        }
    }

    public struct Result: Sendable, Hashable, Codable {
        /// By slot ID.
        public var allocation: [Allocated]
        /// By site ID: the applications not allocated that named the site, in drawn order.
        public var waitlists: [String: [String]]
    }

    /// The file the service publishes for a season (`/api/v1/seasons/{year}/draw`): the list and
    /// the commitment when review ends; the seed and the results at the draw; the applications
    /// an upheld objection took out (the draw is run again without them, the same lots).
    public struct Published: Sendable, Hashable, Codable {
        public var season: Int
        public var algorithm: String
        public var commitment: String
        public var seed: String?
        public var sites: [SiteSlots]
        public var applications: [Entry]
        public var excluded: [String]
        public var results: Result?

        public init(
            season: Int, commitment: String, seed: String? = nil, sites: [SiteSlots], applications: [Entry], excluded: [String] = [],
            results: Result? = nil
        ) {
            self.season = season
            self.algorithm = Draw.algorithm
            self.commitment = commitment
            self.seed = seed
            self.sites = sites
            self.applications = applications
            self.excluded = excluded
            self.results = results
        }

        /// The results the rule gives for this file: the applications less those excluded.
        public func run() throws -> Result {
            guard let seed else { throw DrawError.badSeed }
            let out = Set(excluded)
            return try Draw.run(
                seedHex: seed, commitment: commitment, sites: sites, applications: applications.filter { !out.contains($0.applicationNo) })
        }

        /// The file's bytes: keys sorted and written by hand (a national file is 100 MB, and
        /// Foundation's encoder spent seconds on it), the same bytes for the same draw as
        /// `JSONEncoder` with sorted keys would give (a test holds them equal).
        public func encoded() throws -> Data {
            var out = DrawJSON()
            out.reserve(applications.count * 160 + (results.map { $0.allocation.count * 110 } ?? 0))
            out.raw("{\"algorithm\":")
            out.string(algorithm)
            out.raw(",\"applications\":[")
            for (index, entry) in applications.enumerated() {
                if index > 0 { out.raw(",") }
                out.raw("{\"application_no\":")
                out.string(entry.applicationNo)
                out.raw(",\"holder_masked\":")
                out.string(entry.holderMasked)
                out.raw(",\"preferences\":")
                out.strings(entry.preferences)
                if let slot = entry.renewalSlot {
                    out.raw(",\"renewal_slot\":")
                    out.string(slot)
                }
                out.raw(",\"tier\":")
                out.int(entry.tier)
                out.raw("}")
            }
            out.raw("],\"commitment\":")
            out.string(commitment)
            out.raw(",\"excluded\":")
            out.strings(excluded)
            if let results {
                out.raw(",\"results\":{\"allocation\":[")
                for (index, allocated) in results.allocation.enumerated() {
                    if index > 0 { out.raw(",") }
                    out.raw("{\"application_no\":")
                    out.string(allocated.applicationNo)
                    out.raw(",\"rank\":")
                    out.int(allocated.rank)
                    out.raw(",\"site_id\":")
                    out.string(allocated.siteId)
                    out.raw(",\"slot_id\":")
                    out.string(allocated.slotId)
                    out.raw(",\"tier\":")
                    out.int(allocated.tier)
                    out.raw("}")
                }
                out.raw("],\"waitlists\":{")
                for (index, site) in results.waitlists.keys.sorted(by: DrawJSON.keyOrder).enumerated() {
                    if index > 0 { out.raw(",") }
                    out.string(site)
                    out.raw(":")
                    out.strings(results.waitlists[site] ?? [])
                }
                out.raw("}}")
            }
            out.raw(",\"season\":")
            out.int(season)
            if let seed {
                out.raw(",\"seed\":")
                out.string(seed)
            }
            out.raw(",\"sites\":[")
            for (index, site) in sites.enumerated() {
                if index > 0 { out.raw(",") }
                out.raw("{\"site_id\":")
                out.string(site.siteId)
                out.raw(",\"slots\":")
                out.strings(site.slots)
                out.raw("}")
            }
            out.raw("]}")
            return Data(out.bytes)
        }

        public static func decode(_ data: Data) throws -> Published {
            try JSONDecoder().decode(Published.self, from: data)
        }
    }

    public enum DrawError: Error, Equatable {
        case seedDoesNotMatchCommitment
        case badSeed
    }

    /// A new secret seed (32 random bytes, hex) and its commitment.
    public static func newSeed() -> (seed: String, commitment: String) {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return (hex(bytes), commitment(of: bytes))
    }

    public static func commitment(of seed: Data) -> String { hex(Data(SHA256.hash(data: seed))) }

    public static func lot(seed: Data, applicationNo: String) -> String {
        hex(Data(HMAC<SHA256>.authenticationCode(for: Data(applicationNo.utf8), using: SymmetricKey(data: seed))))
    }

    /// The first of `candidates` in the drawn order (tier, then lot, then number): who is next in
    /// a district when a site's own waiting list is used up. Nil for a bad seed or no candidate.
    public static func first(of candidates: [(applicationNo: String, tier: Int)], seedHex: String) -> String? {
        guard let seed = Data(hex: seedHex) else { return nil }
        return candidates.map { (tier: $0.tier, lot: lot(seed: seed, applicationNo: $0.applicationNo), number: $0.applicationNo) }
            .min { ($0.tier, $0.lot, $0.number) < ($1.tier, $1.lot, $1.number) }?.number
    }

    public static func run(seedHex: String, commitment: String, sites: [SiteSlots], applications: [Entry]) throws -> Result {
        guard let seed = Data(hex: seedHex) else { throw DrawError.badSeed }
        guard Self.commitment(of: seed) == commitment.lowercased() else { throw DrawError.seedDoesNotMatchCommitment }
        var free: [String: [String]] = [:]
        var siteOfSlot: [String: String] = [:]
        for site in sites {
            free[site.siteId] = site.slots
            for slot in site.slots { siteOfSlot[slot] = site.siteId }
        }
        // Each lot computed once, as four big-endian words: comparing them is comparing the hex
        // lots, without the strings (a national draw sorts 600,000).
        let key = SymmetricKey(data: seed)
        let order = applications.indices.map { index in
            let application = applications[index]
            let code = HMAC<SHA256>.authenticationCode(for: Data(application.applicationNo.utf8), using: key)
            let lot = code.withUnsafeBytes { raw in
                func word(_ at: Int) -> UInt64 { UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: at * 8, as: UInt64.self)) }
                return (word(0), word(1), word(2), word(3))
            }
            return DrawnLot(tier: application.tier, lot: lot, number: application.applicationNo, index: index)
        }
        .sorted()
        .map { applications[$0.index] }
        var allocation: [Allocated] = []
        var allocated = [Bool](repeating: false, count: order.count)
        for (position, application) in order.enumerated() where application.tier == 1 {
            guard let slot = application.renewalSlot, let site = siteOfSlot[slot], let index = free[site]?.firstIndex(of: slot) else { continue }
            free[site]!.remove(at: index)
            allocation.append(Allocated(slotId: slot, siteId: site, applicationNo: application.applicationNo, tier: 1, rank: 0))
            allocated[position] = true
        }
        for (position, application) in order.enumerated() where !allocated[position] {
            for site in application.preferences {
                guard let slots = free[site], !slots.isEmpty else { continue }
                free[site]!.removeFirst()
                allocation.append(
                    Allocated(slotId: slots[0], siteId: site, applicationNo: application.applicationNo, tier: application.tier, rank: position + 1))
                allocated[position] = true
                break
            }
        }
        var waitlists: [String: [String]] = [:]
        for (position, application) in order.enumerated() where !allocated[position] {
            for site in application.preferences where free[site] != nil {
                waitlists[site, default: []].append(application.applicationNo)
            }
        }
        allocation.sort { $0.slotId.utf8.lexicographicallyPrecedes($1.slotId.utf8) }
        return Result(allocation: allocation, waitlists: waitlists)
    }

    /// An application's place in the drawn order: tier, then lot, then number.
    struct DrawnLot: Comparable {
        var tier: Int
        var lot: (UInt64, UInt64, UInt64, UInt64)
        var number: String
        var index: Int

        static func == (a: DrawnLot, b: DrawnLot) -> Bool { a.tier == b.tier && a.lot == b.lot && a.number == b.number }

        static func < (a: DrawnLot, b: DrawnLot) -> Bool {
            if a.tier != b.tier { return a.tier < b.tier }
            if a.lot != b.lot { return a.lot < b.lot }
            return a.number.utf8.lexicographicallyPrecedes(b.number.utf8)
        }
    }

    /// Lower-case hex, by table: Foundation's String(format:) costs microseconds a byte on Linux,
    /// and a national draw makes twenty million of them.
    static func hex(_ data: Data) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(data.count * 2)
        for byte in data {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The few JSON pieces the draw's file is made of, appended to one byte buffer.
struct DrawJSON {
    var bytes: [UInt8] = []

    /// Object keys in the order Foundation's sorted-keys encoder gives them (UTF-8 byte order).
    static func keyOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    mutating func reserve(_ count: Int) { bytes.reserveCapacity(count) }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func int(_ value: Int) { bytes.append(contentsOf: String(value).utf8) }

    mutating func strings(_ values: [String]) {
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            string(value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// A JSON string: quote, backslash and control characters escaped as Foundation does,
    /// everything else (Chinese names too) as UTF-8.
    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0..<0x20:
                let digits = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: Array("\\u00".utf8) + [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

extension Data {
    /// Bytes from an even number of hex digits; nil for anything else.
    init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.init(bytes)
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Where a season stands in the year's allocation, in order: the bureau moves it one step at a
/// time, and nothing goes back (a draw once published is not drawn again).
public enum SeasonPhase: String, Sendable, Hashable, Codable, CaseIterable {
    /// Sites and slots are being edited for the coming season.
    case planning
    /// Vendors apply within the window's dates.
    case applicationsOpen = "applications_open"
    /// The window has closed: applications are reviewed (初审/复审); the list and the seed's
    /// commitment are published when review ends.
    case review
    /// The seed is revealed and the draw run.
    case drawn
    /// The results are up for public notice (公示), objections heard.
    case notice
    /// Every permit issued in one transaction.
    case allocated
    case inSeason = "in_season"
    case closed

    /// The phase after this one; nil for `closed`.
    public var next: SeasonPhase? {
        let all = Self.allCases
        let index = all.firstIndex(of: self)!
        return index + 1 < all.count ? all[index + 1] : nil
    }

    /// Whether the bureau may move a season from this phase to `phase`: the next one only.
    public func canMove(to phase: SeasonPhase) -> Bool { next == phase }
}

/// The three tiers of the draw, decided by rule before any lot is drawn.
public enum DrawTier: Int, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// A vendor whose last season ended in good standing, asking for his slot again.
    case renewal = 1
    /// A priority household (for example 脱贫户), declared and verified by the squad.
    case priority = 2
    case general = 3

    public static func < (a: DrawTier, b: DrawTier) -> Bool { a.rawValue < b.rawValue }

    /// What decides renewal: the vendor's last season as it ended.
    public struct LastSeason: Sendable, Hashable {
        public var revoked: Bool
        /// Months in which the permit's points fell to zero.
        public var monthsAtZeroPoints: Int
        /// Days checked in over the season's days.
        public var checkInShare: Double

        public init(revoked: Bool, monthsAtZeroPoints: Int, checkInShare: Double) {
            self.revoked = revoked
            self.monthsAtZeroPoints = monthsAtZeroPoints
            self.checkInShare = checkInShare
        }

        /// Good standing: never revoked, no month at zero points, and checked in on at least
        /// `minimumShare` of the season's days (set per season by the bureau).
        public func goodStanding(minimumShare: Double) -> Bool {
            !revoked && monthsAtZeroPoints == 0 && checkInShare >= minimumShare
        }
    }

    /// The tier of an application: renewal when it asks for its last slot and the last season
    /// ended in good standing; priority when the squad verified the household; else general.
    public static func of(asksRenewal: Bool, lastSeason: LastSeason?, minimumShare: Double, priorityVerified: Bool) -> DrawTier {
        if asksRenewal, let lastSeason, lastSeason.goodStanding(minimumShare: minimumShare) { return .renewal }
        return priorityVerified ? .priority : .general
    }
}
