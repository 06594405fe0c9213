import Foundation
import GuatanCore
import GuatanStoreInterface

/// One transaction as the services see it, on either database: each method is one statement
/// or query. Every write notes what it changed (`changes`), so no caller can forget to say;
/// the backend publishes them once the transaction has committed.
public final class SQLStoreTransaction: StoreTransaction {
    let db: any SQLConnection
    public private(set) var changes: Set<StoreChange> = []
    /// Outbox events of this transaction, written by `finish()` as its last statements.
    var pendingEvents: [(type: OutboxEventType, entity: String, entityId: String, district: String?, payload: [String: String], at: Date)] = []

    public init(_ db: any SQLConnection) {
        self.db = db
    }

    /// The registry's version moves once per transaction, however many rows it changes.
    func changedRegistry() throws {
        guard !changes.contains(.registry) else { return }
        try SQLQueries.bumpRegistryVersion(db)
        changes.insert(.registry)
    }

    private func changedStall(_ slotId: String?) {
        if let slotId { changes.insert(.stall(slotId: slotId)) }
    }

    /// A stall's status on the map moved (a permit's step, a check-in, a check-out): announced,
    /// not counted in the registry's version, so the snapshot re-reads that stall alone and
    /// frequent writes never share a counter row.
    func changedStatus(_ slotId: String?) {
        guard let slotId else { return }
        changes.insert(.stall(slotId: slotId))
        changes.insert(.stallStatus(slotId: slotId))
    }

    // MARK: numbers

    public func nextNumber(_ sequence: String) throws -> Int64 {
        // One statement: the counter moves and is read under the row's lock, never read then written.
        try db.value(
            """
            INSERT INTO number_sequence (name, value) VALUES (?, 1)
            ON CONFLICT (name) DO UPDATE SET value = number_sequence.value + 1 RETURNING value
            """, [sequence])!
    }

    public func audit(
        actor: String, action: String, entity: String, entityId: String, before: [String: String]?, after: [String: String]?, at: Date
    ) throws {
        try SQLQueries.audit(db, at: at, actor: actor, action: action, entity: entity, entityId: entityId, before: before, after: after)
    }

    // MARK: registry and vendors

    public func registryLoaded() throws -> Bool {
        // Where writers run side by side, the registry's version row is locked first: two
        // instances starting on an empty database load the seed once.
        if db.dialect.locksRows { _ = try db.rows("SELECT key FROM store_meta m WHERE key = 'registry_version'" + db.dialect.lock("m")) }
        return try (db.value("SELECT value FROM store_meta WHERE key = 'seed_loaded_at'") as String?) != nil
            || (db.value("SELECT 1 FROM site LIMIT 1") as Int?) != nil
    }

    public func districtCodes() throws -> Set<String> {
        Set(try db.values("SELECT code FROM district"))
    }

    public func upsertDistrict(_ district: District) throws {
        try db.run(
            """
            INSERT INTO district (code, adcode, name, name_en) VALUES (?, ?, ?, ?)
            ON CONFLICT (code) DO UPDATE SET adcode = excluded.adcode, name = excluded.name, name_en = excluded.name_en
            """,
            [district.code, district.adcode, district.name, district.nameEn])
        try changedRegistry()
    }

    public func site(id: String) throws -> Site? {
        try db.row("SELECT * FROM site WHERE id = ?", [id]).map(SQLRows.site)
    }

