import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface


extension GuatanDatabase: InspectionStore {
    public func inspectionPhoto(id: String) async throws -> (photo: StoredPhoto, districts: Set<String>)? {
        try await read { db in
            let districts = Set(try String.fetchAll(db, cached: """
                SELECT DISTINCT i.district FROM inspection_photo ip JOIN inspection i ON i.id = ip.inspection_id WHERE ip.photo_id = ?
                """, arguments: [id]))
            guard !districts.isEmpty, let row = try Row.fetchOne(db, cached: "SELECT * FROM photo WHERE id = ?", arguments: [id]),
                let type = PhotoType(rawValue: row["media_type"])
            else { return nil }
            return (StoredPhoto(id: row["id"], type: type, byteCount: row["byte_count"]), districts)
        }
    }

    public func inspect(_ input: InspectionInput, by officer: Account, at: Date) async throws -> Inspection {
        try await write { db in
            guard let slot = try Row.fetchOne(db, cached: """
                SELECT slot.id, slot.site_id, slot.lat, slot.lng, s.district FROM slot JOIN site s ON s.id = slot.site_id WHERE slot.id = ?
                """, arguments: [input.slotId])
            else { throw ValidationError(field: "slot_id", message: "no stall \(input.slotId)") }
            let district: String = slot["district"]
            if officer.role == .officer, officer.district != district {
                throw AccessError.forbidden("stall \(input.slotId) is in district \(district); officers inspect their own district")
            }
            let day = BusinessTime.localDate(of: at)
            let permit = try Row.fetchOne(db, cached: """
                SELECT permit_no, vendor_id, state FROM permit WHERE slot_id = ? AND season = ? AND state IN ('issued', 'suspended')
                ORDER BY seq DESC LIMIT 1
                """, arguments: [input.slotId, day.year])
            let permitNumber: String? = permit?["permit_no"]
            let slotPosition = Coordinate(lat: slot["lat"], lng: slot["lng"])
            let seq = (try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) + 1 FROM inspection")) ?? 1
            let id = "I" + zeroPadded(seq, width: 6)
            let stamp = BusinessTime.rfc3339(at)
            try db.execute(
                sql: """
                    INSERT INTO inspection (seq, id, slot_id, site_id, district, permit_no, officer, result, violations_json, note, lat, lng, distance_m, at, business_date)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    seq, id, input.slotId, slot["site_id"], district, permitNumber, "account:\(officer.username)", input.result.rawValue,
                    Self.json(input.violations.map(\.rawValue)), input.note, input.position?.lat, input.position?.lng,
                    input.position.map { Geodesy.distance($0, slotPosition) }, stamp, day.description,
                ])
            for (index, photo) in input.photos.enumerated() {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO photo (id, media_type, byte_count, purpose, created_at) VALUES (?, ?, ?, 'inspection', ?)",
                    arguments: [photo.id, photo.type.rawValue, photo.byteCount, stamp])
                try db.execute(sql: "INSERT INTO inspection_photo (inspection_id, position, photo_id) VALUES (?, ?, ?)", arguments: [id, index + 1, photo.id])
            }

            var deducted = 0
            var consequences: [String] = []
            if let permitNumber, let vendorId: String = permit?["vendor_id"] {
                let rules = try Self.violationPoints(db, season: day.year)
                for (code, points) in InspectionRules.deductions(result: input.result, violations: input.violations, points: { rules[$0] ?? $0.defaultPoints }) {
                    try db.execute(
                        sql: "INSERT INTO point_deduction (permit_no, month, points, code, at, inspection_id) VALUES (?, ?, ?, ?, ?, ?)",
                        arguments: [permitNumber, Scoring.month(of: day), points, code.rawValue, stamp, id])
                    deducted += points
                }
                if deducted > 0 {
                    consequences = try Self.escalate(db, permitNumber: permitNumber, vendorId: vendorId, season: day.year, at: at)
                }
            }
            for reportId in input.resolvesReports {
                guard let report = try Self.report(db, id: reportId, withTimeline: false) else {
                    throw ValidationError(field: "resolves_reports", message: "no report \(reportId)")
                }
                guard report.district == district else {
                    throw AccessError.forbidden("report \(reportId) belongs to district \(report.district)")
                }
                guard report.state == .dispatched else {
                    throw StoreError.conflict("report \(reportId) is \(report.state.rawValue); an inspection settles dispatched cases")
                }
                try db.execute(sql: "UPDATE report SET state = 'handled', updated_at = ? WHERE id = ?", arguments: [stamp, reportId])
                try Self.addEvent(
                    db, reportId: reportId, at: at, role: officer.role.rawValue, actor: "account:\(officer.username)", action: "handle",
                    from: .dispatched, to: .handled, publicNote: "现场检查 \(id)：\(Self.resultZh(input.result)) (inspection \(id): \(input.result.rawValue))",
                    internalNote: input.note)
            }
            try Self.audit(
                db, at: at, actor: "account:\(officer.username)", action: "inspection.create", entity: "inspection", entityId: id, before: nil,
                after: ["slot_id": input.slotId, "result": input.result.rawValue, "violations": input.violations.map(\.rawValue).joined(separator: ","),
                        "points": String(deducted), "permit_no": permitNumber ?? ""])
            if !consequences.isEmpty { try Self.bumpRegistryVersion(db) }
            var inspection = try Self.inspection(db, id: id)!
            inspection.pointsDeducted = deducted
            inspection.consequences = consequences
            return inspection
        }
    }

    static func resultZh(_ result: InspectionResult) -> String {
        switch result {
        case .compliant: "合规"
        case .warning: "警告"
        case .violation: "违规"
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

    /// The third month of a season in which the permit's points ran out revokes it and bars
    /// the vendor from the next season.
    static func escalate(_ db: Database, permitNumber: String, vendorId: String, season: Int, at: Date) throws -> [String] {
        var byMonth: [String: Int] = [:]
        for row in try Row.fetchAll(db, cached: """
            SELECT month, SUM(points) AS total FROM point_deduction WHERE permit_no = ? AND annulled_at IS NULL GROUP BY month
            """, arguments: [permitNumber]) {
            byMonth[row["month"]] = row["total"]
        }
        guard Scoring.warrantsRevocation(deductedByMonth: byMonth) else { return [] }
        let months = Scoring.exhaustedMonths(deductedByMonth: byMonth).joined(separator: ", ")
        let reason = "points exhausted in \(Scoring.exhaustedMonthsForRevocation) months of season \(season) (\(months))"
        var consequences: [String] = []
        let state = try String.fetchOne(db, sql: "SELECT state FROM permit WHERE permit_no = ?", arguments: [permitNumber])
        if state == "issued" || state == "suspended" {
            try db.execute(sql: "UPDATE permit SET state = 'revoked', updated_at = ? WHERE permit_no = ?", arguments: [BusinessTime.rfc3339(at), permitNumber])
            try audit(db, at: at, actor: "system", action: "permit.revoke", entity: "permit", entityId: permitNumber,
                      before: ["state": state ?? ""], after: ["state": "revoked", "reason": reason])
            consequences.append("permit_revoked")
        }
        try db.execute(
            sql: "INSERT OR IGNORE INTO vendor_bar (vendor_id, season, reason, created_at) VALUES (?, ?, ?, ?)",
            arguments: [vendorId, season + 1, reason, BusinessTime.rfc3339(at)])
        if db.changesCount > 0 {
            try audit(db, at: at, actor: "system", action: "vendor.bar", entity: "vendor", entityId: vendorId, before: nil,
                      after: ["season": String(season + 1), "reason": reason])
            consequences.append("vendor_barred")
        }
        return consequences
    }

    public func inspections(slotId: String?, district: String?, from: LocalDate?, to: LocalDate?, page: PageRequest) async throws -> Page<Inspection> {
        try await read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let slotId { conditions.append("slot_id = ?"); arguments += [slotId] }
            if let district { conditions.append("district = ?"); arguments += [district] }
            if let from { conditions.append("business_date >= ?"); arguments += [from.description] }
            if let to { conditions.append("business_date <= ?"); arguments += [to.description] }
            let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inspection" + whereClause, arguments: arguments) ?? 0
            let ids = try String.fetchAll(db, sql: "SELECT id FROM inspection\(whereClause) ORDER BY seq DESC LIMIT ? OFFSET ?", arguments: arguments + [page.perPage, page.offset])
            return Page(items: try ids.compactMap { try Self.inspection(db, id: $0) }, total: total, request: page)
        }
    }

    public func deductions(vendorId: String, season: Int) async throws -> [PointDeduction] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT d.* FROM point_deduction d JOIN permit p ON p.permit_no = d.permit_no
                WHERE p.vendor_id = ? AND p.season = ? ORDER BY d.id DESC
                """, arguments: [vendorId, season]).map(Self.deduction)
        }
    }

