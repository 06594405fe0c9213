import Foundation
import GuatanCore
import GuatanStoreInterface

/// Rows to the programme's values, the same for both databases (the schema stores the same
/// text representations on both).
public enum SQLRows {
    public static func district(_ row: SQLRow) -> District {
        District(code: row["code"], adcode: row["adcode"], name: row["name"], nameEn: row["name_en"])
    }

    public static func site(_ row: SQLRow) -> Site {
        Site(
            id: row["id"], district: row["district"], name: row["name"], address: row["address"],
            streetOffice: row["street_office"], position: Coordinate(lat: row["lat"], lng: row["lng"]),
            opensAt: LocalTime(row["opens_at"] as String) ?? Season.defaultOpensAt,
            closesAt: LocalTime(row["closes_at"] as String) ?? Season.defaultClosesAt)
    }

    public static func slot(_ row: SQLRow) -> Slot {
        Slot(id: row["id"], siteId: row["site_id"], number: row["number"], position: Coordinate(lat: row["lat"], lng: row["lng"]))
    }

    static func stallView(_ row: SQLRow, permits: [String: SlotHolding]) -> StallView {
        let slot = Slot(
            id: row["slot_id"], siteId: row["site_id"], number: row["number"],
            position: Coordinate(lat: row["slot_lat"], lng: row["slot_lng"]))
        return StallView(slot: SlotView(slot: slot, holding: permits[slot.id]), site: site(row), districtName: row["district_name"])
    }

    /// A `season` row as the domain's Season; nil when the row does not hold together.
    public static func season(_ row: SQLRow) -> Season? {
        guard let startsOn = LocalDate(row["starts_on"] as String), let endsOn = LocalDate(row["ends_on"] as String),
            let opensAt = LocalTime(row["opens_at"] as String), let closesAt = LocalTime(row["closes_at"] as String)
        else { return nil }
        return try? Season(year: row["year"], startsOn: startsOn, endsOn: endsOn, opensAt: opensAt, closesAt: closesAt)
    }

    public static func vendor(_ row: SQLRow) -> Vendor {
        Vendor(
            id: row["id"], name: row["name"], phone: row["phone"], idCardLast4: row["id_card_last4"],
            origin: row["origin"], vehiclePlate: row["vehicle_plate"], produce: decodeList(row["produce_json"]))
    }

    public static func account(_ row: SQLRow) throws -> Account {
        Account(id: row["id"], username: row["username"], role: try row.decoded("role"), district: row["district"], vendorId: row["vendor_id"])
    }

    static func summary(_ row: SQLRow) throws -> AccountSummary {
        AccountSummary(account: try account(row), createdAt: row["created_at"], disabledAt: row["disabled_at"], liveSessions: row["live"])
    }

    static func checkIn(_ row: SQLRow) -> CheckIn {
        CheckIn(
            id: row["id"], permitNumber: row["permit_no"], vendorId: row["vendor_id"], slotId: row["slot_id"], district: row["district"],
            businessDate: LocalDate(row["business_date"] as String) ?? LocalDate(daysSinceEpoch: 0),
            checkedInAt: BusinessTime.parseInstant(row["checked_in_at"]) ?? Date(timeIntervalSince1970: 0),
            checkedOutAt: (row["checked_out_at"] as String?).flatMap(BusinessTime.parseInstant), distanceM: row["distance_m"],
            accuracyM: row["accuracy_m"], method: CheckInMethod(rawValue: row["method"]) ?? .vendor, flaggedForReview: row["flagged"])
    }

    static func deduction(_ row: SQLRow) -> PointDeduction {
        PointDeduction(
            id: row["id"], permitNumber: row["permit_no"], month: row["month"], points: row["points"], code: row["code"],
            inspectionId: row["inspection_id"], at: BusinessTime.parseInstant(row["at"]) ?? Date(timeIntervalSince1970: 0),
            annulled: row["annulled_at"] as String? != nil, annulReason: row["annul_reason"])
    }

