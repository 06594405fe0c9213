import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface

extension GuatanDatabase: WorkflowStore {
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        let (value, changes) = try await write { db in
            let transaction = SQLiteTransaction(db)
            return (try body(transaction), transaction.changes)
        }
        changeFeed.publish(changes)
        return value
    }

    public func batchedTransaction<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        // Each job runs in its own savepoint; its changes count only when it got through.
        let (value, changes) = try await batchedWrite { db in
            let transaction = SQLiteTransaction(db)
            return (try body(transaction), transaction.changes)
        }
        changeFeed.publish(changes)
        return value
    }

    public var changes: ChangeFeed { changeFeed }
}

/// One SQLite transaction as the services see it: each method is one statement or query.
/// Every write notes what it changed (`changes`), so no caller can forget to say.
final class SQLiteTransaction: StoreTransaction {
    let db: Database
    private(set) var changes: Set<StoreChange> = []

    init(_ db: Database) {
        self.db = db
    }

    /// The registry's version moves once per transaction, however many rows it changes.
    private func changedRegistry() throws {
        guard !changes.contains(.registry) else { return }
        try GuatanDatabase.bumpRegistryVersion(db)
        changes.insert(.registry)
    }

    private func changedStall(_ slotId: String?) {
        if let slotId { changes.insert(.stall(slotId: slotId)) }
    }

    // MARK: numbers

    func nextNumber(_ sequence: String) throws -> Int64 {
        // One statement: the counter moves and is read under the write lock, never read then written.
        try Int64.fetchOne(
            db,
            cached: """
                INSERT INTO number_sequence (name, value) VALUES (?, 1)
                ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value
                """, arguments: [sequence])!
    }

    func audit(actor: String, action: String, entity: String, entityId: String, before: [String: String]?, after: [String: String]?, at: Date) throws
    {
        try GuatanDatabase.audit(db, at: at, actor: actor, action: action, entity: entity, entityId: entityId, before: before, after: after)
    }

    // MARK: registry and vendors

