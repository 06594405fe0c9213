import Foundation
import GuatanCore
import GuatanStoreInterface

/// The allocation's rows, in the SQL both databases speak.
extension SQLStoreTransaction {
    // MARK: seasons

    public func seasonPlan(year: Int) throws -> SeasonPlan? {
        try db.row("SELECT * FROM season s WHERE year = ?" + db.dialect.lock("s"), [year]).flatMap(SQLRows.seasonPlan)
    }

    public func seasonPlans() throws -> [SeasonPlan] {
        try db.rows("SELECT * FROM season ORDER BY year").compactMap(SQLRows.seasonPlan)
    }

    public func insertSeasonPlan(_ plan: SeasonPlan) throws {
        let season = plan.season
        try db.run(
            "INSERT INTO season (year, starts_on, ends_on, opens_at, closes_at, phase) VALUES (?, ?, ?, ?, ?, ?)",
            [
                season.year, season.startsOn.description, season.endsOn.description, season.opensAt.description, season.closesAt.description,
                plan.phase.rawValue,
            ])
        try updateSeasonPlan(plan)
    }

    public func updateSeasonPlan(_ plan: SeasonPlan) throws {
        let season = plan.season
        try db.run(
            """
            UPDATE season SET starts_on = ?, ends_on = ?, opens_at = ?, closes_at = ?, phase = ?, applications_open_on = ?,
                applications_close_on = ?, max_preferences = ?, notice_days = ?, notice_ends_on = ?, renewal_min_share = ?, offer_hours = ?,
                copied_from = ?
            WHERE year = ?
            """,
            [
                season.startsOn.description, season.endsOn.description, season.opensAt.description, season.closesAt.description,
                plan.phase.rawValue, plan.applicationsOpenOn?.description, plan.applicationsCloseOn?.description, plan.maxPreferences,
                plan.noticeDays, plan.noticeEndsOn?.description, plan.renewalMinShare, plan.offerHours, plan.copiedFrom, season.year,
            ])
    }

    public func copySeasonRegistry(from: Int, to: Int) throws -> (sites: Int, slots: Int) {
        let hasCopy = (try db.value("SELECT 1 FROM season_site WHERE season = ? LIMIT 1", [from]) as Int?) != nil
        let sites: Int
        let slots: Int
        if hasCopy {
            sites = try db.run(
                """
                INSERT INTO season_site (season, site_id, district, name, address, street_office, lat, lng, opens_at, closes_at)
                SELECT ?, site_id, district, name, address, street_office, lat, lng, opens_at, closes_at FROM season_site WHERE season = ?
                """, [to, from])
            slots = try db.run(
                "INSERT INTO season_slot (season, slot_id, site_id, number, lat, lng) SELECT ?, slot_id, site_id, number, lat, lng FROM season_slot WHERE season = ?",
                [to, from])
        } else {
            sites = try db.run(
                """
                INSERT INTO season_site (season, site_id, district, name, address, street_office, lat, lng, opens_at, closes_at)
                SELECT ?, id, district, name, address, street_office, lat, lng, opens_at, closes_at FROM site WHERE retired_from IS NULL
                """, [to])
            slots = try db.run(
                "INSERT INTO season_slot (season, slot_id, site_id, number, lat, lng) SELECT ?, id, site_id, number, lat, lng FROM slot WHERE retired_from IS NULL",
                [to])
        }
        return (sites, slots)
    }

    public func seasonSlots(year: Int) throws -> [SeasonSlot] {
        try db.rows(
            """
            SELECT sl.slot_id, sl.site_id, s.name, s.district, sl.number FROM season_slot sl
            JOIN season_site s ON s.season = sl.season AND s.site_id = sl.site_id
            WHERE sl.season = ? ORDER BY sl.site_id, sl.number
            """, [year]
        ).map { SeasonSlot(slotId: $0["slot_id"], siteId: $0["site_id"], siteName: $0["name"], district: $0["district"], number: $0["number"]) }
    }

    public func seasonSite(year: Int, siteId: String) throws -> (district: String, name: String)? {
        try db.row("SELECT district, name FROM season_site WHERE season = ? AND site_id = ?", [year, siteId]).map { ($0["district"], $0["name"]) }
    }

    public func seasonSiteRows(year: Int) throws -> [(site: Site, slots: Int)] {
        try db.rows(
            """
            SELECT s.site_id AS id, s.district, s.name, s.address, s.street_office, s.lat, s.lng, s.opens_at, s.closes_at,
                   (SELECT COUNT(*) FROM season_slot sl WHERE sl.season = s.season AND sl.site_id = s.site_id) AS slots
            FROM season_site s WHERE s.season = ? ORDER BY s.site_id
            """, [year]
        ).map { (SQLRows.site($0), $0["slots"]) }
    }

    public func upsertSeasonSite(year: Int, _ site: Site) throws {
        try db.run(
            """
            INSERT INTO season_site (season, site_id, district, name, address, street_office, lat, lng, opens_at, closes_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (season, site_id) DO UPDATE SET district = excluded.district, name = excluded.name, address = excluded.address,
                street_office = excluded.street_office, lat = excluded.lat, lng = excluded.lng, opens_at = excluded.opens_at,
                closes_at = excluded.closes_at
            """,
            [
                year, site.id, site.district, site.name, site.address, site.streetOffice, site.position.lat, site.position.lng,
                site.opensAt.description, site.closesAt.description,
            ])
    }