    static func report(_ row: SQLRow, photos: [String], timeline: [ReportEvent]) -> Report {
        var report = Report(
            id: row["id"], category: ReportCategory(rawValue: row["category"]) ?? .other, description: row["description"],
            slotId: row["slot_id"], siteId: row["site_id"], permitNumber: row["permit_no"], district: row["district"],
            position: Coordinate(lat: row["lat"], lng: row["lng"]), contactPhone: row["contact_phone"],
            state: ReportState(rawValue: row["state"]) ?? .submitted, duplicateOf: row["duplicate_of"],
            dueAt: (row["due_at"] as String?).flatMap(BusinessTime.parseInstant),
            createdAt: BusinessTime.parseInstant(row["created_at"]) ?? Date(timeIntervalSince1970: row["created_epoch"]),
            updatedAt: BusinessTime.parseInstant(row["updated_at"]) ?? Date(timeIntervalSince1970: 0),
            closedAt: (row["closed_epoch"] as Double?).map { Date(timeIntervalSince1970: $0) }, rating: row["rating"],
            ratingComment: row["rating_comment"], photoIds: photos, timeline: timeline)
        report.channel = ReportChannel(rawValue: row["channel"]) ?? .web
        report.enteredBy = row["entered_by"]
        report.escalatedAt = (row["escalated_at"] as String?).flatMap(BusinessTime.parseInstant)
        report.notifySMS = row["notify_sms"]
        if let voice = row["voice_id"] as String?, let format = (row["voice_type"] as String?).flatMap(VoiceFormat.init(rawValue:)) {
            report.voiceNote = VoiceNote(id: voice, format: format, milliseconds: row["voice_ms"] as Int? ?? 0)
        }
        return report
    }

    static func auditEntry(_ row: SQLRow) -> AuditEntry {
        AuditEntry(
            at: row["at"], actor: row["actor"], action: row["action"], entity: row["entity"], entityId: row["entity_id"],
            before: row["before_json"], after: row["after_json"])
    }

    static func photo(_ row: SQLRow) -> StoredPhoto? {
        PhotoType(rawValue: row["media_type"]).map { StoredPhoto(id: row["id"], type: $0, byteCount: row["byte_count"]) }
    }

    public static func json(_ list: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(list)) ?? Data("[]".utf8), as: UTF8.self)
    }

    public static func decodeList(_ text: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }
}

/// A slot's holding read from six columns of a row, from `at`: the permit's number and produce,
/// its vendor's name and origin, today's check-in and its check-out. Produce lists and origins
/// repeat across a registry: each is decoded and kept once per reader.
struct HoldingReader {
    private var produceLists: [String: [String]] = [:]
    private var origins: [String: String] = [:]

    /// Nil when the row holds no permit (the slot is vacant).
    mutating func holding(_ row: SQLRow, at first: Int) -> SlotHolding? {
        guard let number: String = row[first] else { return nil }
        let produceText: String = row[first + 1]
        let produce: [String]
        if let known = produceLists[produceText] {
            produce = known
        } else {
            produce = SQLRows.decodeList(produceText)
            produceLists[produceText] = produce
        }
        let originText: String = row[first + 3]
        let origin: String
        if let known = origins[originText] {
            origin = known
        } else {
            origin = originText
            origins[originText] = originText
        }
        let status: StallStatus =
            if row[first + 4] as Int64? == nil { .assigned } else if row[first + 5] as String? == nil { .open } else { .closedForDay }
        return SlotHolding(
            permit: PublicPermit(number: number, holderMasked: Masking.name(row[first + 2]), produce: produce, origin: origin), statusToday: status)
    }
}

/// Queries more than one store needs, each on the caller's connection.
public enum SQLQueries {
    /// The states of a case still being worked on, from `ReportState.isOpen`.
    static let openReportStates = SQLList.literals(ReportState.open)

    public static func registryVersion(_ db: any SQLConnection) throws -> Int64 {
        try db.value("SELECT CAST(SUM(value) AS BIGINT) FROM registry_version") ?? 0
    }

    /// Called inside every write transaction that changes what the map shows. The version is
    /// the sum of sixteen counters and each write moves one at random: a row's lock is held to
    /// the commit, so a reader never sees the new number before the new rows, and concurrent
    /// writers (PostgreSQL's) seldom wait for the same row.
    public static func bumpRegistryVersion(_ db: any SQLConnection) throws {
        try db.run("UPDATE registry_version SET value = value + 1 WHERE shard = ?", [Int.random(in: 0..<16)])
    }

