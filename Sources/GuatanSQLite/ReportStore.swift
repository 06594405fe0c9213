import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface

extension GuatanDatabase: ReportStore {
    /// The states of a case still being worked on, from `ReportState.isOpen`.
    static let openReportStates = SQLiteTransaction.list(ReportState.open)

    public func report(id: String) async throws -> Report? {
        try await read { db in try Self.report(db, id: id) }
    }

    public func report(trackingHash: String) async throws -> Report? {
        try await read { db in
            guard let id = try String.fetchOne(db, cached: "SELECT id FROM report WHERE tracking_hash = ?", arguments: [trackingHash]) else {
                return nil
            }
            return try Self.report(db, id: id)
        }
    }

    public func reports(matching filter: ReportFilter, page: PageRequest) async throws -> Page<Report> {
        try await read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
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
                    conditions.append(
                        "\(column) IN (\(values.isEmpty ? "NULL" : Array(repeating: "?", count: values.count).joined(separator: ", ")))")
                    arguments += StatementArguments(values)
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
            let total = try Int.fetchOne(db, cached: "SELECT COUNT(*) FROM report" + whereClause, arguments: arguments) ?? 0
            // The page's rows, then all their photos in one query: no query per row.
            let rows = try Row.fetchAll(
                db, cached: "SELECT * FROM report\(whereClause) ORDER BY seq DESC LIMIT ? OFFSET ?",
                arguments: arguments + [page.perPage, page.offset])
            var photos: [String: [String]] = [:]
            for photo in try Row.fetchAll(
                db,
                cached: """
                    SELECT report_id, photo_id FROM report_photo WHERE report_id IN (SELECT value FROM json_each(?)) ORDER BY report_id, position
                    """, arguments: [Self.json(rows.map { $0["id"] as String })])
            {
                photos[photo["report_id"], default: []].append(photo["photo_id"])
            }
            return Page(items: rows.map { Self.report($0, photos: photos[$0["id"]] ?? [], timeline: []) }, total: total, request: page)
        }
    }

    public func reportCategories() async throws -> [ReportCategoryInfo] {
        try await read { db in
            try Row.fetchAll(db, cached: "SELECT code, time_limit_minutes FROM report_category ORDER BY sort").compactMap { row in
                ReportCategory(rawValue: row["code"]).map { ReportCategoryInfo(category: $0, timeLimitMinutes: row["time_limit_minutes"]) }
            }
        }
    }

    public func places(of reports: [Report]) async throws -> [String: (address: String?, districtName: String)] {
        try await read { db in
            let districts = Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(db, cached: "SELECT code, name FROM district").map {
                    ($0["code"] as String, $0["name"] as String)
                })
            var result: [String: (address: String?, districtName: String)] = [:]
            for report in reports {
                let address = try report.siteId.flatMap {
                    try String.fetchOne(db, cached: "SELECT address FROM site WHERE id = ?", arguments: [$0])
                }
                result[report.id] = (address, districts[report.district] ?? report.district)
            }
            return result
        }
    }

    public func publicPhoto(id: String) async throws -> StoredPhoto? {
        try await read { db in
            guard
                let row = try Row.fetchOne(
                    db, cached: "SELECT * FROM photo WHERE id = ? AND EXISTS (SELECT 1 FROM report_photo WHERE photo_id = photo.id)", arguments: [id]),
                let type = PhotoType(rawValue: row["media_type"])
            else { return nil }
            return StoredPhoto(id: row["id"], type: type, byteCount: row["byte_count"])
        }
    }
}

extension GuatanDatabase {

    static func addEvent(
        _ db: Database, reportId: String, at: Date, role: String, actor: String, action: String, from: ReportState?, to: ReportState,
        publicNote: String?, internalNote: String?
    ) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO report_event (report_id, at, actor_role, actor, action, from_state, to_state, public_note, internal_note)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [reportId, BusinessTime.rfc3339(at), role, actor, action, from?.rawValue, to.rawValue, publicNote, internalNote])
    }

    static func report(_ db: Database, id: String, withTimeline: Bool = true) throws -> Report? {
        guard let row = try Row.fetchOne(db, cached: "SELECT * FROM report WHERE id = ?", arguments: [id]) else { return nil }
        let photos = try String.fetchAll(db, cached: "SELECT photo_id FROM report_photo WHERE report_id = ? ORDER BY position", arguments: [id])
        let timeline =
            withTimeline
            ? try Row.fetchAll(db, cached: "SELECT * FROM report_event WHERE report_id = ? ORDER BY id", arguments: [id]).map { event in
                ReportEvent(
                    at: BusinessTime.parseInstant(event["at"]) ?? Date(timeIntervalSince1970: 0), actorRole: event["actor_role"],
                    action: event["action"], fromState: (event["from_state"] as String?).flatMap(ReportState.init(rawValue:)),
                    toState: ReportState(rawValue: event["to_state"]) ?? .submitted, publicNote: event["public_note"],
                    internalNote: event["internal_note"])
            }
            : []
        return report(row, photos: photos, timeline: timeline)
    }

    static func report(_ row: Row, photos: [String], timeline: [ReportEvent]) -> Report {
        Report(
            id: row["id"], category: ReportCategory(rawValue: row["category"]) ?? .other, description: row["description"],
            slotId: row["slot_id"], siteId: row["site_id"], permitNumber: row["permit_no"], district: row["district"],
            position: Coordinate(lat: row["lat"], lng: row["lng"]), contactPhone: row["contact_phone"],
            state: ReportState(rawValue: row["state"]) ?? .submitted, duplicateOf: row["duplicate_of"],
            dueAt: (row["due_at"] as String?).flatMap(BusinessTime.parseInstant),
            createdAt: BusinessTime.parseInstant(row["created_at"]) ?? Date(timeIntervalSince1970: row["created_epoch"]),
            updatedAt: BusinessTime.parseInstant(row["updated_at"]) ?? Date(timeIntervalSince1970: 0),
            closedAt: (row["closed_epoch"] as Double?).map { Date(timeIntervalSince1970: $0) }, rating: row["rating"],
            ratingComment: row["rating_comment"], photoIds: photos, timeline: timeline)
    }
}
