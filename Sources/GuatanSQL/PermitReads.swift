import Foundation
import GuatanCore
import GuatanStoreInterface

extension SQLStore {
    public func certificate(permitNumber: String) async throws -> (district: String, photo: StoredPhoto)? {
        try await sqlRead { db in
            guard
                let row = try db.row(
                    """
                    SELECT p.district, ph.id, ph.media_type, ph.byte_count FROM permit p JOIN photo ph ON ph.id = p.certificate_photo
                    WHERE p.permit_no = ?
                    """, [permitNumber]),
                let photo = SQLRows.photo(row)
            else { return nil }
            return (row["district"], photo)
        }
    }

    public func permits(matching filter: PermitFilter, page: PageRequest) async throws -> Page<PermitRecord> {
        try await sqlRead { db in
            var conditions: [String] = []
            var arguments: SQLArguments = []
            if let district = filter.district {
                conditions.append("district = ?")
                arguments += [district]
            }
            if let state = filter.state {
                conditions.append("state = ?")
                arguments += [state.rawValue]
            }
            if let season = filter.season {
                conditions.append("season = ?")
                arguments += [season]
            }
            if let vendorId = filter.vendorId {
                conditions.append("vendor_id = ?")
                arguments += [vendorId]
            }
            let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            let total: Int = try db.value("SELECT COUNT(*) FROM permit" + whereClause, arguments, cached: false) ?? 0
            let numbers: [String] = try db.values(
                "SELECT permit_no FROM permit" + whereClause + " ORDER BY season DESC, seq DESC LIMIT ? OFFSET ?",
                arguments + [page.perPage, page.offset], cached: false)
            return Page(items: try numbers.compactMap { try SQLQueries.permitRecord(db, number: $0) }, total: total, request: page)
        }
    }

    public func permit(number: String) async throws -> PermitRecord? {
        try await sqlRead { db in try SQLQueries.permitRecord(db, number: number) }
    }

    public func permits(vendorId: String) async throws -> [PermitRecord] {
        try await sqlRead { db in
            try (db.values("SELECT permit_no FROM permit WHERE vendor_id = ? ORDER BY season DESC, seq DESC", [vendorId]) as [String])
                .compactMap { try SQLQueries.permitRecord(db, number: $0) }
        }
    }
}

extension SQLStore {
    public func checkIns(vendorId: String, from: LocalDate?, to: LocalDate?, page: PageRequest) async throws -> Page<CheckIn> {
        try await sqlRead { db in
            let filter = "vendor_id = ? AND business_date >= ? AND business_date <= ?"
            let arguments: SQLArguments = [vendorId, from?.description ?? "0000-00-00", to?.description ?? "9999-99-99"]
            let total: Int = try db.value("SELECT COUNT(*) FROM checkin WHERE \(filter)", arguments) ?? 0
            let rows = try db.rows(
                "SELECT * FROM checkin WHERE \(filter) ORDER BY business_date DESC, id DESC LIMIT ? OFFSET ?",
                arguments + [page.perPage, page.offset])
            return Page(items: rows.map(SQLRows.checkIn), total: total, request: page)
        }
    }

    public func checkIns(district: String?, on day: LocalDate, flaggedOnly: Bool, page: PageRequest) async throws -> Page<CheckIn> {
        try await sqlRead { db in
            var filter = "business_date = ?"
            var arguments: SQLArguments = [day.description]
            if let district {
                filter += " AND district = ?"
                arguments += [district]
            }
            if flaggedOnly { filter += " AND flagged = 1" }
            let total: Int = try db.value("SELECT COUNT(*) FROM checkin WHERE \(filter)", arguments) ?? 0
            let rows = try db.rows(
                "SELECT * FROM checkin WHERE \(filter) ORDER BY checked_in_at DESC, id DESC LIMIT ? OFFSET ?",
                arguments + [page.perPage, page.offset])
            return Page(items: rows.map(SQLRows.checkIn), total: total, request: page)
        }
    }

    public func pointsDeducted(permitNumber: String, month: String) async throws -> Int {
        try await sqlRead { db in
            try db.value(
                "SELECT COALESCE(SUM(points), 0) FROM point_deduction WHERE permit_no = ? AND month = ? AND annulled_at IS NULL",
                [permitNumber, month]
            ) ?? 0
        }
    }

    /// A vendor's check-in attempts, oldest first (the audit of check-ins).
    public func checkInAttempts(vendorId: String) async throws -> [CheckInAttemptRecord] {
        try await sqlRead { db in
            try db.rows("SELECT * FROM checkin_attempt WHERE vendor_id = ? ORDER BY id", [vendorId]).map { row in
                CheckInAttemptRecord(
                    at: Date(timeIntervalSince1970: row["at_epoch"]), permitNumber: row["permit_no"], outcome: row["outcome"],
                    refusal: row["refusal"], distanceM: row["distance_m"], accuracyM: row["accuracy_m"],
                    impliedSpeedKmh: row["implied_speed_kmh"], flagged: row["flagged"], method: row["method"], actor: row["actor"])
            }
        }
    }
}
