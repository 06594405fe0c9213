import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface


extension GuatanDatabase: PermitStore {
    static let liveStates = "('requested', 'reviewed', 'approved', 'issued', 'suspended')"

    public func createPermit(
        vendorId: String, slotId: String, season: Int, produce: [String], state: PermitState, actor: String, at: Date
    ) async throws -> PermitRecord {
        try await write { db in
            guard let vendor = try Row.fetchOne(db, cached: "SELECT * FROM vendor WHERE id = ?", arguments: [vendorId]).map(Self.vendor) else {
                throw ValidationError(field: "vendor_id", message: "no vendor \(vendorId)")
            }
            let number = try Self.insertPermit(
                db, vendor: vendor, slotId: slotId, season: season, produce: produce, plate: vendor.vehiclePlate, state: state,
                expectedKg: nil, certificate: nil, actor: actor, at: at)
            return try Self.permitRecord(db, number: number)!
        }
    }

    public func apply(vendorId: String, _ application: PermitApplication, at: Date) async throws -> PermitRecord {
        try await write { db in
            guard let vendor = try Row.fetchOne(db, cached: "SELECT * FROM vendor WHERE id = ?", arguments: [vendorId]).map(Self.vendor) else {
                throw StoreError.notFound("no vendor \(vendorId)")
            }
            let slotId: String
            switch application.place {
            case .slot(let id):
                slotId = id
            case .site(let siteId):
                guard try Int.fetchOne(db, cached: "SELECT 1 FROM site WHERE id = ?", arguments: [siteId]) != nil else {
                    throw ValidationError(field: "site_id", message: "no site \(siteId)")
                }
                // The first slot of the site that no live permit holds this season.
                guard let free = try String.fetchOne(db, sql: """
                    SELECT id FROM slot WHERE site_id = ? AND id NOT IN
                        (SELECT slot_id FROM permit WHERE season = ? AND state IN \(Self.liveStates))
                    ORDER BY number LIMIT 1
                    """, arguments: [siteId, application.season])
                else {
                    throw StoreError.conflict("every slot of site \(siteId) is taken for \(application.season); choose another site")
                }
                slotId = free
            }
            try db.execute(
                sql: "INSERT OR IGNORE INTO photo (id, media_type, byte_count, purpose, created_at) VALUES (?, ?, ?, 'certificate', ?)",
                arguments: [application.certificate.id, application.certificate.type.rawValue, application.certificate.byteCount, BusinessTime.rfc3339(at)])
            let number = try Self.insertPermit(
                db, vendor: vendor, slotId: slotId, season: application.season, produce: application.produce,
                plate: application.vehiclePlate ?? vendor.vehiclePlate, state: .requested, expectedKg: application.expectedKg,
                certificate: application.certificate.id, actor: "vendor:\(vendorId)", at: at)
            return try Self.permitRecord(db, number: number)!
        }
    }

