import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface


extension GuatanDatabase: CheckInStore {
    public func checkIn(vendorId: String, position: ReportedPosition?, inputCRS: CoordinateSystem, at: Date) async throws -> CheckInOutcome {
        try await batchedWrite { db in
            let day = BusinessTime.localDate(of: at)
            let permit = try Self.checkInPermit(db, vendorId: vendorId, season: day.year)
            let attempt = Attempt(
                vendorId: vendorId, permitNumber: permit?.number, at: at, day: day, position: position, inputCRS: inputCRS.rawValue,
                method: .vendor, actor: "vendor:\(vendorId)", reason: nil)
            if let permit, let existing = try Self.checkIn(db, permitNumber: permit.number, on: day) {
                try Self.record(db, attempt, decision: nil, outcome: "repeat", checkinId: existing.id)
                return .repeated(existing)
            }
            let previous = try Self.previousAttempt(db, vendorId: vendorId)
            let decision = CheckInPolicy.decide(subject: try permit.map { try Self.subject(db, $0, on: day) }, position: position, previous: previous, at: at)
            return try Self.settle(db, attempt, permit: permit, decision: decision)
        }
    }

    public func checkIn(permitNumber: String, onBehalfBy officer: Account, reason: String, at: Date) async throws -> CheckInOutcome {
        try await batchedWrite { db in
            guard let permit = try Self.checkInPermit(db, number: permitNumber) else {
                throw StoreError.notFound("no permit \(permitNumber)")
            }
            if officer.role != .admin, officer.district != permit.district {
                throw PermitError.forbidden("permit \(permitNumber) belongs to district \(permit.district)")
            }
            let day = BusinessTime.localDate(of: at)
            let attempt = Attempt(
                vendorId: permit.vendorId, permitNumber: permitNumber, at: at, day: day, position: nil, inputCRS: nil, method: .officer,
                actor: "account:\(officer.username)", reason: reason)
            if let existing = try Self.checkIn(db, permitNumber: permitNumber, on: day) {
                try Self.record(db, attempt, decision: nil, outcome: "repeat", checkinId: existing.id)
                return .repeated(existing)
            }
            // The permit of another season is not today's permit: as for a vendor without one.
            let subject = permit.season == day.year ? try Self.subject(db, permit, on: day) : nil
            let decision = CheckInPolicy.decide(subject: subject, position: nil, onBehalf: true, previous: nil, at: at)
            let outcome = try Self.settle(db, attempt, permit: permit, decision: decision)
            if case .created(let checkIn) = outcome {
                try Self.audit(
                    db, at: at, actor: attempt.actor, action: "checkin.on_behalf", entity: "checkin", entityId: String(checkIn.id),
                    before: nil,
                    after: ["permit_no": permitNumber, "business_date": day.description, "reason": reason])
            }
            return outcome
        }
    }

    public func checkOut(vendorId: String, at: Date) async throws -> CheckIn {
        try await batchedWrite { db in
            let day = BusinessTime.localDate(of: at)
            guard let permit = try Self.checkInPermit(db, vendorId: vendorId, season: day.year),
                let existing = try Self.checkIn(db, permitNumber: permit.number, on: day)
            else {
                throw StoreError.notFound("no check-in today (\(day)) to close")
            }
            guard existing.checkedOutAt == nil else { return existing }
            try db.cachedStatement(sql: "UPDATE checkin SET checked_out_at = ? WHERE id = ?").execute(arguments: [BusinessTime.rfc3339(at), existing.id])
            try Self.bumpRegistryVersion(db)
            var closed = existing
            closed.checkedOutAt = at
            return closed
        }
    }

    public func checkIns(vendorId: String, from: LocalDate?, to: LocalDate?, page: PageRequest) async throws -> Page<CheckIn> {
        try await read { db in
            let filter = "vendor_id = ? AND business_date >= ? AND business_date <= ?"
            let arguments: StatementArguments = [vendorId, from?.description ?? "0000-00-00", to?.description ?? "9999-99-99"]
            let total = try Int.fetchOne(db, cached: "SELECT COUNT(*) FROM checkin WHERE \(filter)", arguments: arguments) ?? 0
            let rows = try Row.fetchAll(
                db, cached: "SELECT * FROM checkin WHERE \(filter) ORDER BY business_date DESC, id DESC LIMIT ? OFFSET ?",
                arguments: arguments + [page.perPage, page.offset])
            return Page(items: rows.map(Self.checkIn), total: total, request: page)
        }
    }

