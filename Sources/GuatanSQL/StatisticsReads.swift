import Foundation
import GuatanCore
import GuatanStoreInterface

extension SQLStore {
    public func idlePermits(on today: LocalDate, minimumDays: Int) async throws -> [IdlePermit] {
        try await sqlRead { db in
            let season = try SQLQueries.season(db, year: today.year)
            let yesterday = min(today.adding(days: -1), season.endsOn)
            guard yesterday >= season.startsOn else { return [] }
            return try db.rows(
                """
                SELECT p.permit_no, p.vendor_id, p.slot_id, p.district, p.issued_at, w.warned_at, w.reclaim_on,
                    (SELECT MAX(c.business_date) FROM checkin c WHERE c.permit_no = p.permit_no) AS last
                FROM permit p LEFT JOIN permit_warning w ON w.permit_no = p.permit_no
                WHERE p.season = ? AND p.state = 'issued' ORDER BY p.permit_no
                """, [today.year]
            ).compactMap { row -> IdlePermit? in
                let issued = (row["issued_at"] as String?).flatMap(BusinessTime.parseInstant).map(BusinessTime.localDate(of:)) ?? season.startsOn
                let last = (row["last"] as String?).flatMap(LocalDate.init)
                // Days before the season or before the permit was issued do not count.
                let countFrom = max(last.map { $0.adding(days: 1) } ?? season.startsOn, issued, season.startsOn)
                let idle = yesterday.daysSinceEpoch - countFrom.daysSinceEpoch + 1
                guard idle >= minimumDays else { return nil }
                return IdlePermit(
                    permitNumber: row["permit_no"], vendorId: row["vendor_id"], slotId: row["slot_id"], district: row["district"], lastCheckIn: last,
                    idleDays: idle, warnedAt: (row["warned_at"] as String?).flatMap(BusinessTime.parseInstant),
                    reclaimOn: (row["reclaim_on"] as String?).flatMap(LocalDate.init))
            }
        }
    }

    public func sanctions(season: Int) async throws -> [Sanction] {
        try await sqlRead { db in
            var result: [Sanction] = []
            for row in try db.rows(
                """
                SELECT p.permit_no, p.vendor_id, p.state, a.at, a.actor, a.after_json FROM permit p
                JOIN audit_log a ON a.entity = 'permit' AND a.entity_id = p.permit_no AND a.action IN ('permit.suspend', 'permit.revoke')
                WHERE p.season = ? ORDER BY a.id DESC
                """, [season])
            {
                let after = (try? JSONDecoder().decode([String: String].self, from: Data((row["after_json"] as String? ?? "{}").utf8))) ?? [:]
                result.append(
                    Sanction(
                        kind: after["state"] ?? "revoked", vendorId: row["vendor_id"], permitNumber: row["permit_no"], season: season,
                        reason: after["reason"] ?? "", at: BusinessTime.parseInstant(row["at"]), by: row["actor"]))
            }
            for row in try db.rows("SELECT * FROM vendor_bar WHERE season = ? ORDER BY created_at DESC", [season + 1]) {
                result.append(
                    Sanction(
                        kind: "barred", vendorId: row["vendor_id"], permitNumber: nil, season: row["season"], reason: row["reason"],
                        at: BusinessTime.parseInstant(row["created_at"]), by: "system"))
            }
            return result
        }
    }

