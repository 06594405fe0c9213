import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface

extension GuatanDatabase: CheckInStore {

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

    public func pointsDeducted(permitNumber: String, month: String) async throws -> Int {
        try await read { db in
            try Int.fetchOne(
                db, cached: "SELECT COALESCE(SUM(points), 0) FROM point_deduction WHERE permit_no = ? AND month = ? AND annulled_at IS NULL",
                arguments: [permitNumber, month]) ?? 0
        }
    }

    func deductPoints(permitNumber: String, month: String, points: Int, code: String, at: Date) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO point_deduction (permit_no, month, points, code, at) VALUES (?, ?, ?, ?, ?)",
                arguments: [permitNumber, month, points, code, BusinessTime.rfc3339(at)])
        }
    }

    func checkInAttempts(vendorId: String) async throws -> [CheckInAttemptRecord] {
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

    static func previousAttempt(_ db: Database, vendorId: String) throws -> PreviousAttempt? {
        guard
            let row = try Row.fetchOne(
                db,
                cached: """
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

}