    public func deleteSeasonSite(year: Int, siteId: String) throws {
        try db.run("DELETE FROM season_slot WHERE season = ? AND site_id = ?", [year, siteId])
        try db.run("DELETE FROM season_site WHERE season = ? AND site_id = ?", [year, siteId])
    }

    public func shiftSeasonSlots(year: Int, siteId: String, dLat: Double, dLng: Double) throws {
        try db.run("UPDATE season_slot SET lat = lat + ?, lng = lng + ? WHERE season = ? AND site_id = ?", [dLat, dLng, year, siteId])
    }

    public func setSeasonSlotCount(year: Int, siteId: String, count: Int, position: Coordinate) throws {
        try db.run("DELETE FROM season_slot WHERE season = ? AND site_id = ? AND number > ?", [year, siteId, count])
        let existing: [Int] = try db.values("SELECT number FROM season_slot WHERE season = ? AND site_id = ?", [year, siteId])
        for number in Set(1...max(count, 1)).subtracting(existing).sorted() where number <= count {
            try db.run(
                "INSERT INTO season_slot (season, slot_id, site_id, number, lat, lng) VALUES (?, ?, ?, ?, ?, ?)",
                [year, Slot.id(siteId: siteId, number: number), siteId, number, position.lat, position.lng])
        }
    }

    public func releaseSeasonRegistry(year: Int, at: Date) throws -> (sites: Int, slots: Int) {
        let stamp = BusinessTime.rfc3339(at)
        // Sites the season changed take its name, address, place and hours; new ones are added.
        let changed = try db.run(
            """
            UPDATE site SET name = ss.name, address = ss.address, street_office = ss.street_office, lat = ss.lat, lng = ss.lng,
                opens_at = ss.opens_at, closes_at = ss.closes_at, updated_at = ?
            FROM season_site ss
            WHERE ss.season = ? AND ss.site_id = site.id
              AND (site.name <> ss.name OR site.address <> ss.address OR site.street_office <> ss.street_office OR site.lat <> ss.lat
                   OR site.lng <> ss.lng OR site.opens_at <> ss.opens_at OR site.closes_at <> ss.closes_at)
            """, [stamp, year])
        let added = try db.run(
            """
            INSERT INTO site (id, district, name, address, street_office, lat, lng, opens_at, closes_at, created_at, updated_at)
            SELECT site_id, district, name, address, street_office, lat, lng, opens_at, closes_at, ?, ? FROM season_site ss
            WHERE ss.season = ? AND NOT EXISTS (SELECT 1 FROM site WHERE site.id = ss.site_id)
            """, [stamp, stamp, year])
        let moved = try db.run(
            """
            UPDATE slot SET lat = sl.lat, lng = sl.lng FROM season_slot sl
            WHERE sl.season = ? AND sl.slot_id = slot.id AND (slot.lat <> sl.lat OR slot.lng <> sl.lng)
            """, [year])
        let slots = try db.run(
            """
            INSERT INTO slot (id, site_id, number, lat, lng)
            SELECT slot_id, site_id, number, lat, lng FROM season_slot sl
            WHERE sl.season = ? AND NOT EXISTS (SELECT 1 FROM slot WHERE slot.id = sl.slot_id)
            """, [year])
        // What the season no longer offers leaves the live registry (kept for what names it);
        // what it offers again comes back.
        let retiredSites = try db.run(
            """
            UPDATE site SET retired_from = CASE WHEN id IN (SELECT site_id FROM season_site WHERE season = ?) THEN NULL ELSE ? END, updated_at = ?
            WHERE (retired_from IS NULL) = (id NOT IN (SELECT site_id FROM season_site WHERE season = ?))
            """, [year, year, stamp, year])
        let retiredSlots = try db.run(
            """
            UPDATE slot SET retired_from = CASE WHEN id IN (SELECT slot_id FROM season_slot WHERE season = ?) THEN NULL ELSE ? END
            WHERE (retired_from IS NULL) = (id NOT IN (SELECT slot_id FROM season_slot WHERE season = ?))
            """, [year, year, year])
        if changed + added + moved + slots + retiredSites + retiredSlots > 0 { try changedRegistry() }
        return (changed + added + retiredSites, slots + moved + retiredSlots)
    }

    // MARK: applications

    private static let applicationColumns = """
        SELECT a.*, v.name AS holder_name, CASE WHEN a.certificate_photo IS NULL THEN 0 ELSE 1 END AS has_certificate
        FROM application a JOIN vendor v ON v.id = a.vendor_id
        """