    public func statistics(from: LocalDate, to: LocalDate) async throws -> Statistics {
        try await sqlRead { db in
            let range: SQLArguments = [from.description, to.description]
            // Issued permits of each district as of each day (issued by then, counted while not revoked).
            var rates: [DailyCheckInRate] = []
            let districts: [String] = try db.values("SELECT code FROM district ORDER BY code")
            var checkedIn: [String: Int] = [:]
            for row in try db.rows(
                """
                SELECT business_date, district, COUNT(*) AS n FROM checkin WHERE business_date BETWEEN ? AND ? GROUP BY business_date, district
                """, range)
            {
                checkedIn["\(row["business_date"] as String)|\(row["district"] as String)"] = row["n"]
            }
            // Permits issued per district and day, summed up to each day of the period: one
            // grouped query, then a running total (a season is ~123 days × 4 districts).
            var issuedOn: [String: [Int: Int]] = [:]  // "district|season" → day number → permits issued that day
            for row in try db.rows(
                """
                SELECT district, season, substr(issued_at, 1, 10) AS issued_on, COUNT(*) AS n FROM permit
                WHERE issued_at IS NOT NULL AND state IN ('issued', 'suspended', 'expired') AND season BETWEEN ? AND ?
                GROUP BY district, season, substr(issued_at, 1, 10)
                """, [from.year, to.year])
            {
                // Instants are written in the business zone (+08:00): their first ten characters are the local day.
                guard let issued = LocalDate(row["issued_on"] as String) else { continue }
                let key = issued.daysSinceEpoch
                issuedOn["\(row["district"] as String)|\(row["season"] as Int)", default: [:]][key, default: 0] += row["n"] as Int
            }
            var day = from
            var seasons: [Int: Season] = [:]
            while day <= to, day.daysSinceEpoch - from.daysSinceEpoch < 400 {
                if seasons[day.year] == nil { seasons[day.year] = try SQLQueries.season(db, year: day.year) }
                if let season = seasons[day.year], season.contains(day) {
                    for district in districts {
                        // This day's season's permits issued by this day.
                        let issued = (issuedOn["\(district)|\(day.year)"] ?? [:]).reduce(0) { sum, entry in
                            entry.key <= day.daysSinceEpoch ? sum + entry.value : sum
                        }
                        rates.append(DailyCheckInRate(date: day, district: district, issued: issued, checkedIn: checkedIn["\(day)|\(district)"] ?? 0))
                    }
                }
                day = day.adding(days: 1)
            }
            let fromInstant = BusinessTime.instant(of: from, at: LocalTime(hour: 0, minute: 0)!).timeIntervalSince1970
            let toInstant = BusinessTime.instant(of: to.adding(days: 1), at: LocalTime(hour: 0, minute: 0)!).timeIntervalSince1970
            let period: SQLArguments = [fromInstant, toInstant]
            var reports: [String: [String: Int]] = [:]
            for row in try db.rows(
                """
                SELECT category, state, COUNT(*) AS n FROM report WHERE created_epoch >= ? AND created_epoch < ? GROUP BY category, state
                """, period)
            {
                reports[row["category"], default: [:]][row["state"]] = row["n"]
            }
            // Cases that were dispatched and have since been handled: on time or not, and how long it took.
            var withLimit = 0
            var onTime = 0
            var minutes: [Double] = []
            // Handling time in SQL (both databases read the +08:00 offset): a season has ~20,000 cases.
            let handlingMinutes = db.dialect.minutesBetween(
                "(SELECT MIN(e.at) FROM report_event e WHERE e.report_id = r.id AND e.action = 'dispatch')",
                "(SELECT MIN(e.at) FROM report_event e WHERE e.report_id = r.id AND e.action = 'handle')")
            for row in try db.rows(
                """
                SELECT r.due_epoch, r.closed_epoch, \(handlingMinutes)
                FROM report r WHERE r.created_epoch >= ? AND r.created_epoch < ? AND r.due_epoch IS NOT NULL
                """, period)
            {
                withLimit += 1
                let due: Double = row[0]
                if let closed: Double = row[1], closed <= due { onTime += 1 }
                if let handling: Double = row[2] { minutes.append(handling) }
            }
            minutes.sort()
            let median: Double? =
                minutes.isEmpty
                ? nil
                : (minutes.count % 2 == 1
                    ? minutes[minutes.count / 2] : (minutes[minutes.count / 2 - 1] + minutes[minutes.count / 2]) / 2)
            var inspections: [String: Int] = [:]
            for row in try db.rows("SELECT district, COUNT(*) AS n FROM inspection WHERE business_date BETWEEN ? AND ? GROUP BY district", range) {
                inspections[row["district"]] = row["n"]
            }
            let hotspots = try db.rows(
                """
                SELECT g.site_id, s.name, g.n FROM (
                    SELECT site_id, COUNT(*) AS n FROM report
                    WHERE created_epoch >= ? AND created_epoch < ? AND state <> 'duplicate' AND site_id IS NOT NULL
                    GROUP BY site_id ORDER BY n DESC, site_id LIMIT 10
                ) g JOIN site s ON s.id = g.site_id ORDER BY g.n DESC, g.site_id
                """, period
            ).map { (siteId: $0["site_id"] as String, siteName: $0["name"] as String, reports: $0["n"] as Int) }
            var statistics = Statistics(
                checkInRates: rates, reports: reports, casesWithLimit: withLimit, closedWithinLimit: onTime, medianHandlingMinutes: median,
                inspectionsByDistrict: inspections, hotspots: hotspots)
            for row in try db.rows(
                "SELECT channel, district, COUNT(*) AS n FROM report WHERE created_epoch >= ? AND created_epoch < ? GROUP BY channel, district",
                period)
            {
                statistics.reportsByChannel[row["channel"], default: [:]][row["district"]] = row["n"]
            }
            return statistics
        }
    }

    public func export(_ kind: ExportKind, from: LocalDate, to: LocalDate) async throws -> [[String]] {
        // Each file's columns, as `expression AS header` or a bare column: the header row comes
        // from this list, so an empty period still has one.
        let range: SQLArguments = [from.description, to.description]
        let (columns, rest, arguments): ([String], String, SQLArguments) =
            switch kind {
            case .checkins:
                (
                    [
                        "id AS checkin_id", "business_date", "district", "slot_id", "permit_no", "vendor_id", "checked_in_at", "checked_out_at",
                        "method", "distance_m", "accuracy_m", "flagged",
                    ], "FROM checkin WHERE business_date BETWEEN ? AND ? ORDER BY id", range
                )
            case .reports:
                // No contact phone: exports leave the building.
                (
                    [
                        "id AS report_id", "category", "state AS status", "district", "site_id", "slot_id", "permit_no", "created_at", "due_at",
                        "closed_at", "rating", "duplicate_of", "channel",
                    ], "FROM report WHERE substr(created_at, 1, 10) BETWEEN ? AND ? ORDER BY seq", range
                )
            case .inspections:
                (
                    [
                        "id AS inspection_id", "business_date", "district", "site_id", "slot_id", "permit_no", "officer", "result",
                        "violations_json AS violations", "distance_m",
                    ], "FROM inspection WHERE business_date BETWEEN ? AND ? ORDER BY seq", range
                )
            case .permits:
                (
                    [
                        "permit_no", "season", "district", "slot_id", "vendor_id", "state", "produce_json AS produce", "vehicle_plate", "issued_at",
                        "created_at", "updated_at",
                    ], "FROM permit WHERE season BETWEEN ? AND ? ORDER BY seq", [from.year, to.year]
                )
            }
        let header = columns.map { $0.components(separatedBy: " AS ").last! }
        return try await sqlRead { db in
            [header] + (try db.rows("SELECT \(columns.joined(separator: ", ")) \(rest)", arguments)).map { $0.values.map(\.exportText) }
        }
    }
}