    /// Inserts a permit after the one-live-permit rules (slot, vendor, vehicle: 409), numbering it in its district.
    static func insertPermit(
        _ db: Database, vendor: Vendor, slotId: String, season: Int, produce: [String], plate: String, state: PermitState,
        expectedKg: Double?, certificate: String?, actor: String, at: Date
    ) throws -> String {
        guard let district = try String.fetchOne(db, cached: "SELECT s.district FROM slot JOIN site s ON s.id = slot.site_id WHERE slot.id = ?", arguments: [slotId]) else {
            throw ValidationError(field: "slot_id", message: "no slot \(slotId)")
        }
        if let reason = try String.fetchOne(db, cached: "SELECT reason FROM vendor_bar WHERE vendor_id = ? AND season = ?", arguments: [vendor.id, season]) {
            throw StoreError.conflict("vendor \(vendor.id) is barred from the \(season) season: \(reason)")
        }
        let live = "SELECT permit_no FROM permit WHERE season = ? AND state IN \(Self.liveStates) AND "
        if let other = try String.fetchOne(db, cached: live + "slot_id = ?", arguments: [season, slotId]) {
            throw StoreError.conflict("slot \(slotId) already has a live permit for \(season): \(other)")
        }
        if let other = try String.fetchOne(db, cached: live + "vendor_id = ?", arguments: [season, vendor.id]) {
            throw StoreError.conflict("vendor \(vendor.id) already has a live permit for \(season): \(other)")
        }
        // A plate registered to another vendor cannot be claimed: otherwise anyone could block
        // the real owner's application by naming his vehicle first. The answer names the rule,
        // never the other vendor.
        if try Int.fetchOne(db, cached: "SELECT 1 FROM vendor WHERE vehicle_plate = ? AND id <> ?", arguments: [plate, vendor.id]) != nil {
            throw StoreError.conflict("the vehicle \(plate) is registered to another vendor: apply with your own vehicle's plate (一车一证), or ask the bureau to correct the registration")
        }
        if let other = try String.fetchOne(db, cached: live + "vehicle_plate = ?", arguments: [season, plate]) {
            throw StoreError.conflict("vehicle \(plate) already has a live permit for \(season): \(other) (一车一证)")
        }
        let sequence = (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM permit WHERE season = ? AND district = ?", arguments: [season, district]) ?? 0) + 1
        let number = PermitWorkflow.permitNumber(year: season, district: district, sequence: sequence)
        let kinds = produce.isEmpty ? vendor.produce : produce
        let stamp = BusinessTime.rfc3339(at)
        try db.execute(
            sql: """
                INSERT INTO permit (permit_no, season, vendor_id, slot_id, district, state, produce_json, vehicle_plate, created_at, updated_at,
                    expected_kg, certificate_photo, issued_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                number, season, vendor.id, slotId, district, state.rawValue, Self.json(kinds), plate, stamp, stamp, expectedKg, certificate,
                state == .issued ? stamp : nil,
            ])
        var after = ["state": state.rawValue, "vendor_id": vendor.id, "slot_id": slotId, "season": String(season)]
        after["expected_kg"] = expectedKg.map { String($0) }
        try Self.audit(db, at: at, actor: actor, action: "permit.create", entity: "permit", entityId: number, before: nil, after: after)
        try Self.bumpRegistryVersion(db)
        return number
    }

    public func certificate(permitNumber: String) async throws -> (district: String, photo: StoredPhoto)? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: """
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

    public func transition(number: String, action: PermitAction, by actor: Account, reason: String?, at: Date) async throws -> PermitRecord {
        try await write { db in
            guard let record = try Self.permitRecord(db, number: number) else {
                throw StoreError.notFound("no permit \(number)")
            }
            let today = BusinessTime.localDate(of: at)
            let current = PermitWorkflow.effectiveState(record.permit.state, season: record.seasonDates, on: today)
            let target = try PermitWorkflow.decide(action, on: current, by: actor, permitDistrict: record.permit.district, reason: reason)
            try db.execute(
                sql: "UPDATE permit SET state = ?, updated_at = ?, issued_at = COALESCE(issued_at, ?) WHERE permit_no = ?",
                arguments: [target.rawValue, BusinessTime.rfc3339(at), action == .issue ? BusinessTime.rfc3339(at) : nil, number])
            var after = ["state": target.rawValue]
            after["reason"] = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
            try Self.audit(
                db, at: at, actor: "account:\(actor.username)", action: "permit.\(action.rawValue)", entity: "permit", entityId: number,
                before: ["state": current.rawValue], after: after)
            try Self.bumpRegistryVersion(db)
            return try Self.permitRecord(db, number: number)!
        }
    }

    public func permits(vendorId: String) async throws -> [PermitRecord] {
        try await read { db in
            try String.fetchAll(db, cached: "SELECT permit_no FROM permit WHERE vendor_id = ? ORDER BY season DESC, seq DESC", arguments: [vendorId])
                .compactMap { try Self.permitRecord(db, number: $0) }
        }
    }

    static func permitRecord(_ db: Database, number: String) throws -> PermitRecord? {
        guard let row = try Row.fetchOne(db, cached: """
            SELECT p.*, v.name AS holder_name, v.origin, s.id AS site_id, s.name AS site_name
            FROM permit p JOIN vendor v ON v.id = p.vendor_id JOIN slot ON slot.id = p.slot_id JOIN site s ON s.id = slot.site_id
            WHERE p.permit_no = ?
            """, arguments: [number])
        else { return nil }
        let permit = Permit(
            number: row["permit_no"], season: row["season"], vendorId: row["vendor_id"], slotId: row["slot_id"],
            district: row["district"], state: PermitState(rawValue: row["state"]) ?? .rejected,
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