    func registryLoaded() throws -> Bool {
        try String.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'seed_loaded_at'") != nil
            || Int.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM site)") == 1
    }

    func districtCodes() throws -> Set<String> {
        Set(try String.fetchAll(db, cached: "SELECT code FROM district"))
    }

    func upsertDistrict(_ district: District) throws {
        try db.execute(
            sql: """
                INSERT INTO district (code, adcode, name, name_en) VALUES (?, ?, ?, ?)
                ON CONFLICT (code) DO UPDATE SET adcode = excluded.adcode, name = excluded.name, name_en = excluded.name_en
                """,
            arguments: [district.code, district.adcode, district.name, district.nameEn])
        try changedRegistry()
    }

    func site(id: String) throws -> Site? {
        try Row.fetchOne(db, cached: "SELECT * FROM site WHERE id = ?", arguments: [id]).map(GuatanDatabase.site)
    }

    func slotCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT site_id, COUNT(*) AS n FROM slot GROUP BY site_id") {
            counts[row["site_id"]] = row["n"]
        }
        return counts
    }

    func insertSite(_ site: Site, at: Date) throws {
        let stamp = BusinessTime.rfc3339(at)
        try db.cachedStatement(
            sql: """
                INSERT INTO site (id, district, name, address, street_office, lat, lng, opens_at, closes_at, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            site.id, site.district, site.name, site.address, site.streetOffice, site.position.lat, site.position.lng,
            site.opensAt.description, site.closesAt.description, stamp, stamp,
        ])
        try changedRegistry()
    }

    func updateSite(_ site: Site, at: Date) throws {
        try db.cachedStatement(
            sql: """
                UPDATE site SET district = ?, name = ?, address = ?, street_office = ?, lat = ?, lng = ?,
                    opens_at = ?, closes_at = ?, updated_at = ? WHERE id = ?
                """
        ).execute(arguments: [
            site.district, site.name, site.address, site.streetOffice, site.position.lat, site.position.lng,
            site.opensAt.description, site.closesAt.description, BusinessTime.rfc3339(at), site.id,
        ])
        try changedRegistry()
    }

    func insertSlot(_ slot: Slot) throws {
        try db.cachedStatement(sql: "INSERT INTO slot (id, site_id, number, lat, lng) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [slot.id, slot.siteId, slot.number, slot.position.lat, slot.position.lng])
        try changedRegistry()
    }

    func markSeedLoaded(at: Date) throws {
        try db.execute(sql: "INSERT INTO store_meta (key, value) VALUES ('seed_loaded_at', ?)", arguments: [BusinessTime.rfc3339(at)])
    }

    func slot(id: String) throws -> SlotPlace? {
        try Row.fetchOne(
            db, cached: "SELECT slot.id, slot.site_id, slot.lat, slot.lng, s.district FROM slot JOIN site s ON s.id = slot.site_id WHERE slot.id = ?",
            arguments: [id]
        ).map { row in
            SlotPlace(slotId: row["id"], siteId: row["site_id"], district: row["district"], position: Coordinate(lat: row["lat"], lng: row["lng"]))
        }
    }

    func siteExists(id: String) throws -> Bool {
        try Int.fetchOne(db, cached: "SELECT 1 FROM site WHERE id = ?", arguments: [id]) != nil
    }

    func siteLocations() throws -> [(siteId: String, district: String, position: Coordinate)] {
        try Row.fetchAll(db, cached: "SELECT id, district, lat, lng FROM site ORDER BY id").map { row in
            (row["id"], row["district"], Coordinate(lat: row["lat"], lng: row["lng"]))
        }
    }

    func slotsOfSite(_ siteId: String, season: Int, heldIn states: Set<PermitState>) throws -> [(slotId: String, held: Bool)] {
        let held = Set(
            try String.fetchAll(
                db,
                sql:
                    "SELECT p.slot_id FROM permit p JOIN slot ON slot.id = p.slot_id WHERE slot.site_id = ? AND p.season = ? AND p.state IN \(Self.list(states))",
                arguments: [siteId, season]))
        return try String.fetchAll(db, cached: "SELECT id FROM slot WHERE site_id = ? ORDER BY number", arguments: [siteId]).map {
            ($0, held.contains($0))
        }
    }

    func season(year: Int) throws -> SeasonRecord? {
        guard let row = try Row.fetchOne(db, cached: "SELECT * FROM season WHERE year = ?", arguments: [year]),
            let season = GuatanDatabase.season(row)
        else {
            return nil
        }
        return SeasonRecord(season: season, geofenceRadiusM: row["geofence_radius_m"])
    }

    func vendor(id: String) throws -> Vendor? {
        try Row.fetchOne(db, cached: "SELECT * FROM vendor WHERE id = ?", arguments: [id]).map(GuatanDatabase.vendor)
    }

    func vendorIds(withPlate plate: String) throws -> [String] {
        try String.fetchAll(db, cached: "SELECT id FROM vendor WHERE vehicle_plate = ?", arguments: [plate])
    }

    func vendorId(idCardHash: String) throws -> String? {
        try String.fetchOne(db, cached: "SELECT id FROM vendor WHERE id_card_hash = ?", arguments: [idCardHash])
    }

    func insertVendor(_ vendor: Vendor, sequence: Int64, idCardHash: String, at: Date) throws {
        let produce = String(decoding: try JSONEncoder().encode(vendor.produce), as: UTF8.self)
        try db.execute(
            sql: """
                INSERT INTO vendor (seq, id, name, phone, id_card_hash, id_card_last4, origin, vehicle_plate, produce_json, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                sequence, vendor.id, vendor.name, vendor.phone, idCardHash, vendor.idCardLast4, vendor.origin,
                vendor.vehiclePlate, produce, BusinessTime.rfc3339(at),
            ])
    }

    func bar(vendorId: String, season: Int) throws -> String? {
        try String.fetchOne(db, cached: "SELECT reason FROM vendor_bar WHERE vendor_id = ? AND season = ?", arguments: [vendorId, season])
    }

    func insertBar(vendorId: String, season: Int, reason: String, at: Date) throws -> Bool {
        try db.execute(
            sql: "INSERT OR IGNORE INTO vendor_bar (vendor_id, season, reason, created_at) VALUES (?, ?, ?, ?)",
            arguments: [vendorId, season, reason, BusinessTime.rfc3339(at)])
        return db.changesCount > 0
    }

    // MARK: permits

    func permitRecord(number: String) throws -> PermitRecord? {
        try GuatanDatabase.permitRecord(db, number: number)
    }

    private static let permitPlaceColumns = """
        SELECT p.permit_no, p.season, p.vendor_id, p.slot_id, p.district, p.state, slot.site_id, slot.lat, slot.lng,
               s.opens_at, s.closes_at, s.geofence_radius_m
        FROM permit p JOIN slot ON slot.id = p.slot_id JOIN site s ON s.id = slot.site_id
        """

    private func permitPlace(_ row: Row) throws -> PermitPlace {
        PermitPlace(
            number: row["permit_no"], season: row["season"], vendorId: row["vendor_id"], state: try GuatanDatabase.decoded(row, "state"),
            slot: SlotPlace(
                slotId: row["slot_id"], siteId: row["site_id"], district: row["district"], position: Coordinate(lat: row["lat"], lng: row["lng"])),
            siteOpensAt: LocalTime(row["opens_at"] as String) ?? Season.defaultOpensAt,
            siteClosesAt: LocalTime(row["closes_at"] as String) ?? Season.defaultClosesAt, siteGeofenceM: row["geofence_radius_m"])
    }

    func permitPlace(number: String) throws -> PermitPlace? {
        try Row.fetchOne(db, cached: Self.permitPlaceColumns + " WHERE p.permit_no = ?", arguments: [number]).map(permitPlace)
    }

    func permitPlaces(vendorId: String, season: Int) throws -> [PermitPlace] {
        try Row.fetchAll(
            db, cached: Self.permitPlaceColumns + " WHERE p.vendor_id = ? AND p.season = ? ORDER BY p.seq DESC", arguments: [vendorId, season]
        )
        .map(permitPlace)
    }

    func permitPlaces(slotId: String, season: Int) throws -> [PermitPlace] {
        try Row.fetchAll(
            db, cached: Self.permitPlaceColumns + " WHERE p.slot_id = ? AND p.season = ? ORDER BY p.seq DESC", arguments: [slotId, season]
        )
        .map(permitPlace)
    }

    func permitNumber(season: Int, holder: PermitHolder, states: Set<PermitState>) throws -> String? {
        let (column, value): (String, String) =
            switch holder {
            case .slot(let id): ("slot_id", id)
            case .vendor(let id): ("vendor_id", id)
            case .vehicle(let plate): ("vehicle_plate", plate)
            }
        return try String.fetchOne(
            db, cached: "SELECT permit_no FROM permit WHERE season = ? AND \(column) = ? AND state IN \(Self.list(states)) ORDER BY seq LIMIT 1",
            arguments: [season, value])
    }

    func insertPermit(_ permit: NewPermit) throws {
        let stamp = BusinessTime.rfc3339(permit.at)
        try db.execute(
            sql: """
                INSERT INTO permit (permit_no, season, vendor_id, slot_id, district, state, produce_json, vehicle_plate, created_at, updated_at,
                    expected_kg, certificate_photo, issued_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                permit.number, permit.season, permit.vendorId, permit.slotId, permit.district, permit.state.rawValue,
                GuatanDatabase.json(permit.produce),
                permit.vehiclePlate, stamp, stamp, permit.expectedKg, permit.certificatePhoto, permit.state == .issued ? stamp : nil,
            ])
        try changedRegistry()
        changedStall(permit.slotId)
    }

    func setPermitState(number: String, state: PermitState, issuedAt: Date?, at: Date) throws {
        try db.execute(
            sql: "UPDATE permit SET state = ?, updated_at = ?, issued_at = COALESCE(issued_at, ?) WHERE permit_no = ?",
            arguments: [state.rawValue, BusinessTime.rfc3339(at), issuedAt.map(BusinessTime.rfc3339), number])
        try changedRegistry()
        changedStall(try String.fetchOne(db, cached: "SELECT slot_id FROM permit WHERE permit_no = ?", arguments: [number]))
    }

    func insertPhoto(_ photo: StoredPhoto, purpose: String, at: Date) throws {
        try db.execute(
            sql: "INSERT OR IGNORE INTO photo (id, media_type, byte_count, purpose, created_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [photo.id, photo.type.rawValue, photo.byteCount, purpose, BusinessTime.rfc3339(at)])
    }

    // MARK: check-ins

    func checkIn(permitNumber: String, on day: LocalDate) throws -> CheckIn? {
        try GuatanDatabase.checkIn(db, permitNumber: permitNumber, on: day)
    }

    func lastPositionedAttempt(vendorId: String) throws -> PreviousAttempt? {
        try GuatanDatabase.previousAttempt(db, vendorId: vendorId)
    }

    func insertCheckIn(_ checkIn: CheckIn, position: ReportedPosition?) throws -> Int64 {
        // Cached statements: the morning's burst runs these thousands of times a minute.
        try db.cachedStatement(
            sql: """
                INSERT INTO checkin (permit_no, vendor_id, slot_id, district, business_date, checked_in_at, lat, lng, accuracy_m, distance_m, method, flagged)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                checkIn.permitNumber, checkIn.vendorId, checkIn.slotId, checkIn.district, checkIn.businessDate.description,
                BusinessTime.rfc3339(checkIn.checkedInAt), position?.coordinate.lat, position?.coordinate.lng, position?.accuracyM, checkIn.distanceM,
                checkIn.method.rawValue, checkIn.flaggedForReview,
            ])
        // The public pages show the stall open now.
        try changedRegistry()
        changedStall(checkIn.slotId)
        return db.lastInsertedRowID
    }

    func recordAttempt(_ attempt: CheckInAttemptRow) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO checkin_attempt (vendor_id, permit_no, at, at_epoch, business_date, lat, lng, input_crs, accuracy_m, distance_m,
                    implied_speed_kmh, flagged, outcome, refusal, checkin_id, method, actor, reason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                attempt.vendorId, attempt.permitNumber, BusinessTime.rfc3339(attempt.at), attempt.at.timeIntervalSince1970,
                attempt.day.description, attempt.position?.coordinate.lat, attempt.position?.coordinate.lng, attempt.inputCRS,
                attempt.position?.accuracyM, attempt.distanceM, attempt.impliedSpeedKmh, attempt.flagged, attempt.outcome,
                attempt.refusal, attempt.checkInId, attempt.method.rawValue, attempt.actor, attempt.reason,
            ])
    }

    func closeCheckIn(id: Int64, slotId: String, at: Date) throws {
        try db.cachedStatement(sql: "UPDATE checkin SET checked_out_at = ? WHERE id = ?").execute(arguments: [BusinessTime.rfc3339(at), id])
        try changedRegistry()
        changedStall(slotId)
    }

    // MARK: points

    func deductedPoints(permitNumber: String) throws -> [String: Int] {
        var byMonth: [String: Int] = [:]
        for row in try Row.fetchAll(
            db, cached: "SELECT month, SUM(points) AS total FROM point_deduction WHERE permit_no = ? AND annulled_at IS NULL GROUP BY month",
            arguments: [permitNumber])
        {
            byMonth[row["month"]] = row["total"]
        }
        return byMonth
    }

    func violationPoints(season: Int) throws -> [ViolationCode: Int] {
        try GuatanDatabase.violationPoints(db, season: season)
    }

    func insertDeduction(permitNumber: String, month: String, points: Int, code: String, inspectionId: String?, at: Date) throws {
        try db.execute(
            sql: "INSERT INTO point_deduction (permit_no, month, points, code, at, inspection_id) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [permitNumber, month, points, code, BusinessTime.rfc3339(at), inspectionId])
    }

    func deduction(id: Int64) throws -> PointDeduction? {
        try Row.fetchOne(db, sql: "SELECT * FROM point_deduction WHERE id = ?", arguments: [id]).map(GuatanDatabase.deduction)
    }

    func annulDeduction(id: Int64, by actor: String, reason: String, at: Date) throws {
        try db.execute(
            sql: "UPDATE point_deduction SET annulled_at = ?, annulled_by = ?, annul_reason = ? WHERE id = ?",
            arguments: [BusinessTime.rfc3339(at), actor, reason, id])
    }

    func setViolationPoints(season: Int, code: ViolationCode, points: Int) throws {
        try db.execute(
            sql:
                "INSERT INTO violation_rule (season, code, points) VALUES (?, ?, ?) ON CONFLICT (season, code) DO UPDATE SET points = excluded.points",
            arguments: [season, code.rawValue, points])
    }

    // MARK: inspections

    func insertInspection(_ inspection: NewInspection, photos: [StoredPhoto]) throws {
        let stamp = BusinessTime.rfc3339(inspection.at)
        try db.execute(
            sql: """
                INSERT INTO inspection (seq, id, slot_id, site_id, district, permit_no, officer, result, violations_json, note, lat, lng, distance_m, at, business_date)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                inspection.sequence, inspection.id, inspection.slot.slotId, inspection.slot.siteId, inspection.slot.district, inspection.permitNumber,
                inspection.officer, inspection.result.rawValue, GuatanDatabase.json(inspection.violations.map(\.rawValue)), inspection.note,
                inspection.position?.lat, inspection.position?.lng, inspection.distanceM, stamp, inspection.day.description,
            ])
        for (index, photo) in photos.enumerated() {
            try insertPhoto(photo, purpose: "inspection", at: inspection.at)
            try db.execute(
                sql: "INSERT INTO inspection_photo (inspection_id, position, photo_id) VALUES (?, ?, ?)",
                arguments: [inspection.id, index + 1, photo.id])
        }
        // The stall's page shows when it was last inspected.
        changedStall(inspection.slot.slotId)
    }

    func inspection(id: String) throws -> Inspection? {
        try GuatanDatabase.inspection(db, id: id)
    }

    // MARK: reports

    func report(id: String, withTimeline: Bool) throws -> Report? {
        try GuatanDatabase.report(db, id: id, withTimeline: withTimeline)
    }

    func reportId(trackingHash: String) throws -> String? {
        try String.fetchOne(db, cached: "SELECT id FROM report WHERE tracking_hash = ?", arguments: [trackingHash])
    }

    func reports(
        category: ReportCategory, states: Set<ReportState>, since: Date, within box: BoundingBox
    ) throws -> [(id: String, position: Coordinate)] {
        try Row.fetchAll(
            db,
            cached: """
                SELECT id, lat, lng FROM report
                WHERE category = ? AND state IN \(Self.list(states)) AND created_epoch >= ?
                  AND lat BETWEEN ? AND ? AND lng BETWEEN ? AND ?
                ORDER BY seq
                """, arguments: [category.rawValue, since.timeIntervalSince1970, box.minLat, box.maxLat, box.minLng, box.maxLng]
        ).map { ($0["id"], Coordinate(lat: $0["lat"], lng: $0["lng"])) }
    }

    func timeLimitMinutes(_ category: ReportCategory) throws -> Int? {
        try Int.fetchOne(db, cached: "SELECT time_limit_minutes FROM report_category WHERE code = ?", arguments: [category.rawValue])
    }

    func setTimeLimit(_ category: ReportCategory, minutes: Int) throws {
        try db.execute(sql: "UPDATE report_category SET time_limit_minutes = ? WHERE code = ?", arguments: [minutes, category.rawValue])
    }

    func insertReport(_ report: NewReport, photos: [StoredPhoto]) throws {
        let stamp = BusinessTime.rfc3339(report.at)
        try db.cachedStatement(
            sql: """
                INSERT INTO report (seq, id, tracking_hash, category, description, slot_id, site_id, permit_no, district, lat, lng,
                    contact_phone, state, duplicate_of, created_at, created_epoch, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                report.sequence, report.id, report.trackingHash, report.intake.category.rawValue, report.intake.description, report.slotId,
                report.siteId, report.permitNumber, report.district, report.position.lat, report.position.lng, report.intake.contactPhone,
                report.state.rawValue, report.duplicateOf, stamp, report.at.timeIntervalSince1970, stamp,
            ])
        for (index, photo) in photos.enumerated() {
            try insertPhoto(photo, purpose: "report", at: report.at)
            try db.execute(
                sql: "INSERT INTO report_photo (report_id, position, photo_id) VALUES (?, ?, ?)", arguments: [report.id, index + 1, photo.id])
        }
        changes.insert(.reportLists)
        changedStall(report.slotId)
    }

    func updateReport(id: String, slotId: String?, _ update: ReportUpdate, at: Date) throws {
        var sets = ["state = ?", "updated_at = ?"]
        var arguments: StatementArguments = [update.state.rawValue, BusinessTime.rfc3339(at)]
        if let due = update.dueAt {
            sets += ["due_at = ?", "due_epoch = ?"]
            arguments += [BusinessTime.rfc3339(due), due.timeIntervalSince1970]
        }
        if let closed = update.closedAt {
            sets += ["closed_at = ?", "closed_epoch = ?"]
            arguments += [BusinessTime.rfc3339(closed), closed.timeIntervalSince1970]
        }
        if update.reopened {
            sets += ["closed_at = NULL", "closed_epoch = NULL", "rating = NULL", "rating_comment = NULL", "rated_at = NULL"]
        }
        if let main = update.duplicateOf {
            sets.append("duplicate_of = ?")
            arguments += [main]
        }
        if let rating = update.rating {
            sets += ["rating = ?", "rating_comment = ?", "rated_at = ?"]
            arguments += [rating, update.ratingComment, BusinessTime.rfc3339(at)]
        }
        try db.execute(sql: "UPDATE report SET \(sets.joined(separator: ", ")) WHERE id = ?", arguments: arguments + [id])
        changes.insert(.reportLists)
        changedStall(slotId)
    }

    func addReportEvent(_ event: NewReportEvent, slotId: String?) throws {
        try GuatanDatabase.addEvent(
            db, reportId: event.reportId, at: event.at, role: event.role, actor: event.actor, action: event.action, from: event.from, to: event.to,
            publicNote: event.publicNote, internalNote: event.internalNote)
        // The public timeline and the stall's open cases show it.
        changes.insert(.reportLists)
        changedStall(slotId)
    }

    // MARK: accounts

    func account(username: String) throws -> (account: Account, disabledAt: Date?)? {
        guard let row = try Row.fetchOne(db, cached: "SELECT * FROM account WHERE username = ?", arguments: [username]) else { return nil }
        return (try GuatanDatabase.account(row), (row["disabled_at"] as String?).flatMap(BusinessTime.parseInstant))
    }

    func activeAdminCount() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM account WHERE role = 'admin' AND disabled_at IS NULL") ?? 0
    }

    func insertAccount(username: String, passwordHash: String, role: Role, district: String?, vendorId: String?, at: Date) throws -> Int64 {
        try db.execute(
            sql: """
                INSERT INTO account (username, password_hash, role, district, vendor_id, created_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [username, passwordHash, role.rawValue, district, vendorId, BusinessTime.rfc3339(at)])
        return db.lastInsertedRowID
    }

    func setPasswordHash(accountId: Int64, _ passwordHash: String) throws {
        try db.execute(sql: "UPDATE account SET password_hash = ? WHERE id = ?", arguments: [passwordHash, accountId])
        changes.insert(.sessions(accountId: accountId))
    }

    func setAccountDisabled(accountId: Int64, at: Date?) throws {
        try db.execute(sql: "UPDATE account SET disabled_at = ? WHERE id = ?", arguments: [at.map(BusinessTime.rfc3339), accountId])
        changes.insert(.sessions(accountId: accountId))
    }

    func endSessions(accountId: Int64, except tokenHash: String?, at: Date) throws -> Int {
        try db.execute(
            sql: "UPDATE session SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL AND token_hash IS NOT ?",
            arguments: [BusinessTime.rfc3339(at), accountId, tokenHash])
        changes.insert(.sessions(accountId: accountId))
        return db.changesCount
    }

    func accountSummary(accountId: Int64, at: Date) throws -> AccountSummary {
        try GuatanDatabase.summary(
            try Row.fetchOne(
                db,
                sql: """
                    SELECT a.*, (SELECT count(*) FROM session s WHERE s.account_id = a.id AND s.revoked_at IS NULL AND s.expires_at > ?) AS live
                    FROM account a WHERE a.id = ?
                    """, arguments: [at.timeIntervalSince1970, accountId])!)
    }

    func loginFailures(username: String?, address: String, since: Date) throws -> [Date] {
        let found =
            if let username {
                try Double.fetchAll(
                    db, cached: "SELECT at FROM login_failure WHERE username = ? AND address = ? AND at >= ?",
                    arguments: [username, address, since.timeIntervalSince1970])
            } else {
                try Double.fetchAll(
                    db, cached: "SELECT at FROM login_failure WHERE address = ? AND at >= ?", arguments: [address, since.timeIntervalSince1970])
            }
        return found.map(Date.init(timeIntervalSince1970:))
    }

    func insertLoginFailure(username: String, address: String, at: Date) throws -> Int64 {
        try db.execute(
            sql: "INSERT INTO login_failure (username, address, at) VALUES (?, ?, ?)", arguments: [username, address, at.timeIntervalSince1970])
        return db.lastInsertedRowID
    }

    func deleteLoginFailures(before: Date) throws {
        try db.execute(sql: "DELETE FROM login_failure WHERE at < ?", arguments: [before.timeIntervalSince1970])
    }

    /// A set of states as an SQL list of quoted literals (the states are the enum's own raw values).
    static func list<S: RawRepresentable>(_ states: Set<S>) -> String where S.RawValue == String {
        states.isEmpty ? "(NULL)" : "(" + states.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ") + ")"
    }
}
