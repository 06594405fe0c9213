import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface

extension GuatanDatabase: StatisticsStore {
    public func idlePermits(on today: LocalDate, minimumDays: Int) async throws -> [IdlePermit] {
        try await read { db in
            let season = try Self.season(db, year: today.year)
            let yesterday = min(today.adding(days: -1), season.endsOn)
            guard yesterday >= season.startsOn else { return [] }
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT p.permit_no, p.vendor_id, p.slot_id, p.district, p.issued_at, MAX(c.business_date) AS last
                    FROM permit p LEFT JOIN checkin c ON c.permit_no = p.permit_no
                    WHERE p.season = ? AND p.state = 'issued'
                    GROUP BY p.permit_no ORDER BY p.permit_no
                    """, arguments: [today.year]
            ).compactMap { row -> IdlePermit? in
                let issued = (row["issued_at"] as String?).flatMap(BusinessTime.parseInstant).map(BusinessTime.localDate(of:)) ?? season.startsOn
                let last = (row["last"] as String?).flatMap(LocalDate.init)
                // Days before the season or before the permit was issued do not count.
                let countFrom = max(last.map { $0.adding(days: 1) } ?? season.startsOn, issued, season.startsOn)
                let idle = yesterday.daysSinceEpoch - countFrom.daysSinceEpoch + 1
                guard idle >= minimumDays else { return nil }
                return IdlePermit(
                    permitNumber: row["permit_no"], vendorId: row["vendor_id"], slotId: row["slot_id"], district: row["district"], lastCheckIn: last,
                    idleDays: idle)
            }
        }
    }

    public func sanctions(season: Int) async throws -> [Sanction] {
        try await read { db in
            var result: [Sanction] = []
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT p.permit_no, p.vendor_id, p.state, a.at, a.actor, a.after_json FROM permit p
                    JOIN audit_log a ON a.entity = 'permit' AND a.entity_id = p.permit_no AND a.action IN ('permit.suspend', 'permit.revoke')
                    WHERE p.season = ? ORDER BY a.id DESC
                    """, arguments: [season])
            {
                let after = (try? JSONDecoder().decode([String: String].self, from: Data((row["after_json"] as String? ?? "{}").utf8))) ?? [:]
                result.append(
                    Sanction(
                        kind: after["state"] ?? "revoked", vendorId: row["vendor_id"], permitNumber: row["permit_no"], season: season,
                        reason: after["reason"] ?? "", at: BusinessTime.parseInstant(row["at"]), by: row["actor"]))
            }
            for row in try Row.fetchAll(db, sql: "SELECT * FROM vendor_bar WHERE season = ? ORDER BY created_at DESC", arguments: [season + 1]) {
                result.append(
                    Sanction(
                        kind: "barred", vendorId: row["vendor_id"], permitNumber: nil, season: row["season"], reason: row["reason"],
                        at: BusinessTime.parseInstant(row["created_at"]), by: "system"))
            }
            return result
        }
    }

    public func statistics(from: LocalDate, to: LocalDate) async throws -> Statistics {
        try await read { db in
            let range: StatementArguments = [from.description, to.description]
            // Issued permits of each district as of each day (issued by then, counted while not revoked).
            var rates: [DailyCheckInRate] = []
            let districts = try String.fetchAll(db, sql: "SELECT code FROM district ORDER BY code")
            var checkedIn: [String: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT business_date, district, COUNT(*) AS n FROM checkin WHERE business_date BETWEEN ? AND ? GROUP BY business_date, district
                    """, arguments: range)
            {
                checkedIn["\(row["business_date"] as String)|\(row["district"] as String)"] = row["n"]
            }
            // Permits issued per district and day, summed up to each day of the period: one
            // grouped query, then a running total (a season is ~123 days × 4 districts).
            var issuedOn: [String: [Int: Int]] = [:]  // "district|season" → day number → permits issued that day
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT district, season, issued_at, COUNT(*) AS n FROM permit
                    WHERE issued_at IS NOT NULL AND state IN ('issued', 'suspended', 'expired') AND season BETWEEN ? AND ?
                    GROUP BY district, season, substr(issued_at, 1, 10)
                    """, arguments: [from.year, to.year])
            {
                guard let issued = (row["issued_at"] as String?).flatMap(BusinessTime.parseInstant) else { continue }
                let key = BusinessTime.localDate(of: issued).daysSinceEpoch
                issuedOn["\(row["district"] as String)|\(row["season"] as Int)", default: [:]][key, default: 0] += row["n"] as Int
            }
            var day = from
            var seasons: [Int: Season] = [:]
            while day <= to, day.daysSinceEpoch - from.daysSinceEpoch < 400 {
                if seasons[day.year] == nil { seasons[day.year] = try Self.season(db, year: day.year) }
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
            let period: StatementArguments = [fromInstant, toInstant]
            var reports: [String: [String: Int]] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT category, state, COUNT(*) AS n FROM report WHERE created_epoch >= ? AND created_epoch < ? GROUP BY category, state
                    """, arguments: period)
            {
                reports[row["category"], default: [:]][row["state"]] = row["n"]
            }
            // Cases that were dispatched and have since been handled: on time or not, and how long it took.
            var withLimit = 0
            var onTime = 0
            var minutes: [Double] = []
            // Handling time in SQL (julianday reads the +08:00 offset): a season has ~20,000 cases.
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT r.due_epoch, r.closed_epoch,
                      (julianday((SELECT MIN(e.at) FROM report_event e WHERE e.report_id = r.id AND e.action = 'handle'))
                        - julianday((SELECT MIN(e.at) FROM report_event e WHERE e.report_id = r.id AND e.action = 'dispatch'))) * 1440
                    FROM report r WHERE r.created_epoch >= ? AND r.created_epoch < ? AND r.due_epoch IS NOT NULL
                    """, arguments: period)
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
            for row in try Row.fetchAll(
                db, sql: "SELECT district, COUNT(*) AS n FROM inspection WHERE business_date BETWEEN ? AND ? GROUP BY district", arguments: range)
            {
                inspections[row["district"]] = row["n"]
            }
            let hotspots = try Row.fetchAll(
                db,
                sql: """
                    SELECT g.site_id, s.name, g.n FROM (
                        SELECT site_id, COUNT(*) AS n FROM report
                        WHERE created_epoch >= ? AND created_epoch < ? AND state <> 'duplicate' AND site_id IS NOT NULL
                        GROUP BY site_id ORDER BY n DESC, site_id LIMIT 10
                    ) g JOIN site s ON s.id = g.site_id ORDER BY g.n DESC, g.site_id
                    """, arguments: period
            ).map { (siteId: $0["site_id"] as String, siteName: $0["name"] as String, reports: $0["n"] as Int) }
            return Statistics(
                checkInRates: rates, reports: reports, casesWithLimit: withLimit, closedWithinLimit: onTime, medianHandlingMinutes: median,
                inspectionsByDistrict: inspections, hotspots: hotspots)
        }
    }

    public func export(_ kind: ExportKind, from: LocalDate, to: LocalDate) async throws -> [[String]] {
        try await read { db in
            let range: StatementArguments = [from.description, to.description]
            func text(_ value: DatabaseValue) -> String {
                switch value.storage {
                case .null: ""
                case .int64(let n): String(n)
                case .double(let d): String(d)
                case .string(let s): s
                case .blob: ""
                }
            }
            let sql: String
            let arguments: StatementArguments
            switch kind {
            case .checkins:
                sql = """
                    SELECT id AS checkin_id, business_date, district, slot_id, permit_no, vendor_id, checked_in_at, checked_out_at, method,
                      distance_m, accuracy_m, flagged FROM checkin WHERE business_date BETWEEN ? AND ? ORDER BY id
                    """
                arguments = range
            case .reports:
                // No contact phone: exports leave the building.
                sql = """
                    SELECT id AS report_id, category, state AS status, district, site_id, slot_id, permit_no, created_at, due_at, closed_at,
                      rating, duplicate_of FROM report WHERE substr(created_at, 1, 10) BETWEEN ? AND ? ORDER BY seq
                    """
                arguments = range
            case .inspections:
                sql = """
                    SELECT id AS inspection_id, business_date, district, site_id, slot_id, permit_no, officer, result, violations_json AS violations,
                      distance_m FROM inspection WHERE business_date BETWEEN ? AND ? ORDER BY seq
                    """
                arguments = range
            case .permits:
                sql = """
                    SELECT permit_no, season, district, slot_id, vendor_id, state, produce_json AS produce, vehicle_plate, issued_at, created_at,
                      updated_at FROM permit WHERE season BETWEEN ? AND ? ORDER BY seq
                    """
                arguments = [from.year, to.year]
            }
            let statement = try db.makeStatement(sql: sql)
            var rows: [[String]] = [statement.columnNames]
            for row in try Row.fetchAll(statement, arguments: arguments) {
                rows.append(row.databaseValues.map(text))
            }
            return rows
        }
    }
}
