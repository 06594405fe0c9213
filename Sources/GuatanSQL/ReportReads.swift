import Foundation
import GuatanCore
import GuatanStoreInterface

extension SQLStore {
    public func report(id: String) async throws -> Report? {
        try await sqlRead { db in try SQLQueries.report(db, id: id) }
    }

    public func report(trackingHash: String) async throws -> Report? {
        try await sqlRead { db in
            guard let id: String = try db.value("SELECT id FROM report WHERE tracking_hash = ?", [trackingHash]) else { return nil }
            return try SQLQueries.report(db, id: id)
        }
    }

    public func reports(matching filter: ReportFilter, page: PageRequest) async throws -> Page<Report> {
        try await sqlRead { db in
            var conditions: [String] = []
            var arguments: SQLArguments = []
            for (column, value) in [
                ("slot_id", filter.slotId), ("site_id", filter.siteId), ("district", filter.district), ("category", filter.category?.rawValue),
                ("state", filter.state?.rawValue),
            ] {
                if let value {
                    conditions.append("\(column) = ?")
                    arguments += [value]
                }
            }
            for (column, values) in [
                ("id", filter.ids), ("category", filter.categories?.map(\.rawValue)), ("state", filter.states?.map(\.rawValue)),
            ] {
                if let values {
                    conditions.append("\(column) IN \(SQLList.placeholders(values.count))")
                    arguments += SQLArguments(values)
                }
            }
            if let from = filter.createdFrom {
                conditions.append("created_epoch >= ?")
                arguments += [from.timeIntervalSince1970]
            }
            if let to = filter.createdTo {
                conditions.append("created_epoch <= ?")
                arguments += [to.timeIntervalSince1970]
            }
            if let after = filter.updatedAfter {
                // Instants are all written the same way (+08:00), so text order is time order.
                conditions.append("updated_at > ?")
                arguments += [BusinessTime.rfc3339(after)]
            }
            let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            // Cached by their text: a list asks the same few filter shapes over and over.
            let total: Int = try db.value("SELECT COUNT(*) FROM report" + whereClause, arguments) ?? 0
            // The page's rows, then all their photos in one query: no query per row.
            let rows = try db.rows("SELECT * FROM report\(whereClause) ORDER BY seq DESC LIMIT ? OFFSET ?", arguments + [page.perPage, page.offset])
            let ids: [String] = rows.map { $0["id"] }
            var photos: [String: [String]] = [:]
            for photo in try db.rows(
                "SELECT report_id, photo_id FROM report_photo WHERE report_id IN \(SQLList.placeholders(ids.count)) ORDER BY report_id, position",
                SQLArguments(ids), cached: false)
            {
                photos[photo["report_id"], default: []].append(photo["photo_id"])
            }
            return Page(items: rows.map { SQLRows.report($0, photos: photos[$0["id"]] ?? [], timeline: []) }, total: total, request: page)
        }
    }

    public func reportCategories() async throws -> [ReportCategoryInfo] {
        try await sqlRead { db in
            try db.rows("SELECT code, time_limit_minutes FROM report_category ORDER BY sort").compactMap { row in
                ReportCategory(rawValue: row["code"]).map { ReportCategoryInfo(category: $0, timeLimitMinutes: row["time_limit_minutes"]) }
            }
        }
    }

    public func places(of reports: [Report]) async throws -> [String: (address: String?, districtName: String)] {
        try await sqlRead { db in
            let districts = Dictionary(
                uniqueKeysWithValues: try db.rows("SELECT code, name FROM district").map { ($0["code"] as String, $0["name"] as String) })
            var result: [String: (address: String?, districtName: String)] = [:]
            for report in reports {
                let address: String? = try report.siteId.flatMap { try db.value("SELECT address FROM site WHERE id = ?", [$0]) }
                result[report.id] = (address, districts[report.district] ?? report.district)
            }
            return result
        }
    }

