import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface

extension GuatanDatabase: InspectionStore {
    public func inspectionPhoto(id: String) async throws -> (photo: StoredPhoto, districts: Set<String>)? {
        try await read { db in
            let districts = Set(
                try String.fetchAll(
                    db,
                    cached: """
                        SELECT DISTINCT i.district FROM inspection_photo ip JOIN inspection i ON i.id = ip.inspection_id WHERE ip.photo_id = ?
                        """, arguments: [id]))
            guard !districts.isEmpty, let row = try Row.fetchOne(db, cached: "SELECT * FROM photo WHERE id = ?", arguments: [id]),
                let type = PhotoType(rawValue: row["media_type"])
            else { return nil }
            return (StoredPhoto(id: row["id"], type: type, byteCount: row["byte_count"]), districts)
        }
    }

    /// Points per violation for a season: the season's own rules over API.md's defaults.
    static func violationPoints(_ db: Database, season: Int) throws -> [ViolationCode: Int] {
        var points: [ViolationCode: Int] = [:]
        for row in try Row.fetchAll(db, cached: "SELECT code, points FROM violation_rule WHERE season = ?", arguments: [season]) {
            if let code = ViolationCode(rawValue: row["code"]) { points[code] = row["points"] }
        }
        return points
    }

    public func inspections(slotId: String?, district: String?, from: LocalDate?, to: LocalDate?, page: PageRequest) async throws -> Page<Inspection>
    {
        try await read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let slotId {
                conditions.append("slot_id = ?")
                arguments += [slotId]
            }
            if let district {
                conditions.append("district = ?")
                arguments += [district]
            }
            if let from {
                conditions.append("business_date >= ?")
                arguments += [from.description]
            }
            if let to {
                conditions.append("business_date <= ?")
                arguments += [to.description]
            }
            let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inspection" + whereClause, arguments: arguments) ?? 0
            let ids = try String.fetchAll(
                db, sql: "SELECT id FROM inspection\(whereClause) ORDER BY seq DESC LIMIT ? OFFSET ?",
                arguments: arguments + [page.perPage, page.offset])
            return Page(items: try ids.compactMap { try Self.inspection(db, id: $0) }, total: total, request: page)
        }
    }

    public func deductions(vendorId: String, season: Int) async throws -> [PointDeduction] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT d.* FROM point_deduction d JOIN permit p ON p.permit_no = d.permit_no
                    WHERE p.vendor_id = ? AND p.season = ? ORDER BY d.id DESC
                    """, arguments: [vendorId, season]
            ).map(Self.deduction)
        }
    }

    public func coverageGaps(district: String, since: LocalDate) async throws -> [CoverageGap] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT s.id, s.name, s.lat, s.lng, MAX(i.business_date) AS last FROM site s
                    LEFT JOIN inspection i ON i.site_id = s.id
                    WHERE s.district = ? GROUP BY s.id HAVING last IS NULL OR last < ?
                    ORDER BY last IS NOT NULL, last, s.id
                    """, arguments: [district, since.description]
            ).map { row in
                CoverageGap(
                    siteId: row["id"], siteName: row["name"], position: Coordinate(lat: row["lat"], lng: row["lng"]),
                    lastInspected: (row["last"] as String?).flatMap(LocalDate.init))
            }
        }
    }

    public func queue(district: String) async throws -> [Report] {
        try await read { db in
            try String.fetchAll(
                db, sql: "SELECT id FROM report WHERE district = ? AND state = 'dispatched' ORDER BY due_epoch, seq", arguments: [district]
            )
            .compactMap { try Self.report(db, id: $0, withTimeline: false) }
        }
    }

    public func violationRules(season: Int) async throws -> [ViolationCode: Int] {
        try await read { db in
            let own = try Self.violationPoints(db, season: season)
            return Dictionary(uniqueKeysWithValues: ViolationCode.allCases.map { ($0, own[$0] ?? $0.defaultPoints) })
        }
    }

    static func deduction(_ row: Row) -> PointDeduction {
        PointDeduction(
            id: row["id"], permitNumber: row["permit_no"], month: row["month"], points: row["points"], code: row["code"],
            inspectionId: row["inspection_id"], at: BusinessTime.parseInstant(row["at"]) ?? Date(timeIntervalSince1970: 0),
            annulled: row["annulled_at"] as String? != nil, annulReason: row["annul_reason"])
    }

    static func inspection(_ db: Database, id: String) throws -> Inspection? {
        guard let row = try Row.fetchOne(db, cached: "SELECT * FROM inspection WHERE id = ?", arguments: [id]) else { return nil }
        let photos = try String.fetchAll(
            db, cached: "SELECT photo_id FROM inspection_photo WHERE inspection_id = ? ORDER BY position", arguments: [id])
        let points =
            try Int.fetchOne(
                db, cached: "SELECT COALESCE(SUM(points), 0) FROM point_deduction WHERE inspection_id = ? AND annulled_at IS NULL", arguments: [id])
            ?? 0
        let lat: Double? = row["lat"]
        let lng: Double? = row["lng"]
        return Inspection(
            id: row["id"], slotId: row["slot_id"], siteId: row["site_id"], district: row["district"], permitNumber: row["permit_no"],
            officer: row["officer"], result: InspectionResult(rawValue: row["result"]) ?? .compliant,
            violations: decodeList(row["violations_json"]).compactMap(ViolationCode.init(rawValue:)), note: row["note"],
            position: lat.flatMap { lat in lng.map { Coordinate(lat: lat, lng: $0) } }, distanceM: row["distance_m"],
            at: BusinessTime.parseInstant(row["at"]) ?? Date(timeIntervalSince1970: 0),
            businessDate: LocalDate(row["business_date"] as String) ?? LocalDate(daysSinceEpoch: 0), photoIds: photos, pointsDeducted: points,
            consequences: [])
    }
}