    public func checkIns(district: String?, on day: LocalDate, flaggedOnly: Bool, page: PageRequest) async throws -> Page<CheckIn> {
        try await read { db in
            var filter = "business_date = ?"
            var arguments: StatementArguments = [day.description]
            if let district {
                filter += " AND district = ?"
                arguments += [district]
            }
            if flaggedOnly { filter += " AND flagged = 1" }
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM checkin WHERE \(filter)", arguments: arguments) ?? 0
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM checkin WHERE \(filter) ORDER BY checked_in_at DESC, id DESC LIMIT ? OFFSET ?",
                arguments: arguments + [page.perPage, page.offset])
            return Page(items: rows.map(Self.checkIn), total: total, request: page)
        }
    }

    public func pointsBalance(permitNumber: String, on day: LocalDate) async throws -> Int {
        try await read { db in try Self.pointsBalance(db, permitNumber: permitNumber, on: day) }
    }

    public func deductPoints(permitNumber: String, month: String, points: Int, code: String, at: Date) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO point_deduction (permit_no, month, points, code, at) VALUES (?, ?, ?, ?, ?)",
                arguments: [permitNumber, month, points, code, BusinessTime.rfc3339(at)])
        }
    }

    public func checkInAttempts(vendorId: String) async throws -> [CheckInAttemptRecord] {
        try await read { db in
            try Row.fetchAll(db, cached: "SELECT * FROM checkin_attempt WHERE vendor_id = ? ORDER BY id", arguments: [vendorId]).map { row in
                CheckInAttemptRecord(
                    at: Date(timeIntervalSince1970: row["at_epoch"]), permitNumber: row["permit_no"], outcome: row["outcome"],
                    refusal: row["refusal"], distanceM: row["distance_m"], accuracyM: row["accuracy_m"],
                    impliedSpeedKmh: row["implied_speed_kmh"], flagged: row["flagged"], method: row["method"], actor: row["actor"])
            }
        }
    }
}

extension GuatanDatabase {
    /// The permit a check-in is about, with what the rules need of its slot and site.
    struct CheckInPermit {
        var number: String
        var season: Int
        var vendorId: String
        var slotId: String
        var district: String
        var state: PermitState
        var slotPosition: Coordinate
        var siteOpensAt: LocalTime
        var siteClosesAt: LocalTime
        var siteGeofenceM: Double?
    }

    /// One attempt as it will be stored.
    struct Attempt {
        var vendorId: String
        var permitNumber: String?
        var at: Date
        var day: LocalDate
        var position: ReportedPosition?
        var inputCRS: String?
        var method: CheckInMethod
        var actor: String
        var reason: String?
    }

    private static let checkInPermitColumns = """
        SELECT p.permit_no, p.season, p.vendor_id, p.slot_id, p.district, p.state, slot.lat, slot.lng,
               s.opens_at, s.closes_at, s.geofence_radius_m
        FROM permit p JOIN slot ON slot.id = p.slot_id JOIN site s ON s.id = slot.site_id
        """

    /// The vendor's permit for a season: the issued one if any, else the live one, else the
    /// last that ended. Rejected applications are no permit at all.
    static func checkInPermit(_ db: Database, vendorId: String, season: Int) throws -> CheckInPermit? {
        try Row.fetchOne(db, cached: checkInPermitColumns + """
             WHERE p.vendor_id = ? AND p.season = ? AND p.state <> 'rejected'
            ORDER BY CASE p.state WHEN 'issued' THEN 0 WHEN 'suspended' THEN 1 WHEN 'expired' THEN 3 WHEN 'revoked' THEN 3 ELSE 2 END,
                     p.seq DESC
            LIMIT 1
            """, arguments: [vendorId, season]).map(checkInPermit)
    }

    static func checkInPermit(_ db: Database, number: String) throws -> CheckInPermit? {
        try Row.fetchOne(db, cached: checkInPermitColumns + " WHERE p.permit_no = ?", arguments: [number]).map(checkInPermit)
    }

    private static func checkInPermit(_ row: Row) -> CheckInPermit {
        CheckInPermit(
            number: row["permit_no"], season: row["season"], vendorId: row["vendor_id"], slotId: row["slot_id"], district: row["district"],
            state: PermitState(rawValue: row["state"]) ?? .rejected, slotPosition: Coordinate(lat: row["lat"], lng: row["lng"]),
            siteOpensAt: LocalTime(row["opens_at"] as String) ?? Season.defaultOpensAt,
            siteClosesAt: LocalTime(row["closes_at"] as String) ?? Season.defaultClosesAt, siteGeofenceM: row["geofence_radius_m"])
    }