    /// Writes an audit entry inside the caller's transaction, so the change and its record
    /// commit or roll back together.
    public static func audit(
        _ db: any SQLConnection, at: Date, actor: String, action: String, entity: String, entityId: String,
        before: [String: String]?, after: [String: String]?
    ) throws {
        try db.run(
            """
            INSERT INTO audit_log (at, actor, action, entity, entity_id, before_json, after_json)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [BusinessTime.rfc3339(at), actor, action, entity, entityId, before.map(json), after.map(json)])
    }

    static func json(_ fields: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    public static func season(_ db: any SQLConnection, year: Int) throws -> Season {
        try db.row("SELECT * FROM season WHERE year = ?", [year]).flatMap(SQLRows.season) ?? Season.standard(year: year)
    }

    public static func permitRecord(_ db: any SQLConnection, number: String) throws -> PermitRecord? {
        guard
            let row = try db.row(
                """
                SELECT p.*, v.name AS holder_name, v.origin, s.id AS site_id, s.name AS site_name
                FROM permit p JOIN vendor v ON v.id = p.vendor_id JOIN slot ON slot.id = p.slot_id JOIN site s ON s.id = slot.site_id
                WHERE p.permit_no = ?
                """, [number])
        else { return nil }
        let permit = Permit(
            number: row["permit_no"], season: row["season"], vendorId: row["vendor_id"], slotId: row["slot_id"],
            district: row["district"], state: try row.decoded("state"),
            produce: SQLRows.decodeList(row["produce_json"]), vehiclePlate: row["vehicle_plate"])
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
    static func slotHoldings(_ db: any SQLConnection, on day: LocalDate, in scope: SlotScope = .all) throws -> [String: SlotHolding] {
        let season = try season(db, year: day.year)
        guard season.contains(day) || day < season.startsOn else { return [:] }
        var sql = """
            SELECT p.slot_id, p.permit_no, p.produce_json, v.name, v.origin, c.id AS checkin_id, c.checked_out_at
            FROM permit p JOIN vendor v ON v.id = p.vendor_id
            LEFT JOIN checkin c ON c.permit_no = p.permit_no AND c.business_date = ?
            WHERE p.season = ? AND p.state = 'issued'
            """
        var arguments: SQLArguments = [day.description, day.year]
        var cached = true
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
            sql += " AND p.slot_id IN \(SQLList.placeholders(slotIds.count))"
            arguments += SQLArguments(slotIds)
            cached = false
        }
        var result: [String: SlotHolding] = [:]
        var reader = HoldingReader()
        for row in try db.rows(sql, arguments, cached: cached) {
            result[row[0]] = reader.holding(row, at: 1)
        }
        return result
    }

    /// The sites whose IDs are in `from..<to` (open ends for nil) with their slots as today: one
    /// query for the slots in site order, each with its issued permit and today's check-in, so
    /// no slot is looked up by its ID in Swift (205,900 of them at national scale).
    static func registrySites(_ db: any SQLConnection, today: LocalDate, from: String?, to: String?) throws -> [SiteDetail] {
        let season = try season(db, year: today.year)
        // Outside the season nothing holds a slot: a season that matches no permit.
        let holdingSeason = season.contains(today) || today < season.startsOn ? today.year : -1
        // A place the season no longer offers stays in the database, off the live registry.
        var siteConditions = ["s.retired_from IS NULL"]
        var slotConditions = ["s.retired_from IS NULL"]
        var bounds: SQLArguments = []
        if let from {
            siteConditions.append("s.id >= ?")
            slotConditions.append("s.site_id >= ?")
            bounds += [from]
        }
        if let to {
            siteConditions.append("s.id < ?")
            slotConditions.append("s.site_id < ?")
            bounds += [to]
        }
        func filter(_ conditions: [String]) -> String { conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ") }
        let siteRows = try db.rows(
            "SELECT s.*, d.name AS district_name FROM site s JOIN district d ON d.code = s.district \(filter(siteConditions)) ORDER BY s.id", bounds)
        var reader = HoldingReader()
        var slotsBySite: [[SlotView]] = []
        slotsBySite.reserveCapacity(siteRows.count)
        var currentSite: String?
        try db.forEachRow(
            """
            SELECT s.id, s.site_id, s.number, s.lat, s.lng, p.permit_no, p.produce_json, v.name, v.origin, c.id AS checkin_id, c.checked_out_at
            FROM slot s
            LEFT JOIN permit p ON p.slot_id = s.id AND p.season = ? AND p.state = 'issued'
            LEFT JOIN vendor v ON v.id = p.vendor_id
            LEFT JOIN checkin c ON c.permit_no = p.permit_no AND c.business_date = ?
            \(filter(slotConditions)) ORDER BY s.site_id, s.number
            """, [holdingSeason, today.description] + bounds, cached: true
        ) { slotRow in
            let siteId: String = slotRow[1]
            if siteId != currentSite {
                // The slots come in the sites' order: each new site ID starts the next site's list.
                currentSite = siteId
                slotsBySite.append([])
            }
            let slot = Slot(id: slotRow[0], siteId: siteId, number: slotRow[2], position: Coordinate(lat: slotRow[3], lng: slotRow[4]))
            slotsBySite[slotsBySite.count - 1].append(SlotView(slot: slot, holding: reader.holding(slotRow, at: 5)))
        }
        var sites: [SiteDetail] = []
        sites.reserveCapacity(siteRows.count)
        var next = 0
        for row in siteRows {
            let site = SQLRows.site(row)
            var slots: [SlotView] = []
            // A site without slots has no list of its own.
            if next < slotsBySite.count, slotsBySite[next].first?.slot.siteId == site.id {
                slots = slotsBySite[next]
                next += 1
            }
            sites.append(SiteDetail(site: site, districtName: row["district_name"], slots: slots))
        }
        return sites
    }

    static func previousAttempt(_ db: any SQLConnection, vendorId: String) throws -> PreviousAttempt? {
        guard
            let row = try db.row(
                """
                SELECT at_epoch, lat, lng, accuracy_m FROM checkin_attempt
                WHERE vendor_id = ? AND lat IS NOT NULL ORDER BY id DESC LIMIT 1
                """, [vendorId])
        else { return nil }
        return PreviousAttempt(
            at: Date(timeIntervalSince1970: row["at_epoch"]),
            position: ReportedPosition(coordinate: Coordinate(lat: row["lat"], lng: row["lng"]), accuracyM: row["accuracy_m"]))
    }

    static func checkIn(_ db: any SQLConnection, permitNumber: String, on day: LocalDate) throws -> CheckIn? {
        try db.row("SELECT * FROM checkin WHERE permit_no = ? AND business_date = ?", [permitNumber, day.description]).map(SQLRows.checkIn)
    }

    /// Points per violation for a season: the season's own rules over API.md's defaults.
    static func violationPoints(_ db: any SQLConnection, season: Int) throws -> [ViolationCode: Int] {
        var points: [ViolationCode: Int] = [:]
        for row in try db.rows("SELECT code, points FROM violation_rule WHERE season = ?", [season]) {
            if let code = ViolationCode(rawValue: row["code"]) { points[code] = row["points"] }
        }
        return points
    }

    static func inspection(_ db: any SQLConnection, id: String) throws -> Inspection? {
        guard let row = try db.row("SELECT * FROM inspection WHERE id = ?", [id]) else { return nil }
        let photos: [String] = try db.values("SELECT photo_id FROM inspection_photo WHERE inspection_id = ? ORDER BY position", [id])
        let points: Int =
            try db.value("SELECT COALESCE(SUM(points), 0) FROM point_deduction WHERE inspection_id = ? AND annulled_at IS NULL", [id]) ?? 0
        let lat: Double? = row["lat"]
        let lng: Double? = row["lng"]
        var inspection = Inspection(
            id: row["id"], slotId: row["slot_id"], siteId: row["site_id"], district: row["district"], permitNumber: row["permit_no"],
            officer: row["officer"], result: InspectionResult(rawValue: row["result"]) ?? .compliant,
            violations: SQLRows.decodeList(row["violations_json"]).compactMap(ViolationCode.init(rawValue:)), note: row["note"],
            position: lat.flatMap { lat in lng.map { Coordinate(lat: lat, lng: $0) } }, distanceM: row["distance_m"],
            at: BusinessTime.parseInstant(row["at"]) ?? Date(timeIntervalSince1970: 0),
            businessDate: LocalDate(row["business_date"] as String) ?? LocalDate(daysSinceEpoch: 0), photoIds: photos, pointsDeducted: points,
            consequences: [])
        inspection.atStall = (row["at_stall"] as String?).flatMap(AtStall.init(rawValue:))
        return inspection
    }

    static func report(_ db: any SQLConnection, id: String, withTimeline: Bool = true) throws -> Report? {
        guard let row = try db.row("SELECT * FROM report WHERE id = ?", [id]) else { return nil }
        let photos: [String] = try db.values("SELECT photo_id FROM report_photo WHERE report_id = ? ORDER BY position", [id])
        let timeline =
            withTimeline
            ? try db.rows("SELECT * FROM report_event WHERE report_id = ? ORDER BY id", [id]).map { event in
                ReportEvent(
                    at: BusinessTime.parseInstant(event["at"]) ?? Date(timeIntervalSince1970: 0), actorRole: event["actor_role"],
                    action: event["action"], fromState: (event["from_state"] as String?).flatMap(ReportState.init(rawValue:)),
                    toState: ReportState(rawValue: event["to_state"]) ?? .submitted, publicNote: event["public_note"],
                    internalNote: event["internal_note"])
            }
            : []
        return SQLRows.report(row, photos: photos, timeline: timeline)
    }
}