    public func slotCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try db.rows("SELECT site_id, COUNT(*) AS n FROM slot GROUP BY site_id") {
            counts[row["site_id"]] = row["n"]
        }
        return counts
    }

    public func insertSite(_ site: Site, at: Date) throws {
        let stamp = BusinessTime.rfc3339(at)
        try db.run(
            """
            INSERT INTO site (id, district, name, address, street_office, lat, lng, opens_at, closes_at, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                site.id, site.district, site.name, site.address, site.streetOffice, site.position.lat, site.position.lng,
                site.opensAt.description, site.closesAt.description, stamp, stamp,
            ])
        try changedRegistry()
    }

    public func updateSite(_ site: Site, at: Date) throws {
        try db.run(
            """
            UPDATE site SET district = ?, name = ?, address = ?, street_office = ?, lat = ?, lng = ?,
                opens_at = ?, closes_at = ?, updated_at = ? WHERE id = ?
            """,
            [
                site.district, site.name, site.address, site.streetOffice, site.position.lat, site.position.lng,
                site.opensAt.description, site.closesAt.description, BusinessTime.rfc3339(at), site.id,
            ])
        try changedRegistry()
    }

    public func insertSlot(_ slot: Slot) throws {
        try db.run(
            "INSERT INTO slot (id, site_id, number, lat, lng) VALUES (?, ?, ?, ?, ?)",
            [slot.id, slot.siteId, slot.number, slot.position.lat, slot.position.lng])
        try changedRegistry()
    }

    public func markSeedLoaded(at: Date) throws {
        try db.run("INSERT INTO store_meta (key, value) VALUES ('seed_loaded_at', ?)", [BusinessTime.rfc3339(at)])
    }

    public func slot(id: String) throws -> SlotPlace? {
        try db.row(
            "SELECT slot.id, slot.site_id, slot.lat, slot.lng, s.district FROM slot JOIN site s ON s.id = slot.site_id WHERE slot.id = ? AND slot.retired_from IS NULL",
            [id]
        ).map { row in
            SlotPlace(slotId: row["id"], siteId: row["site_id"], district: row["district"], position: Coordinate(lat: row["lat"], lng: row["lng"]))
        }
    }

    public func siteExists(id: String) throws -> Bool {
        try (db.value("SELECT 1 FROM site WHERE id = ?", [id]) as Int?) != nil
    }

    public func siteLocations() throws -> [(siteId: String, district: String, position: Coordinate)] {
        try db.rows("SELECT id, district, lat, lng FROM site ORDER BY id").map { row in
            (row["id"], row["district"], Coordinate(lat: row["lat"], lng: row["lng"]))
        }
    }

    public func slotsOfSite(_ siteId: String, season: Int, heldIn states: Set<PermitState>) throws -> [(slotId: String, held: Bool)] {
        let held = Set(
            try db.values(
                "SELECT p.slot_id FROM permit p JOIN slot ON slot.id = p.slot_id WHERE slot.site_id = ? AND p.season = ? AND p.state IN \(SQLList.literals(states))",
                [siteId, season], cached: false) as [String])
        return try (db.values("SELECT id FROM slot WHERE site_id = ? AND retired_from IS NULL ORDER BY number", [siteId]) as [String]).map {
            ($0, held.contains($0))
        }
    }

    public func season(year: Int) throws -> SeasonRecord? {
        guard let row = try db.row("SELECT * FROM season WHERE year = ?", [year]), let season = SQLRows.season(row) else {
            return nil
        }
        return SeasonRecord(season: season, geofenceRadiusM: row["geofence_radius_m"])
    }

    public func vendor(id: String) throws -> Vendor? {
        try db.row("SELECT * FROM vendor WHERE id = ?", [id]).map(SQLRows.vendor)
    }

    public func vendorIds(withPlate plate: String) throws -> [String] {
        try db.values("SELECT id FROM vendor WHERE vehicle_plate = ?", [plate])
    }

    public func vendorId(idCardHash: String) throws -> String? {
        try db.value("SELECT id FROM vendor WHERE id_card_hash = ?", [idCardHash])
    }

    public func insertVendor(_ vendor: Vendor, sequence: Int64, idCardHash: String, at: Date) throws {
        try db.run(
            """
            INSERT INTO vendor (seq, id, name, phone, id_card_hash, id_card_last4, origin, vehicle_plate, produce_json, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                sequence, vendor.id, vendor.name, vendor.phone, idCardHash, vendor.idCardLast4, vendor.origin,
                vendor.vehiclePlate, SQLRows.json(vendor.produce), BusinessTime.rfc3339(at),
            ])
    }

    public func bar(vendorId: String, season: Int) throws -> String? {
        try db.value("SELECT reason FROM vendor_bar WHERE vendor_id = ? AND season = ? AND lifted_at IS NULL", [vendorId, season])
    }

    public func insertBar(vendorId: String, season: Int, reason: String, at: Date) throws -> Bool {
        try db.run(
            "INSERT INTO vendor_bar (vendor_id, season, reason, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [vendorId, season, reason, BusinessTime.rfc3339(at)]) > 0
    }

    // MARK: permits

    public func permitRecord(number: String) throws -> PermitRecord? {
        try lockPermit(number)
        return try SQLQueries.permitRecord(db, number: number)
    }

    /// A permit's row, locked until the commit where writers run side by side: a decision on
    /// its state is never made on a state another writer is changing.
    private func lockPermit(_ number: String) throws {
        if db.dialect.locksRows { _ = try db.rows("SELECT permit_no FROM permit p WHERE p.permit_no = ?\(db.dialect.lock("p"))", [number]) }
    }

    private static let permitPlaceColumns = """
        SELECT p.permit_no, p.season, p.vendor_id, p.slot_id, p.district, p.state, slot.site_id, slot.lat, slot.lng,
               s.opens_at, s.closes_at, s.geofence_radius_m
        FROM permit p JOIN slot ON slot.id = p.slot_id JOIN site s ON s.id = slot.site_id
        """

    private func permitPlace(_ row: SQLRow) throws -> PermitPlace {
        PermitPlace(
            number: row["permit_no"], season: row["season"], vendorId: row["vendor_id"], state: try row.decoded("state"),
            slot: SlotPlace(
                slotId: row["slot_id"], siteId: row["site_id"], district: row["district"], position: Coordinate(lat: row["lat"], lng: row["lng"])),
            siteOpensAt: LocalTime(row["opens_at"] as String) ?? Season.defaultOpensAt,
            siteClosesAt: LocalTime(row["closes_at"] as String) ?? Season.defaultClosesAt, siteGeofenceM: row["geofence_radius_m"])
    }

    public func permitPlace(number: String) throws -> PermitPlace? {
        try db.row(Self.permitPlaceColumns + " WHERE p.permit_no = ?" + db.dialect.lock("p"), [number]).map(permitPlace)
    }

    public func permitPlaces(vendorId: String, season: Int) throws -> [PermitPlace] {
        // Locked: a vendor's taps at once check in once, the others see it and are repeats.
        try db.rows(
            Self.permitPlaceColumns + " WHERE p.vendor_id = ? AND p.season = ? ORDER BY p.seq DESC" + db.dialect.lock("p"), [vendorId, season]
        )
        .map(permitPlace)
    }

    public func permitPlaces(slotId: String, season: Int) throws -> [PermitPlace] {
        try db.rows(Self.permitPlaceColumns + " WHERE p.slot_id = ? AND p.season = ? ORDER BY p.seq DESC" + db.dialect.lock("p"), [slotId, season])
            .map(permitPlace)
    }

    public func permitNumber(season: Int, holder: PermitHolder, states: Set<PermitState>) throws -> String? {
        let (column, value): (String, String) =
            switch holder {
            case .slot(let id): ("slot_id", id)
            case .vendor(let id): ("vendor_id", id)
            case .vehicle(let plate): ("vehicle_plate", plate)
            }
        return try db.value(
            "SELECT permit_no FROM permit WHERE season = ? AND \(column) = ? AND state IN \(SQLList.literals(states)) ORDER BY seq LIMIT 1",
            [season, value])
    }

    public func insertPermit(_ permit: NewPermit) throws {
        let stamp = BusinessTime.rfc3339(permit.at)
        try db.run(
            """
            INSERT INTO permit (permit_no, season, vendor_id, slot_id, district, state, produce_json, vehicle_plate, created_at, updated_at,
                expected_kg, certificate_photo, issued_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                permit.number, permit.season, permit.vendorId, permit.slotId, permit.district, permit.state.rawValue, SQLRows.json(permit.produce),
                permit.vehiclePlate, stamp, stamp, permit.expectedKg, permit.certificatePhoto, permit.state == .issued ? stamp : nil,
            ])
        changedStatus(permit.slotId)
    }

    public func setPermitState(number: String, state: PermitState, issuedAt: Date?, at: Date) throws {
        let slotId: String? = try db.value(
            "UPDATE permit SET state = ?, updated_at = ?, issued_at = COALESCE(issued_at, ?) WHERE permit_no = ? RETURNING slot_id",
            [state.rawValue, BusinessTime.rfc3339(at), issuedAt.map(BusinessTime.rfc3339), number])
        changedStatus(slotId)
    }

    public func insertPhoto(_ photo: StoredPhoto, purpose: String, at: Date) throws {
        try db.run(
            "INSERT INTO photo (id, media_type, byte_count, purpose, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [photo.id, photo.type.rawValue, photo.byteCount, purpose, BusinessTime.rfc3339(at)])
    }

    // MARK: check-ins

    public func checkIn(permitNumber: String, on day: LocalDate) throws -> CheckIn? {
        try SQLQueries.checkIn(db, permitNumber: permitNumber, on: day)
    }

    public func lastPositionedAttempt(vendorId: String) throws -> PreviousAttempt? {
        try SQLQueries.previousAttempt(db, vendorId: vendorId)
    }

    public func insertCheckIn(_ checkIn: CheckIn, position: ReportedPosition?) throws -> Int64 {
        let id: Int64 = try db.value(
            """
            INSERT INTO checkin (permit_no, vendor_id, slot_id, district, business_date, checked_in_at, lat, lng, accuracy_m, distance_m, method, flagged)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """,
            [
                checkIn.permitNumber, checkIn.vendorId, checkIn.slotId, checkIn.district, checkIn.businessDate.description,
                BusinessTime.rfc3339(checkIn.checkedInAt), position?.coordinate.lat, position?.coordinate.lng, position?.accuracyM, checkIn.distanceM,
                checkIn.method.rawValue, checkIn.flaggedForReview,
            ])!
        // The public pages show the stall open now.
        changedStatus(checkIn.slotId)
        return id
    }

    public func recordAttempt(_ attempt: CheckInAttemptRow) throws {
        try db.run(
            """
            INSERT INTO checkin_attempt (vendor_id, permit_no, at, at_epoch, business_date, lat, lng, input_crs, accuracy_m, distance_m,
                implied_speed_kmh, flagged, outcome, refusal, checkin_id, method, actor, reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                attempt.vendorId, attempt.permitNumber, BusinessTime.rfc3339(attempt.at), attempt.at.timeIntervalSince1970,
                attempt.day.description, attempt.position?.coordinate.lat, attempt.position?.coordinate.lng, attempt.inputCRS,
                attempt.position?.accuracyM, attempt.distanceM, attempt.impliedSpeedKmh, attempt.flagged, attempt.outcome,
                attempt.refusal, attempt.checkInId, attempt.method.rawValue, attempt.actor, attempt.reason,
            ])
    }

    public func closeCheckIn(id: Int64, slotId: String, at: Date) throws {
        try db.run("UPDATE checkin SET checked_out_at = ? WHERE id = ?", [BusinessTime.rfc3339(at), id])
        changedStatus(slotId)
    }

    // MARK: points

    public func deductedPoints(permitNumber: String) throws -> [String: Int] {
        var byMonth: [String: Int] = [:]
        for row in try db.rows(
            "SELECT month, SUM(points) AS total FROM point_deduction WHERE permit_no = ? AND annulled_at IS NULL GROUP BY month", [permitNumber])
        {
            byMonth[row["month"]] = row["total"]
        }
        return byMonth
    }

    public func violationPoints(season: Int) throws -> [ViolationCode: Int] {
        try SQLQueries.violationPoints(db, season: season)
    }

    public func insertDeduction(permitNumber: String, month: String, points: Int, code: String, inspectionId: String?, at: Date) throws {
        try db.run(
            "INSERT INTO point_deduction (permit_no, month, points, code, at, inspection_id) VALUES (?, ?, ?, ?, ?, ?)",
            [permitNumber, month, points, code, BusinessTime.rfc3339(at), inspectionId])
    }

    public func deduction(id: Int64) throws -> PointDeduction? {
        try db.row("SELECT * FROM point_deduction d WHERE id = ?" + db.dialect.lock("d"), [id]).map(SQLRows.deduction)
    }

    public func annulDeduction(id: Int64, by actor: String, reason: String, at: Date) throws {
        try db.run(
            "UPDATE point_deduction SET annulled_at = ?, annulled_by = ?, annul_reason = ? WHERE id = ?",
            [BusinessTime.rfc3339(at), actor, reason, id])
    }

    public func setViolationPoints(season: Int, code: ViolationCode, points: Int) throws {
        try db.run(
            "INSERT INTO violation_rule (season, code, points) VALUES (?, ?, ?) ON CONFLICT (season, code) DO UPDATE SET points = excluded.points",
            [season, code.rawValue, points])
    }

    // MARK: inspections

    public func insertInspection(_ inspection: NewInspection, photos: [StoredPhoto]) throws {
        let stamp = BusinessTime.rfc3339(inspection.at)
        try db.run(
            """
            INSERT INTO inspection (seq, id, slot_id, site_id, district, permit_no, officer, result, violations_json, note, lat, lng, distance_m, at,
                business_date, at_stall)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                inspection.sequence, inspection.id, inspection.slot.slotId, inspection.slot.siteId, inspection.slot.district, inspection.permitNumber,
                inspection.officer, inspection.result.rawValue, SQLRows.json(inspection.violations.map(\.rawValue)), inspection.note,
                inspection.position?.lat, inspection.position?.lng, inspection.distanceM, stamp, inspection.day.description,
                inspection.atStall?.rawValue,
            ])
        for (index, photo) in photos.enumerated() {
            try insertPhoto(photo, purpose: "inspection", at: inspection.at)
            try db.run("INSERT INTO inspection_photo (inspection_id, position, photo_id) VALUES (?, ?, ?)", [inspection.id, index + 1, photo.id])
        }
        // The stall's page shows when it was last inspected.
        changedStall(inspection.slot.slotId)
    }

    public func inspection(id: String) throws -> Inspection? {
        try SQLQueries.inspection(db, id: id)
    }

    // MARK: reports

    public func report(id: String, withTimeline: Bool) throws -> Report? {
        // The case's row is locked first: two officers acting on it at once take turns.
        if db.dialect.locksRows { _ = try db.rows("SELECT id FROM report r WHERE r.id = ?\(db.dialect.lock("r"))", [id]) }
        return try SQLQueries.report(db, id: id, withTimeline: withTimeline)
    }

    public func reportId(trackingHash: String) throws -> String? {
        try db.value("SELECT id FROM report WHERE tracking_hash = ?", [trackingHash])
    }

    public func reports(
        category: ReportCategory, states: Set<ReportState>, since: Date, within box: BoundingBox
    ) throws -> [(id: String, position: Coordinate)] {
        try db.rows(
            """
            SELECT id, lat, lng FROM report
            WHERE category = ? AND state IN \(SQLList.literals(states)) AND created_epoch >= ?
              AND lat BETWEEN ? AND ? AND lng BETWEEN ? AND ?
            ORDER BY seq
            """, [category.rawValue, since.timeIntervalSince1970, box.minLat, box.maxLat, box.minLng, box.maxLng]
        ).map { ($0["id"], Coordinate(lat: $0["lat"], lng: $0["lng"])) }
    }

    public func timeLimitMinutes(_ category: ReportCategory) throws -> Int? {
        try db.value("SELECT time_limit_minutes FROM report_category WHERE code = ?", [category.rawValue])
    }

    public func setTimeLimit(_ category: ReportCategory, minutes: Int) throws {
        try db.run("UPDATE report_category SET time_limit_minutes = ? WHERE code = ?", [minutes, category.rawValue])
    }

    public func insertReport(_ report: NewReport, photos: [StoredPhoto]) throws {
        let stamp = BusinessTime.rfc3339(report.at)
        if let voice = report.voice {
            // The file's row, as for a photo: the folder's sweep keeps what a row names.
            try db.run(
                "INSERT INTO photo (id, media_type, byte_count, purpose, created_at) VALUES (?, ?, ?, 'voice', ?) ON CONFLICT DO NOTHING",
                [voice.note.id, voice.note.format.rawValue, voice.byteCount, stamp])
        }
        try db.run(
            """
            INSERT INTO report (seq, id, tracking_hash, category, description, slot_id, site_id, permit_no, district, lat, lng,
                contact_phone, state, duplicate_of, created_at, created_epoch, updated_at, channel, entered_by, notify_sms,
                voice_id, voice_type, voice_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                report.sequence, report.id, report.trackingHash, report.intake.category.rawValue, report.intake.description, report.slotId,
                report.siteId, report.permitNumber, report.district, report.position.lat, report.position.lng, report.intake.contactPhone,
                report.state.rawValue, report.duplicateOf, stamp, report.at.timeIntervalSince1970, stamp, report.channel.rawValue,
                report.enteredBy, report.notifySMS, report.voice?.note.id, report.voice?.note.format.rawValue, report.voice?.note.milliseconds,
            ])
        for (index, photo) in photos.enumerated() {
            try insertPhoto(photo, purpose: "report", at: report.at)
            try db.run("INSERT INTO report_photo (report_id, position, photo_id) VALUES (?, ?, ?)", [report.id, index + 1, photo.id])
        }
        changes.insert(.reportLists)
        changedStall(report.slotId)
    }

    public func updateReport(id: String, slotId: String?, _ update: ReportUpdate, at: Date) throws {
        var sets = ["state = ?", "updated_at = ?"]
        var arguments: SQLArguments = [update.state.rawValue, BusinessTime.rfc3339(at)]
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
        if let district = update.district {
            sets.append("district = ?")
            arguments += [district]
        }
        if let escalated = update.escalatedAt {
            sets.append("escalated_at = ?")
            arguments += [BusinessTime.rfc3339(escalated)]
        } else if update.clearEscalation {
            sets.append("escalated_at = NULL")
        }
        if let due = update.handledDueAt {
            sets.append("handled_due_at = COALESCE(handled_due_at, ?)")
            arguments += [BusinessTime.rfc3339(due)]
        }
        try db.run("UPDATE report SET \(sets.joined(separator: ", ")) WHERE id = ?", arguments + [id])
        changes.insert(.reportLists)
        changedStall(slotId)
    }

    public func addReportEvent(_ event: NewReportEvent, slotId: String?) throws {
        try db.run(
            """
            INSERT INTO report_event (report_id, at, actor_role, actor, action, from_state, to_state, public_note, internal_note)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                event.reportId, BusinessTime.rfc3339(event.at), event.role, event.actor, event.action, event.from?.rawValue, event.to.rawValue,
                event.publicNote, event.internalNote,
            ])
        // The public timeline and the stall's open cases show it.
        changes.insert(.reportLists)
        changedStall(slotId)
    }

    // MARK: accounts

    public func account(username: String) throws -> (account: Account, disabledAt: Date?)? {
        guard let row = try db.row("SELECT * FROM account a WHERE username = ?" + db.dialect.lock("a"), [username]) else { return nil }
        return (try SQLRows.account(row), (row["disabled_at"] as String?).flatMap(BusinessTime.parseInstant))
    }

    public func activeAdminCount() throws -> Int {
        try db.value("SELECT count(*) FROM account WHERE role = 'admin' AND disabled_at IS NULL") ?? 0
    }

    public func insertAccount(username: String, passwordHash: String, role: Role, district: String?, vendorId: String?, at: Date) throws -> Int64 {
        try db.value(
            "INSERT INTO account (username, password_hash, role, district, vendor_id, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [username, passwordHash, role.rawValue, district, vendorId, BusinessTime.rfc3339(at)])!
    }

    public func setPasswordHash(accountId: Int64, _ passwordHash: String) throws {
        try db.run("UPDATE account SET password_hash = ? WHERE id = ?", [passwordHash, accountId])
        changes.insert(.sessions(accountId: accountId))
    }

    public func setAccountDisabled(accountId: Int64, at: Date?) throws {
        try db.run("UPDATE account SET disabled_at = ? WHERE id = ?", [at.map(BusinessTime.rfc3339), accountId])
        changes.insert(.sessions(accountId: accountId))
    }

    public func endSessions(accountId: Int64, except tokenHash: String?, at: Date) throws -> Int {
        let ended = try db.run(
            "UPDATE session SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL AND token_hash IS DISTINCT FROM ?",
            [BusinessTime.rfc3339(at), accountId, tokenHash])
        changes.insert(.sessions(accountId: accountId))
        return ended
    }

    public func accountSummary(accountId: Int64, at: Date) throws -> AccountSummary {
        try SQLRows.summary(
            try db.row(
                """
                SELECT a.*, (SELECT count(*) FROM session s WHERE s.account_id = a.id AND s.revoked_at IS NULL AND s.expires_at > ?) AS live
                FROM account a WHERE a.id = ?
                """, [at.timeIntervalSince1970, accountId])!)
    }

    public func loginFailures(username: String?, address: String, since: Date) throws -> [Date] {
        let found: [Double] =
            if let username {
                try db.values(
                    "SELECT at FROM login_failure WHERE username = ? AND address = ? AND at >= ?", [username, address, since.timeIntervalSince1970])
            } else {
                try db.values("SELECT at FROM login_failure WHERE address = ? AND at >= ?", [address, since.timeIntervalSince1970])
            }
        return found.map(Date.init(timeIntervalSince1970:))
    }

    public func insertLoginFailure(username: String, address: String, at: Date) throws -> Int64 {
        try db.value(
            "INSERT INTO login_failure (username, address, at) VALUES (?, ?, ?) RETURNING id", [username, address, at.timeIntervalSince1970])!
    }

    public func deleteLoginFailures(before: Date) throws {
        try db.run("DELETE FROM login_failure WHERE at < ?", [before.timeIntervalSince1970])
    }
}