    static func subject(_ db: Database, _ permit: CheckInPermit, on day: LocalDate) throws -> CheckInSubject {
        // One read of the season row: its dates and hours, and its geofence radius.
        let row = try Row.fetchOne(db, cached: "SELECT * FROM season WHERE year = ?", arguments: [permit.season])
        let season = row.flatMap(Self.season) ?? Season.standard(year: permit.season)
        let seasonRadius: Double? = row?["geofence_radius_m"]
        return CheckInSubject(
            permitState: permit.state, season: season, siteOpensAt: permit.siteOpensAt, siteClosesAt: permit.siteClosesAt,
            slotPosition: permit.slotPosition, geofence: Geofence(radiusM: permit.siteGeofenceM ?? seasonRadius ?? Geofence.standard.radiusM),
            pointsBalance: try pointsBalance(db, permitNumber: permit.number, on: day))
    }

    static func pointsBalance(_ db: Database, permitNumber: String, on day: LocalDate) throws -> Int {
        let deducted = try Int.fetchOne(
            db, cached: "SELECT COALESCE(SUM(points), 0) FROM point_deduction WHERE permit_no = ? AND month = ? AND annulled_at IS NULL",
            arguments: [permitNumber, Scoring.month(of: day)]) ?? 0
        return Scoring.balance(deducted: deducted)
    }

    static func previousAttempt(_ db: Database, vendorId: String) throws -> PreviousAttempt? {
        guard let row = try Row.fetchOne(db, cached: """
            SELECT at_epoch, lat, lng, accuracy_m FROM checkin_attempt
            WHERE vendor_id = ? AND lat IS NOT NULL ORDER BY id DESC LIMIT 1
            """, arguments: [vendorId])
        else { return nil }
        return PreviousAttempt(
            at: Date(timeIntervalSince1970: row["at_epoch"]),
            position: ReportedPosition(coordinate: Coordinate(lat: row["lat"], lng: row["lng"]), accuracyM: row["accuracy_m"]))
    }

    static func checkIn(_ db: Database, permitNumber: String, on day: LocalDate) throws -> CheckIn? {
        try Row.fetchOne(db, cached: "SELECT * FROM checkin WHERE permit_no = ? AND business_date = ?", arguments: [permitNumber, day.description])
            .map(checkIn)
    }

    static func checkIn(_ row: Row) -> CheckIn {
        CheckIn(
            id: row["id"], permitNumber: row["permit_no"], vendorId: row["vendor_id"], slotId: row["slot_id"], district: row["district"],
            businessDate: LocalDate(row["business_date"] as String) ?? LocalDate(daysSinceEpoch: 0),
            checkedInAt: BusinessTime.parseInstant(row["checked_in_at"]) ?? Date(timeIntervalSince1970: 0),
            checkedOutAt: (row["checked_out_at"] as String?).flatMap(BusinessTime.parseInstant), distanceM: row["distance_m"],
            accuracyM: row["accuracy_m"], method: CheckInMethod(rawValue: row["method"]) ?? .vendor, flaggedForReview: row["flagged"])
    }

    /// Stores the attempt and, when the rules accepted it, the check-in.
    private static func settle(_ db: Database, _ attempt: Attempt, permit: CheckInPermit?, decision: CheckInDecision) throws -> CheckInOutcome {
        guard decision.accepted, let permit else {
            try record(db, attempt, decision: decision, outcome: "refused", checkinId: nil)
            return .refused(decision.refusal ?? .noPermit, distanceM: decision.distanceM, limits: decision.limits)
        }
        let position = attempt.position
        // Cached statements: the morning's burst runs these thousands of times a minute.
        try db.cachedStatement(
            sql: """
                INSERT INTO checkin (permit_no, vendor_id, slot_id, district, business_date, checked_in_at, lat, lng, accuracy_m, distance_m, method, flagged)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                permit.number, permit.vendorId, permit.slotId, permit.district, attempt.day.description, BusinessTime.rfc3339(attempt.at),
                position?.coordinate.lat, position?.coordinate.lng, position?.accuracyM, decision.distanceM, attempt.method.rawValue,
                decision.flaggedForReview,
            ])
        let id = db.lastInsertedRowID
        try record(db, attempt, decision: decision, outcome: "checked_in", checkinId: id)
        // The public pages show the stall open now.
        try bumpRegistryVersion(db)
        return .created(
            CheckIn(
                id: id, permitNumber: permit.number, vendorId: permit.vendorId, slotId: permit.slotId, district: permit.district,
                businessDate: attempt.day, checkedInAt: attempt.at, checkedOutAt: nil, distanceM: decision.distanceM,
                accuracyM: position?.accuracyM, method: attempt.method, flaggedForReview: decision.flaggedForReview))
    }

    private static func record(_ db: Database, _ attempt: Attempt, decision: CheckInDecision?, outcome: String, checkinId: Int64?) throws {
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
                attempt.position?.accuracyM, decision?.distanceM, decision?.impliedSpeedKmh, decision?.flaggedForReview ?? false, outcome,
                decision?.refusal?.rawValue, checkinId, attempt.method.rawValue, attempt.actor, attempt.reason,
            ])
    }
}