    public func insertApplication(_ application: NewApplication) throws {
        let stamp = BusinessTime.rfc3339(application.at)
        let request = application.request
        try db.run(
            """
            INSERT INTO application (application_no, season, vendor_id, district, state, preferences_json, renewal_slot, priority_claim,
                produce_json, expected_kg, vehicle_plate, certificate_photo, household_size, helpers_json, created_at, updated_at)
            VALUES (?, ?, ?, ?, 'submitted', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                application.number, application.season, application.vendorId, application.district, SQLRows.json(request.preferences),
                application.renewalSlot, request.priorityClaim, SQLRows.json(request.produce), request.expectedKg, application.vehiclePlate,
                application.certificatePhoto, request.householdIdCards.count + 1, SQLRows.helpersJSON(application.helpers), stamp, stamp,
            ])
    }

    public func issueAllocatedPermits(season: Int, actor: String, at: Date) throws -> Int {
        let live = PermitState.live.map(\.rawValue).sorted()
        let liveIn = "p.state IN (\(live.map { "'\($0)'" }.joined(separator: ", ")))"
        let pending = "a.season = ? AND a.state = 'qualified' AND a.slot_id IS NOT NULL AND a.permit_no IS NULL"
        // The rules each permit is issued under (PermitService.insert), asked of all at once.
        if let row = try db.row(
            """
            SELECT application_no, conflict FROM (
                SELECT a.application_no, CASE
                    WHEN EXISTS (SELECT 1 FROM vendor_bar b WHERE b.vendor_id = a.vendor_id AND b.season = a.season AND b.lifted_at IS NULL)
                        THEN 'the vendor is barred from the season'
                    WHEN EXISTS (SELECT 1 FROM permit p WHERE p.season = a.season AND p.slot_id = a.slot_id AND \(liveIn))
                        THEN 'the slot already has a live permit'
                    WHEN EXISTS (SELECT 1 FROM permit p WHERE p.season = a.season AND p.vendor_id = a.vendor_id AND \(liveIn))
                        THEN 'the vendor already has a live permit'
                    WHEN EXISTS (SELECT 1 FROM vendor o WHERE o.vehicle_plate = a.vehicle_plate AND o.id <> a.vendor_id)
                        THEN 'the vehicle is registered to another vendor (一车一证)'
                    WHEN EXISTS (SELECT 1 FROM permit p WHERE p.season = a.season AND p.vehicle_plate = a.vehicle_plate AND \(liveIn))
                        THEN 'the vehicle already has a live permit (一车一证)'
                    END AS conflict
                FROM application a WHERE \(pending)
            ) c WHERE conflict IS NOT NULL ORDER BY application_no LIMIT 1
            """, [season])
        {
            throw AllocationIssueConflict(applicationNo: row["application_no"], reason: row["conflict"])
        }
        let rows = try db.rows(
            """
            SELECT a.application_no, a.vendor_id, a.slot_id, s.district, a.produce_json, v.produce_json AS vendor_produce, a.vehicle_plate,
                a.expected_kg, a.helpers_json
            FROM application a JOIN vendor v ON v.id = a.vendor_id JOIN slot sl ON sl.id = a.slot_id JOIN site s ON s.id = sl.site_id
            WHERE \(pending) ORDER BY a.application_no
            """, [season])
        var plates: [String: String] = [:]
        for row in rows {
            let plate: String = row["vehicle_plate"]
            let number: String = row["application_no"]
            if let first = plates.updateValue(number, forKey: plate) {
                throw AllocationIssueConflict(applicationNo: number, reason: "the vehicle is allocated to \(first) too (一车一证)")
            }
        }
        // Each district's numbers reserved in one step, then handed out in application order.
        var next: [String: Int] = [:]
        for (district, count) in Dictionary(grouping: rows, by: { $0["district"] as String }).mapValues(\.count) {
            let last: Int64 = try db.value(
                """
                INSERT INTO number_sequence (name, value) VALUES (?, ?)
                ON CONFLICT (name) DO UPDATE SET value = number_sequence.value + ? RETURNING value
                """, ["permit/\(season)/\(district)", count, count])!
            next[district] = Int(last) - count + 1
        }
        let stamp = BusinessTime.rfc3339(at)
        let chunk = 60
        for start in stride(from: 0, to: rows.count, by: chunk) {
            let part = rows[start..<min(start + chunk, rows.count)]
            var permits = SQLArguments()
            var audits = SQLArguments()
            for row in part {
                let district: String = row["district"]
                let number = PermitWorkflow.permitNumber(year: season, district: district, sequence: next[district]!)
                next[district]! += 1
                let produce: String = row["produce_json"]
                let vendorId: String = row["vendor_id"]
                let slotId: String = row["slot_id"]
                let expectedKg: Double? = row["expected_kg"]
                permits.values +=
                    ([
                        number, season, vendorId, slotId, district, PermitState.issued.rawValue,
                        SQLRows.decodeList(produce).isEmpty ? row["vendor_produce"] as String : produce, row["vehicle_plate"] as String, stamp,
                        stamp, expectedKg, stamp, row["helpers_json"] as String,
                    ] as [(any SQLArgument)?]).map { $0?.sqlValue ?? .null }
                var after = ["state": PermitState.issued.rawValue, "vendor_id": vendorId, "slot_id": slotId, "season": String(season)]
                after["expected_kg"] = expectedKg.map { String($0) }
                audits.values += ([stamp, actor, "permit.create", "permit", number, nil, SQLQueries.json(after)] as [(any SQLArgument)?])
                    .map { $0?.sqlValue ?? .null }
                // Each permit's outbox event (its vendor is told), written with the transaction's others at its end.
                try emit(
                    .permitIssued, entity: "permit", entityId: number, district: district,
                    payload: ["permit_no": number, "state": "issued", "vendor_id": vendorId, "slot_id": slotId, "season": String(season)], at: at)
            }
            try db.run(
                """
                INSERT INTO permit (permit_no, season, vendor_id, slot_id, district, state, produce_json, vehicle_plate, created_at, updated_at,
                    expected_kg, issued_at, helpers_json)
                VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: part.count).joined(separator: ", "))
                """, permits, cached: part.count == chunk)
            try db.run(
                """
                INSERT INTO audit_log (at, actor, action, entity, entity_id, before_json, after_json)
                VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?)", count: part.count).joined(separator: ", "))
                """, audits, cached: part.count == chunk)
        }
        try db.run(
            """
            UPDATE application SET permit_no = p.permit_no, updated_at = ?
            FROM permit p
            WHERE application.season = ? AND application.state = 'qualified' AND application.slot_id IS NOT NULL AND application.permit_no IS NULL
              AND p.season = application.season AND p.vendor_id = application.vendor_id AND p.slot_id = application.slot_id AND p.state = 'issued'
            """, [stamp, season])
        // Every stall's status moved: the map's snapshot is read again as a whole.
        if !rows.isEmpty { try changedRegistry() }
        return rows.count
    }

    public func permitHelpers(number: String) throws -> [StoredHelper] {
        SQLRows.helpers(try db.value("SELECT helpers_json FROM permit WHERE permit_no = ?", [number]) ?? "[]")
    }

    public func setPermitHelpers(number: String, _ helpers: [StoredHelper]) throws {
        try db.run("UPDATE permit SET helpers_json = ? WHERE permit_no = ?", [SQLRows.helpersJSON(helpers), number])
    }

    public func application(number: String) throws -> ApplicationRecord? {
        try db.row(Self.applicationColumns + " WHERE a.application_no = ?" + db.dialect.lock("a"), [number]).map(SQLRows.application)
    }

    public func application(vendorId: String, season: Int) throws -> ApplicationRecord? {
        let held = ApplicationState.allCases.filter(\.holdsTheSeason)
        return try db.row(
            Self.applicationColumns + " WHERE a.vendor_id = ? AND a.season = ? AND a.state IN (\(SQLRows.placeholders(held.count)))"
                + db.dialect.lock("a"),
            SQLArguments([vendorId, season] + held.map(\.rawValue) as [any SQLArgument])
        ).map(SQLRows.application)
    }

    public func applications(season: Int, states: Set<ApplicationState>) throws -> [ApplicationRecord] {
        let list = states.map(\.rawValue).sorted()
        return try db.rows(
            Self.applicationColumns + " WHERE a.season = ? AND a.state IN (\(SQLRows.placeholders(list.count))) ORDER BY a.application_no",
            SQLArguments([season] + list as [any SQLArgument])
        ).map(SQLRows.application)
    }

    public func applicationCount(season: Int, states: Set<ApplicationState>) throws -> Int {
        let list = states.map(\.rawValue).sorted()
        return try db.value(
            "SELECT COUNT(*) FROM application WHERE season = ? AND state IN (\(SQLRows.placeholders(list.count)))",
            SQLArguments([season] + list as [any SQLArgument]))
            ?? 0
    }

    public func setApplicationState(number: String, state: ApplicationState, reason: String?, at: Date) throws {
        try db.run(
            "UPDATE application SET state = ?, reason = COALESCE(?, reason), updated_at = ? WHERE application_no = ?",
            [state.rawValue, reason, BusinessTime.rfc3339(at), number])
    }

    public func setPriorityVerified(number: String, _ verified: Bool) throws {
        try db.run("UPDATE application SET priority_verified = ? WHERE application_no = ?", [verified, number])
    }

    public func setApplicationTiers(_ numbers: [String], tier: Int) throws {
        for start in stride(from: 0, to: numbers.count, by: 500) {
            let part = numbers[start..<min(start + 500, numbers.count)]
            try db.run(
                "UPDATE application SET tier = ? WHERE application_no IN (\(SQLRows.placeholders(part.count)))",
                SQLArguments([tier] + Array(part) as [any SQLArgument]), cached: part.count == 500)
        }
    }

    public func drawCandidates(season: Int) throws -> [DrawCandidate] {
        var deducted: [String: [String: Int]] = [:]
        for row in try db.rows(
            """
            SELECT d.permit_no, d.month, SUM(d.points) AS total FROM point_deduction d JOIN permit p ON p.permit_no = d.permit_no
            WHERE p.season = ? AND d.annulled_at IS NULL GROUP BY d.permit_no, d.month
            """, [season - 1])
        {
            deducted[row["permit_no"], default: [:]][row["month"]] = row["total"]
        }
        return try db.rows(
            """
            SELECT a.application_no, v.name AS holder_name, a.preferences_json, a.renewal_slot, a.priority_verified,
                lp.permit_no AS last_permit, lp.state AS last_state, (SELECT COUNT(*) FROM checkin c WHERE c.permit_no = lp.permit_no) AS last_days
            FROM application a JOIN vendor v ON v.id = a.vendor_id
            LEFT JOIN permit lp ON a.renewal_slot IS NOT NULL AND lp.permit_no = (
                SELECT p.permit_no FROM permit p WHERE p.vendor_id = a.vendor_id AND p.season = ? AND p.issued_at IS NOT NULL
                ORDER BY p.seq DESC LIMIT 1)
            WHERE a.season = ? AND a.state = 'qualified' ORDER BY a.application_no
            """, [season - 1, season]
        ).map { row in
            let last: String? = row["last_permit"]
            return DrawCandidate(
                applicationNo: row["application_no"], holderName: row["holder_name"], preferences: SQLRows.decodeList(row["preferences_json"]),
                renewalSlot: row["renewal_slot"], priorityVerified: row["priority_verified"],
                lastSeason: try last.map { number in
                    LastSeasonPermit(state: try row.decoded("last_state"), checkInDays: row["last_days"], deductedByMonth: deducted[number] ?? [:])
                })
        }
    }

    public func setApplicationTiers(season: Int, tier: Int) throws {
        try db.run("UPDATE application SET tier = ? WHERE season = ? AND state = 'qualified'", [tier, season])
    }

    public func setApplicationSlots(_ rows: [(number: String, slotId: String?, rank: Int?)], at: Date) throws {
        let stamp = BusinessTime.rfc3339(at)
        let chunk = 300
        for start in stride(from: 0, to: rows.count, by: chunk) {
            let part = rows[start..<min(start + chunk, rows.count)]
            var arguments = SQLArguments()
            for row in part {
                arguments.values += [.text(row.number), row.slotId.map { .text($0) } ?? .null, row.rank.map { .integer(Int64($0)) } ?? .null]
            }
            // Joined to a list of values, not a CASE per row (which compared every number with
            // every row's); a full chunk's statement is prepared once.
            try db.run(
                """
                WITH v (application_no, slot_id, drawn_rank) AS (VALUES \(Array(repeating: "(?, ?, ?)", count: part.count).joined(separator: ", ")))
                UPDATE application SET slot_id = CAST(v.slot_id AS TEXT), drawn_rank = CAST(v.drawn_rank AS INTEGER), permit_no = NULL,
                    updated_at = ?
                FROM v WHERE application.application_no = v.application_no
                """, arguments + [stamp], cached: part.count == chunk)
        }
    }

    public func setApplicationSlot(number: String, slotId: String?, rank: Int?, permitNumber: String?, at: Date) throws {
        try db.run(
            "UPDATE application SET slot_id = ?, drawn_rank = ?, permit_no = ?, updated_at = ? WHERE application_no = ?",
            [slotId, rank, permitNumber, BusinessTime.rfc3339(at), number])
    }

    public func insertHouseholdMember(season: Int, idCardHash: String, applicationNo: String) throws -> Bool {
        try db.run(
            "INSERT INTO application_household (season, id_card_hash, application_no) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [season, idCardHash, applicationNo]) > 0
    }

    public func releaseHousehold(applicationNo: String) throws {
        try db.run("DELETE FROM application_household WHERE application_no = ?", [applicationNo])
    }

    public func idCardHash(vendorId: String) throws -> String? {
        try db.value("SELECT id_card_hash FROM vendor WHERE id = ?", [vendorId])
    }

    public func issuedPermit(vendorId: String, season: Int) throws -> IssuedPermit? {
        try db.row(
            """
            SELECT p.permit_no, p.slot_id, p.state, (SELECT COUNT(*) FROM checkin c WHERE c.permit_no = p.permit_no) AS days
            FROM permit p WHERE p.vendor_id = ? AND p.season = ? AND p.issued_at IS NOT NULL ORDER BY p.seq DESC LIMIT 1
            """, [vendorId, season]
        ).map { row in
            IssuedPermit(number: row["permit_no"], slotId: row["slot_id"], state: try row.decoded("state"), checkInDays: row["days"])
        }
    }

    public func permitHistory(vendorId: String) throws -> [PermitHistoryRow] {
        try db.rows(
            """
            SELECT p.permit_no, p.season, p.slot_id, p.state, p.issued_at,
                   (SELECT COUNT(*) FROM checkin c WHERE c.permit_no = p.permit_no) AS days
            FROM permit p WHERE p.vendor_id = ? AND p.issued_at IS NOT NULL ORDER BY p.season, p.seq
            """, [vendorId]
        ).map { row in
            PermitHistoryRow(
                number: row["permit_no"], season: row["season"], slotId: row["slot_id"], state: try row.decoded("state"),
                issuedAt: (row["issued_at"] as String?).flatMap(BusinessTime.parseInstant), checkInDays: row["days"])
        }
    }

    public func bars(vendorId: String) throws -> [VendorBar] {
        try db.rows("SELECT * FROM vendor_bar WHERE vendor_id = ? ORDER BY season", [vendorId]).map { row in
            VendorBar(
                season: row["season"], reason: row["reason"], createdAt: BusinessTime.parseInstant(row["created_at"]),
                liftedAt: (row["lifted_at"] as String?).flatMap(BusinessTime.parseInstant), liftReason: row["lift_reason"])
        }
    }

    public func liftBar(vendorId: String, season: Int, reason: String, by actor: String, at: Date) throws -> Bool {
        try db.run(
            "UPDATE vendor_bar SET lifted_at = ?, lifted_by = ?, lift_reason = ? WHERE vendor_id = ? AND season = ? AND lifted_at IS NULL",
            [BusinessTime.rfc3339(at), actor, reason, vendorId, season]) > 0
    }

    public func warnIdle(_ warning: IdleWarning, by actor: String) throws {
        try db.run(
            """
            INSERT INTO permit_warning (permit_no, warned_at, reclaim_on, warned_by) VALUES (?, ?, ?, ?)
            ON CONFLICT (permit_no) DO UPDATE SET warned_at = excluded.warned_at, reclaim_on = excluded.reclaim_on, warned_by = excluded.warned_by
            """, [warning.permitNumber, BusinessTime.rfc3339(warning.warnedAt), warning.reclaimOn.description, actor])
    }

    public func idleWarning(permitNumber: String) throws -> IdleWarning? {
        try db.row("SELECT * FROM permit_warning WHERE permit_no = ?", [permitNumber]).flatMap(SQLRows.idleWarning)
    }

    public func idleWarnings(vendorId: String) throws -> [IdleWarning] {
        try db.rows(
            "SELECT w.* FROM permit_warning w JOIN permit p ON p.permit_no = w.permit_no WHERE p.vendor_id = ? ORDER BY w.warned_at", [vendorId]
        ).compactMap(SQLRows.idleWarning)
    }

    public func checkInCount(permitNumber: String, since day: LocalDate) throws -> Int {
        try db.value("SELECT COUNT(*) FROM checkin WHERE permit_no = ? AND business_date >= ?", [permitNumber, day.description]) ?? 0
    }

    // MARK: the draw and the waitlists

    public func insertDraw(_ draw: DrawRecord) throws {
        try db.run(
            "INSERT INTO season_draw (season, commitment, seed_hex, published_json, published_at, excluded_json) VALUES (?, ?, ?, ?, ?, ?)",
            [
                draw.season, draw.commitment, draw.seedHex, draw.publishedJSON, draw.publishedAt.map(BusinessTime.rfc3339) ?? "",
                SQLRows.json(draw.excluded),
            ])
    }

    public func draw(season: Int) throws -> DrawRecord? {
        try db.row("SELECT * FROM season_draw d WHERE season = ?" + db.dialect.lock("d"), [season]).map { row in
            DrawRecord(
                season: row["season"], commitment: row["commitment"], seedHex: row["seed_hex"], publishedJSON: row["published_json"],
                publishedAt: BusinessTime.parseInstant(row["published_at"]), drawnAt: (row["drawn_at"] as String?).flatMap(BusinessTime.parseInstant),
                excluded: SQLRows.decodeList(row["excluded_json"]))
        }
    }

    public func publishedFile(season: Int) throws -> String? {
        try db.value("SELECT published_json FROM season_draw WHERE season = ?", [season])
    }

    public func drawSummary(season: Int) throws -> DrawRecord? {
        try db.row("SELECT season, commitment, published_at, drawn_at, excluded_json FROM season_draw WHERE season = ?", [season]).map { row in
            DrawRecord(
                season: row["season"], commitment: row["commitment"], seedHex: "", publishedJSON: "",
                publishedAt: BusinessTime.parseInstant(row["published_at"]), drawnAt: (row["drawn_at"] as String?).flatMap(BusinessTime.parseInstant),
                excluded: SQLRows.decodeList(row["excluded_json"]))
        }
    }

    public func applicationPermits(season: Int) throws -> [String: String] {
        var permits: [String: String] = [:]
        try db.forEachRow("SELECT application_no, permit_no FROM application WHERE season = ? AND permit_no IS NOT NULL", [season], cached: true) {
            permits[$0[0]] = $0[1]
        }
        return permits
    }

    public func permitNumbersToBe(season: Int) throws -> [String: String] {
        var next: [String: Int] = [:]
        let prefix = "permit/\(season)/"
        for row in try db.rows("SELECT name, value FROM number_sequence WHERE name LIKE ?", [prefix + "%"]) {
            let name: String = row["name"]
            next[String(name.dropFirst(prefix.count))] = Int(row["value"] as Int64) + 1
        }
        var numbers: [String: String] = [:]
        // The season's own registry: a slot new this season is not in the live one before allocation.
        try db.forEachRow(
            """
            SELECT a.application_no, st.district FROM application a
            JOIN season_slot ss ON ss.season = a.season AND ss.slot_id = a.slot_id
            JOIN season_site st ON st.season = ss.season AND st.site_id = ss.site_id
            WHERE a.season = ? AND a.state = 'qualified' AND a.slot_id IS NOT NULL AND a.permit_no IS NULL ORDER BY a.application_no
            """, [season], cached: true
        ) { row in
            let district: String = row[1]
            let sequence = next[district, default: 1]
            numbers[row[0]] = PermitWorkflow.permitNumber(year: season, district: district, sequence: sequence)
            next[district] = sequence + 1
        }
        return numbers
    }

    public func updateDraw(_ draw: DrawRecord) throws {
        try db.run(
            "UPDATE season_draw SET published_json = ?, drawn_at = ?, excluded_json = ? WHERE season = ?",
            [draw.publishedJSON, draw.drawnAt.map(BusinessTime.rfc3339), SQLRows.json(draw.excluded), draw.season])
    }

    public func replaceWaitlists(season: Int, _ waitlists: [String: [String]]) throws {
        try db.run("DELETE FROM waitlist WHERE season = ?", [season])
        for (site, numbers) in waitlists.sorted(by: { $0.key < $1.key }) {
            // Several rows a statement: a national season's waitlists hold a million places.
            for chunk in stride(from: 0, to: numbers.count, by: 200) {
                let part = numbers[chunk..<min(chunk + 200, numbers.count)]
                var arguments = SQLArguments()
                for (offset, number) in part.enumerated() {
                    arguments += SQLArguments([season, site, chunk + offset + 1, number] as [any SQLArgument])
                }
                try db.run(
                    "INSERT INTO waitlist (season, site_id, position, application_no) VALUES "
                        + Array(repeating: "(?, ?, ?, ?)", count: part.count).joined(separator: ", "),
                    arguments, cached: part.count == 200)
            }
        }
    }

    /// Still waiting: qualified, no slot yet, no offer open.
    private static let waiting = """
        a.state = 'qualified' AND a.slot_id IS NULL
          AND NOT EXISTS (SELECT 1 FROM waitlist_offer o WHERE o.application_no = a.application_no AND o.state = 'open')
        """

    public func drawnSeed(season: Int) throws -> String? {
        try db.value("SELECT seed_hex FROM season_draw WHERE season = ? AND drawn_at IS NOT NULL", [season])
    }

    public func waitingInDistrict(season: Int, district: String) throws -> [(applicationNo: String, tier: Int)] {
        try db.rows(
            """
            SELECT a.application_no, COALESCE(a.tier, 3) AS tier FROM application a
            WHERE a.season = ? AND a.district = ? AND \(Self.waiting)
              AND EXISTS (SELECT 1 FROM waitlist w WHERE w.application_no = a.application_no)
            """, [season, district]
        ).map { ($0["application_no"], $0["tier"]) }
    }

    public func nextWaiting(season: Int, siteId: String) throws -> ApplicationRecord? {
        guard
            let number: String = try db.value(
                """
                SELECT w.application_no FROM waitlist w JOIN application a ON a.application_no = w.application_no
                WHERE w.season = ? AND w.site_id = ? AND \(Self.waiting)
                ORDER BY w.position LIMIT 1
                """, [season, siteId])
        else { return nil }
        return try application(number: number)
    }

    public func waitlistPlaces(applicationNo: String) throws -> [WaitlistPlace] {
        try db.rows(
            """
            SELECT w.site_id, (SELECT COUNT(*) FROM waitlist w2 JOIN application a ON a.application_no = w2.application_no
                               WHERE w2.season = w.season AND w2.site_id = w.site_id AND w2.position <= w.position AND \(Self.waiting)) AS place
            FROM waitlist w JOIN application mine ON mine.application_no = w.application_no
            WHERE w.application_no = ? AND mine.state = 'qualified' AND mine.slot_id IS NULL
            ORDER BY w.site_id
            """, [applicationNo]
        ).map { WaitlistPlace(siteId: $0["site_id"], position: $0["place"]) }
    }

    // MARK: objections

    public func insertObjection(_ objection: Objection) throws {
        try db.run(
            "INSERT INTO objection (objection_no, season, application_no, reason, state, created_at) VALUES (?, ?, ?, ?, 'open', ?)",
            [
                objection.number, objection.season, objection.applicationNo, objection.reason,
                BusinessTime.rfc3339(objection.createdAt ?? Date()),
            ])
    }

    public func objection(number: String) throws -> Objection? {
        try db.row("SELECT * FROM objection o WHERE objection_no = ?" + db.dialect.lock("o"), [number]).map(SQLRows.objection)
    }

    public func objections(season: Int) throws -> [Objection] {
        try db.rows("SELECT * FROM objection WHERE season = ? ORDER BY objection_no", [season]).map(SQLRows.objection)
    }

    public func answerObjection(number: String, state: ObjectionState, answer: String, at: Date) throws {
        try db.run(
            "UPDATE objection SET state = ?, answer = ?, answered_at = ? WHERE objection_no = ?",
            [state.rawValue, answer, BusinessTime.rfc3339(at), number])
    }

    // MARK: offers

    public func insertOffer(_ offer: WaitlistOffer) throws {
        try db.run(
            """
            INSERT INTO waitlist_offer (offer_no, season, slot_id, site_id, district, application_no, state, offered_at, deadline)
            VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)
            """,
            [
                offer.number, offer.season, offer.slotId, offer.siteId, offer.district, offer.applicationNo, BusinessTime.rfc3339(offer.offeredAt),
                BusinessTime.rfc3339(offer.deadline),
            ])
    }

    public func offer(number: String) throws -> WaitlistOffer? {
        try db.row("SELECT * FROM waitlist_offer o WHERE offer_no = ?" + db.dialect.lock("o"), [number]).map(SQLRows.offer)
    }

    public func offers(applicationNo: String) throws -> [WaitlistOffer] {
        try db.rows("SELECT * FROM waitlist_offer WHERE application_no = ? ORDER BY offered_at DESC, offer_no DESC", [applicationNo])
            .map(SQLRows.offer)
    }

    public func offers(season: Int, district: String?, states: Set<OfferState>) throws -> [WaitlistOffer] {
        let list = states.map(\.rawValue).sorted()
        var sql = "SELECT * FROM waitlist_offer WHERE season = ? AND state IN (\(SQLRows.placeholders(list.count)))"
        var arguments = SQLArguments([season] + list as [any SQLArgument])
        if let district {
            sql += " AND district = ?"
            arguments += [district]
        }
        return try db.rows(sql + " ORDER BY deadline, offer_no LIMIT 1000", arguments).map(SQLRows.offer)
    }

    public func overdueOffers(before: Date, limit: Int) throws -> [WaitlistOffer] {
        // RFC 3339 text in the one zone the service writes compares as the instants do.
        try db.rows(
            "SELECT * FROM waitlist_offer WHERE state = 'open' AND deadline < ? ORDER BY deadline, offer_no LIMIT ?",
            [BusinessTime.rfc3339(before), limit]
        ).map(SQLRows.offer)
    }

    public func setOffer(number: String, state: OfferState, permitNumber: String?, at: Date) throws {
        try db.run(
            "UPDATE waitlist_offer SET state = ?, permit_no = ?, answered_at = ? WHERE offer_no = ?",
            [state.rawValue, permitNumber, BusinessTime.rfc3339(at), number])
    }
}

extension SQLRows {
    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: max(count, 1)).joined(separator: ", ")
    }

    static func seasonPlan(_ row: SQLRow) -> SeasonPlan? {
        guard let season = season(row), let phase = SeasonPhase(rawValue: row["phase"]) else { return nil }
        return SeasonPlan(
            season: season, phase: phase, applicationsOpenOn: (row["applications_open_on"] as String?).flatMap(LocalDate.init),
            applicationsCloseOn: (row["applications_close_on"] as String?).flatMap(LocalDate.init), maxPreferences: row["max_preferences"],
            noticeDays: row["notice_days"], noticeEndsOn: (row["notice_ends_on"] as String?).flatMap(LocalDate.init),
            renewalMinShare: row["renewal_min_share"], offerHours: row["offer_hours"], copiedFrom: row["copied_from"])
    }

    static func application(_ row: SQLRow) throws -> ApplicationRecord {
        ApplicationRecord(
            number: row["application_no"], season: row["season"], vendorId: row["vendor_id"], holderName: row["holder_name"],
            district: row["district"], state: try row.decoded("state"), preferences: decodeList(row["preferences_json"]),
            renewalSlot: row["renewal_slot"], priorityClaim: row["priority_claim"], priorityVerified: row["priority_verified"], tier: row["tier"],
            produce: decodeList(row["produce_json"]), expectedKg: row["expected_kg"], vehiclePlate: row["vehicle_plate"],
            hasCertificate: row["has_certificate"], householdSize: row["household_size"], reason: row["reason"], drawnRank: row["drawn_rank"],
            slotId: row["slot_id"], permitNumber: row["permit_no"], createdAt: BusinessTime.parseInstant(row["created_at"]),
            helpers: helpers(row["helpers_json"]))
    }

    static func helpersJSON(_ helpers: [StoredHelper]) -> String {
        String(decoding: (try? JSONEncoder().encode(helpers)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func helpers(_ text: String) -> [StoredHelper] {
        (try? JSONDecoder().decode([StoredHelper].self, from: Data(text.utf8))) ?? []
    }

    static func idleWarning(_ row: SQLRow) -> IdleWarning? {
        guard let at = BusinessTime.parseInstant(row["warned_at"]), let on = LocalDate(row["reclaim_on"] as String) else { return nil }
        return IdleWarning(permitNumber: row["permit_no"], warnedAt: at, reclaimOn: on)
    }

    static func objection(_ row: SQLRow) throws -> Objection {
        Objection(
            number: row["objection_no"], season: row["season"], applicationNo: row["application_no"], reason: row["reason"],
            state: try row.decoded("state"), answer: row["answer"], createdAt: BusinessTime.parseInstant(row["created_at"]),
            answeredAt: (row["answered_at"] as String?).flatMap(BusinessTime.parseInstant))
    }

    static func offer(_ row: SQLRow) throws -> WaitlistOffer {
        WaitlistOffer(
            number: row["offer_no"], season: row["season"], slotId: row["slot_id"], siteId: row["site_id"], district: row["district"],
            applicationNo: row["application_no"], state: try row.decoded("state"),
            offeredAt: BusinessTime.parseInstant(row["offered_at"]) ?? Date(timeIntervalSince1970: 0),
            deadline: BusinessTime.parseInstant(row["deadline"]) ?? Date(timeIntervalSince1970: 0),
            answeredAt: (row["answered_at"] as String?).flatMap(BusinessTime.parseInstant),
            permitNumber: row["permit_no"])
    }
}