    public func annulDeduction(id: Int64, by admin: Account, reason: String, at: Date) async throws -> PointDeduction {
        try await write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM point_deduction WHERE id = ?", arguments: [id]) else {
                throw StoreError.notFound("no deduction \(id)")
            }
            guard row["annulled_at"] as String? == nil else { throw StoreError.conflict("deduction \(id) is annulled already") }
            try db.execute(
                sql: "UPDATE point_deduction SET annulled_at = ?, annulled_by = ?, annul_reason = ? WHERE id = ?",
                arguments: [BusinessTime.rfc3339(at), "account:\(admin.username)", reason, id])
            try Self.audit(
                db, at: at, actor: "account:\(admin.username)", action: "deduction.annul", entity: "point_deduction", entityId: String(id),
                before: ["points": String(row["points"] as Int), "permit_no": row["permit_no"]], after: ["annulled": "true", "reason": reason])
            return Self.deduction(try Row.fetchOne(db, sql: "SELECT * FROM point_deduction WHERE id = ?", arguments: [id])!)
        }
    }

    public func coverageGaps(district: String, since: LocalDate) async throws -> [CoverageGap] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.id, s.name, s.lat, s.lng, MAX(i.business_date) AS last FROM site s
                LEFT JOIN inspection i ON i.site_id = s.id
                WHERE s.district = ? GROUP BY s.id HAVING last IS NULL OR last < ?
                ORDER BY last IS NOT NULL, last, s.id
                """, arguments: [district, since.description]).map { row in
                CoverageGap(
                    siteId: row["id"], siteName: row["name"], position: Coordinate(lat: row["lat"], lng: row["lng"]),
                    lastInspected: (row["last"] as String?).flatMap(LocalDate.init))
            }
        }
    }

    public func queue(district: String) async throws -> [Report] {
        try await read { db in
            try String.fetchAll(db, sql: "SELECT id FROM report WHERE district = ? AND state = 'dispatched' ORDER BY due_epoch, seq", arguments: [district])
                .compactMap { try Self.report(db, id: $0, withTimeline: false) }
        }
    }

    public func violationRules(season: Int) async throws -> [ViolationCode: Int] {
        try await read { db in
            let own = try Self.violationPoints(db, season: season)
            return Dictionary(uniqueKeysWithValues: ViolationCode.allCases.map { ($0, own[$0] ?? $0.defaultPoints) })
        }
    }

    public func setViolationPoints(season: Int, code: ViolationCode, points: Int, by admin: Account, at: Date) async throws {
        try await write { db in
            let before = try Self.violationPoints(db, season: season)[code] ?? code.defaultPoints
            try db.execute(
                sql: "INSERT INTO violation_rule (season, code, points) VALUES (?, ?, ?) ON CONFLICT (season, code) DO UPDATE SET points = excluded.points",
                arguments: [season, code.rawValue, points])
            try Self.audit(
                db, at: at, actor: "account:\(admin.username)", action: "violation_rule.set", entity: "violation_rule", entityId: "\(season)/\(code.rawValue)",
                before: ["points": String(before)], after: ["points": String(points)])
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
        let photos = try String.fetchAll(db, cached: "SELECT photo_id FROM inspection_photo WHERE inspection_id = ? ORDER BY position", arguments: [id])
        let points = try Int.fetchOne(db, cached: "SELECT COALESCE(SUM(points), 0) FROM point_deduction WHERE inspection_id = ? AND annulled_at IS NULL", arguments: [id]) ?? 0
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
