import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface


extension GuatanDatabase: ReportStore {
    static let openReportStates = "('submitted', 'accepted', 'dispatched', 'handled', 'verified')"

    public func submitReport(_ intake: ReportIntake, photos: [StoredPhoto], trackingHash: String, at: Date) async throws -> Report {
        try await write { db in
            var slotId: String?
            var siteId: String?
            var permitNumber: String?
            let district: String
            let position: Coordinate
            switch intake.subject {
            case .slot(let id):
                guard let row = try Row.fetchOne(db, cached: "SELECT slot.id, slot.site_id, slot.lat, slot.lng, s.district FROM slot JOIN site s ON s.id = slot.site_id WHERE slot.id = ?", arguments: [id]) else {
                    throw ValidationError(field: "slot_id", message: "no stall \(id)")
                }
                slotId = row["id"]
                siteId = row["site_id"]
                district = row["district"]
                position = Coordinate(lat: row["lat"], lng: row["lng"])
                permitNumber = try String.fetchOne(
                    db, cached: "SELECT permit_no FROM permit WHERE slot_id = ? AND season = ? AND state IN ('issued', 'suspended') ORDER BY seq DESC LIMIT 1",
                    arguments: [id, BusinessTime.localDate(of: at).year])
            case .permit(let number):
                guard let row = try Row.fetchOne(db, cached: "SELECT p.permit_no, p.slot_id, slot.site_id, slot.lat, slot.lng, p.district FROM permit p JOIN slot ON slot.id = p.slot_id WHERE p.permit_no = ? AND p.state IN ('issued', 'suspended', 'expired', 'revoked')", arguments: [number]) else {
                    throw ValidationError(field: "permit_no", message: "no permit \(number)")
                }
                permitNumber = row["permit_no"]
                slotId = row["slot_id"]
                siteId = row["site_id"]
                district = row["district"]
                position = Coordinate(lat: row["lat"], lng: row["lng"])
            case .place(let point):
                guard let nearest = try Self.nearestSite(db, to: point) else {
                    throw ValidationError(field: "lat", message: "no stall site in the registry to place the report")
                }
                // Farther than this from every site is outside the programme's streets.
                guard nearest.distance <= 5_000 else {
                    throw ValidationError(field: "lat", message: "the position is \(Int(nearest.distance)) m from the nearest stall site; report places within the programme's area")
                }
                district = nearest.district
                siteId = nearest.distance <= ReportWorkflow.duplicateRadiusM ? nearest.siteId : nil
                position = point
            }
            let seq = (try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) + 1 FROM report")) ?? 1
            let id = "R" + zeroPadded(seq, width: 6)
            let main = try Self.openCaseNearby(db, category: intake.category, position: position, since: at.addingTimeInterval(-ReportWorkflow.duplicateWindow))
            let state: ReportState = main == nil ? .submitted : .duplicate
            let stamp = BusinessTime.rfc3339(at)
            try db.cachedStatement(
                sql: """
                    INSERT INTO report (seq, id, tracking_hash, category, description, slot_id, site_id, permit_no, district, lat, lng,
                        contact_phone, state, duplicate_of, created_at, created_epoch, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(
                arguments: [
                    seq, id, trackingHash, intake.category.rawValue, intake.description, slotId, siteId, permitNumber, district, position.lat,
                    position.lng, intake.contactPhone, state.rawValue, main, stamp, at.timeIntervalSince1970, stamp,
                ])
            for (index, photo) in photos.enumerated() {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO photo (id, media_type, byte_count, purpose, created_at) VALUES (?, ?, ?, 'report', ?)",
                    arguments: [photo.id, photo.type.rawValue, photo.byteCount, stamp])
                try db.execute(
                    sql: "INSERT INTO report_photo (report_id, position, photo_id) VALUES (?, ?, ?)", arguments: [id, index + 1, photo.id])
            }
            try Self.addEvent(db, reportId: id, at: at, role: "citizen", actor: "citizen", action: "submit", from: nil, to: .submitted, publicNote: nil, internalNote: nil)
            if let main {
                try Self.addEvent(
                    db, reportId: id, at: at, role: "system", actor: "system", action: "mark_duplicate", from: .submitted, to: .duplicate,
                    publicNote: "同一位置同类问题已在处理：\(main) (the same problem here is already being handled as \(main))", internalNote: nil)
            }
            return try Self.report(db, id: id)!
        }
    }

    public func report(id: String) async throws -> Report? {
        try await read { db in try Self.report(db, id: id) }
    }

    public func report(trackingHash: String) async throws -> Report? {
        try await read { db in
            guard let id = try String.fetchOne(db, cached: "SELECT id FROM report WHERE tracking_hash = ?", arguments: [trackingHash]) else { return nil }
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
                    conditions.append("\(column) IN (\(values.isEmpty ? "NULL" : Array(repeating: "?", count: values.count).joined(separator: ", ")))")
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
            let rows = try Row.fetchAll(db, cached: "SELECT * FROM report\(whereClause) ORDER BY seq DESC LIMIT ? OFFSET ?", arguments: arguments + [page.perPage, page.offset])
            var photos: [String: [String]] = [:]
            for photo in try Row.fetchAll(db, cached: """
                SELECT report_id, photo_id FROM report_photo WHERE report_id IN (SELECT value FROM json_each(?)) ORDER BY report_id, position
                """, arguments: [Self.json(rows.map { $0["id"] as String })]) {
                photos[photo["report_id"], default: []].append(photo["photo_id"])
            }
            return Page(items: rows.map { Self.report($0, photos: photos[$0["id"]] ?? [], timeline: []) }, total: total, request: page)
        }
    }

    public func transition(
        reportId: String, action: ReportAction, by actor: Account, publicNote: String?, internalNote: String?, duplicateOf: String?, at: Date
    ) async throws -> Report {
        try await write { db in
            guard let report = try Self.report(db, id: reportId, withTimeline: false) else { throw StoreError.notFound("no report \(reportId)") }
            let target = try ReportWorkflow.decide(action, on: report.state, by: actor, caseDistrict: report.district, publicNote: publicNote)
            var sets = ["state = ?", "updated_at = ?"]
            var arguments: StatementArguments = [target.rawValue, BusinessTime.rfc3339(at)]
            switch action {
            case .dispatch, .redispatch:
                let limit = try Int.fetchOne(db, cached: "SELECT time_limit_minutes FROM report_category WHERE code = ?", arguments: [report.category.rawValue])
                    ?? report.category.defaultTimeLimitMinutes
                let due = ReportWorkflow.dueAt(dispatchedAt: at, limitMinutes: limit)
                sets += ["due_at = ?", "due_epoch = ?"]
                arguments += [BusinessTime.rfc3339(due), due.timeIntervalSince1970]
            case .close:
                sets += ["closed_at = ?", "closed_epoch = ?"]
                arguments += [BusinessTime.rfc3339(at), at.timeIntervalSince1970]
            case .markDuplicate:
                guard let main = duplicateOf?.uppercased(), main != reportId,
                    let mainRow = try Row.fetchOne(db, cached: "SELECT state, district FROM report WHERE id = ?", arguments: [main]),
                    let district = try String.fetchOne(db, cached: "SELECT district FROM report WHERE id = ?", arguments: [reportId])
                else {
                    throw ValidationError(field: "duplicate_of", message: "name the report this one duplicates (another report's ID)")
                }
                let mainState = ReportState(rawValue: mainRow["state"])
                guard mainState != .duplicate else {
                    throw ValidationError(field: "duplicate_of", message: "\(main) is itself a duplicate; link to its main case")
                }
                // Linking closes this case without work: only to a case of the same squad that is still being handled.
                guard (mainRow["district"] as String) == district else {
                    throw ValidationError(field: "duplicate_of", message: "\(main) belongs to another district; a case is linked only to one of its own district")
                }
                guard mainState?.isOpen == true else {
                    throw ValidationError(field: "duplicate_of", message: "\(main) is no longer open; link only to a case still being handled")
                }
                sets.append("duplicate_of = ?")
                arguments += [main]
            default:
                break
            }
            try db.execute(sql: "UPDATE report SET \(sets.joined(separator: ", ")) WHERE id = ?", arguments: arguments + [reportId])
            try Self.addEvent(
                db, reportId: reportId, at: at, role: actor.role.rawValue, actor: "account:\(actor.username)", action: action.rawValue,
                from: report.state, to: target, publicNote: Self.trimmed(publicNote), internalNote: Self.trimmed(internalNote))
            try Self.audit(
                db, at: at, actor: "account:\(actor.username)", action: "report.\(action.rawValue)", entity: "report", entityId: reportId,
                before: ["state": report.state.rawValue], after: ["state": target.rawValue])
            return try Self.report(db, id: reportId)!
        }
    }

    public func reopen(trackingHash: String, note: String, at: Date) async throws -> Report {
        try await write { db in
            guard let id = try String.fetchOne(db, cached: "SELECT id FROM report WHERE tracking_hash = ?", arguments: [trackingHash]),
                let report = try Self.report(db, id: id, withTimeline: false)
            else { throw StoreError.notFound("no report with this tracking code") }
            let target = try ReportWorkflow.decideReopen(on: report.state, closedAt: report.closedAt, at: at)
            let limit = try Int.fetchOne(db, cached: "SELECT time_limit_minutes FROM report_category WHERE code = ?", arguments: [report.category.rawValue])
                ?? report.category.defaultTimeLimitMinutes
            let due = ReportWorkflow.dueAt(dispatchedAt: at, limitMinutes: limit)
            try db.execute(
                sql: "UPDATE report SET state = ?, due_at = ?, due_epoch = ?, closed_at = NULL, closed_epoch = NULL, rating = NULL, rating_comment = NULL, rated_at = NULL, updated_at = ? WHERE id = ?",
                arguments: [target.rawValue, BusinessTime.rfc3339(due), due.timeIntervalSince1970, BusinessTime.rfc3339(at), id])
            try Self.addEvent(db, reportId: id, at: at, role: "citizen", actor: "citizen", action: "reopen", from: report.state, to: target, publicNote: note, internalNote: nil)
            return try Self.report(db, id: id)!
        }
    }

    public func rate(trackingHash: String, score: Int, comment: String?, at: Date) async throws -> Report {
        try await write { db in
            guard let id = try String.fetchOne(db, cached: "SELECT id FROM report WHERE tracking_hash = ?", arguments: [trackingHash]),
                let report = try Self.report(db, id: id, withTimeline: false)
            else { throw StoreError.notFound("no report with this tracking code") }
            guard report.state == .closed else { throw StoreError.conflict("a case can be rated once it is closed; it is \(report.state.rawValue)") }
            guard report.rating == nil else { throw StoreError.conflict("this case has been rated already") }
            try db.execute(
                sql: "UPDATE report SET rating = ?, rating_comment = ?, rated_at = ?, updated_at = ? WHERE id = ?",
                arguments: [score, Self.trimmed(comment), BusinessTime.rfc3339(at), BusinessTime.rfc3339(at), id])
            try Self.addEvent(
                db, reportId: id, at: at, role: "citizen", actor: "citizen", action: "rate", from: .closed, to: .closed,
                publicNote: "评价 \(score)/5" + (Self.trimmed(comment).map { "：\($0)" } ?? ""), internalNote: nil)
            return try Self.report(db, id: id)!
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
            let districts = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, cached: "SELECT code, name FROM district").map { ($0["code"] as String, $0["name"] as String) })
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

    public func setTimeLimit(_ category: ReportCategory, minutes: Int, by admin: Account, at: Date) async throws {
        try await write { db in
            let before = try Int.fetchOne(db, sql: "SELECT time_limit_minutes FROM report_category WHERE code = ?", arguments: [category.rawValue])
            try db.execute(sql: "UPDATE report_category SET time_limit_minutes = ? WHERE code = ?", arguments: [minutes, category.rawValue])
            try Self.audit(
                db, at: at, actor: "account:\(admin.username)", action: "report_category.time_limit", entity: "report_category", entityId: category.rawValue,
                before: before.map { ["time_limit_minutes": String($0)] }, after: ["time_limit_minutes": String(minutes)])
        }
    }

    public func publicPhoto(id: String) async throws -> StoredPhoto? {
        try await read { db in
            guard let row = try Row.fetchOne(db, cached: "SELECT * FROM photo WHERE id = ? AND EXISTS (SELECT 1 FROM report_photo WHERE photo_id = photo.id)", arguments: [id]),
                let type = PhotoType(rawValue: row["media_type"])
            else { return nil }
            return StoredPhoto(id: row["id"], type: type, byteCount: row["byte_count"])
        }
    }
}

extension GuatanDatabase {
    static func trimmed(_ text: String?) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        return text
    }

    static func nearestSite(_ db: Database, to point: Coordinate) throws -> (siteId: String, district: String, distance: Double)? {
        var best: (String, String, Double)?
        for row in try Row.fetchAll(db, cached: "SELECT id, district, lat, lng FROM site") {
            let distance = Geodesy.distance(point, Coordinate(lat: row["lat"], lng: row["lng"]))
            if best == nil || distance < best!.2 { best = (row["id"], row["district"], distance) }
        }
        return best
    }

    /// The open case this report repeats: same category, within 250 m, reported in the last day.
    static func openCaseNearby(_ db: Database, category: ReportCategory, position: Coordinate, since: Date) throws -> String? {
        let box = Geodesy.boundingBox(around: position, radius: ReportWorkflow.duplicateRadiusM)
        let rows = try Row.fetchAll(db, cached: """
            SELECT id, lat, lng FROM report
            WHERE category = ? AND state IN \(openReportStates) AND created_epoch >= ?
              AND lat BETWEEN ? AND ? AND lng BETWEEN ? AND ?
            ORDER BY seq
            """, arguments: [category.rawValue, since.timeIntervalSince1970, box.minLat, box.maxLat, box.minLng, box.maxLng])
        return rows.first { Geodesy.distance(position, Coordinate(lat: $0["lat"], lng: $0["lng"])) <= ReportWorkflow.duplicateRadiusM }?["id"]
    }

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
        let timeline = withTimeline
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