    public func publicPhoto(id: String) async throws -> StoredPhoto? {
        try await sqlRead { db in
            try db.row("SELECT * FROM photo WHERE id = ? AND EXISTS (SELECT 1 FROM report_photo WHERE photo_id = photo.id)", [id])
                .flatMap(SQLRows.photo)
        }
    }
}

extension SQLStore {
    public func inspectionPhoto(id: String) async throws -> (photo: StoredPhoto, districts: Set<String>)? {
        try await sqlRead { db in
            let districts = Set(
                try db.values(
                    "SELECT DISTINCT i.district FROM inspection_photo ip JOIN inspection i ON i.id = ip.inspection_id WHERE ip.photo_id = ?", [id])
                    as [String])
            guard !districts.isEmpty, let photo = try db.row("SELECT * FROM photo WHERE id = ?", [id]).flatMap(SQLRows.photo) else { return nil }
            return (photo, districts)
        }
    }

    public func inspections(slotId: String?, district: String?, from: LocalDate?, to: LocalDate?, page: PageRequest) async throws -> Page<Inspection>
    {
        try await sqlRead { db in
            var conditions: [String] = []
            var arguments: SQLArguments = []
            for (condition, value) in [
                ("slot_id = ?", slotId), ("district = ?", district), ("business_date >= ?", from?.description),
                ("business_date <= ?", to?.description),
            ] {
                if let value {
                    conditions.append(condition)
                    arguments += [value]
                }
            }
            let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            let total: Int = try db.value("SELECT COUNT(*) FROM inspection" + whereClause, arguments, cached: false) ?? 0
            let ids: [String] = try db.values(
                "SELECT id FROM inspection\(whereClause) ORDER BY seq DESC LIMIT ? OFFSET ?", arguments + [page.perPage, page.offset], cached: false)
            return Page(items: try ids.compactMap { try SQLQueries.inspection(db, id: $0) }, total: total, request: page)
        }
    }

    public func deductions(vendorId: String, season: Int) async throws -> [PointDeduction] {
        try await sqlRead { db in
            try db.rows(
                """
                SELECT d.* FROM point_deduction d JOIN permit p ON p.permit_no = d.permit_no
                WHERE p.vendor_id = ? AND p.season = ? ORDER BY d.id DESC
                """, [vendorId, season]
            ).map(SQLRows.deduction)
        }
    }

    public func coverageGaps(district: String, since: LocalDate) async throws -> [CoverageGap] {
        try await sqlRead { db in
            try db.rows(
                """
                SELECT s.id, s.name, s.lat, s.lng, MAX(i.business_date) AS last FROM site s
                LEFT JOIN inspection i ON i.site_id = s.id
                WHERE s.district = ? AND s.retired_from IS NULL GROUP BY s.id, s.name, s.lat, s.lng
                HAVING MAX(i.business_date) IS NULL OR MAX(i.business_date) < ?
                ORDER BY MAX(i.business_date) IS NOT NULL, MAX(i.business_date), s.id
                """, [district, since.description]
            ).map { row in
                CoverageGap(
                    siteId: row["id"], siteName: row["name"], position: Coordinate(lat: row["lat"], lng: row["lng"]),
                    lastInspected: (row["last"] as String?).flatMap(LocalDate.init))
            }
        }
    }

    public func queue(district: String) async throws -> [Report] {
        try await sqlRead { db in
            try (db.values("SELECT id FROM report WHERE district = ? AND state = 'dispatched' ORDER BY due_epoch, seq", [district]) as [String])
                .compactMap { try SQLQueries.report(db, id: $0, withTimeline: false) }
        }
    }

    public func violationRules(season: Int) async throws -> [ViolationCode: Int] {
        try await sqlRead { db in
            let own = try SQLQueries.violationPoints(db, season: season)
            return Dictionary(uniqueKeysWithValues: ViolationCode.allCases.map { ($0, own[$0] ?? $0.defaultPoints) })
        }
    }
}
