import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface

/// What `loadDemo` made, and the logins worth trying.
public struct DemoSummary: Sendable {
    public var admin: String
    /// District code → the officer's username.
    public var officers: [(district: String, username: String)]
    public var vendorsCreated: Int
    public var permitsIssued: Int
    public var applications: Int
    public var checkedInToday: Int
    /// Vendors to try, each with what his day looks like.
    public var sampleVendors: [(username: String, slotId: String, situation: String)]
}

extension GuatanDatabase {
    public static let demoAdmin = "demo.admin"

    /// Adds the demo population in one transaction, once (nil when it is already there):
    /// an administrator, an officer per district, and a vendor for most slots: about six in
    /// seven slots get an issued permit for `season`, a few vendors have an application
    /// waiting for review (requested) or a suspended permit, and when `now` is inside the
    /// season and its hours, two in three issued stalls are checked in today.
    public func loadDemo(vendors: [DemoVendor], passwordHash: String, season year: Int, now: Date) throws -> DemoSummary? {
        try pool.write { db in
            // Demo accounts share a published password: never beside real ones.
            let foreign = try String.fetchAll(db, sql: "SELECT username FROM account WHERE username NOT GLOB 'demo.*' ORDER BY username LIMIT 3")
            if !foreign.isEmpty {
                throw StoreError.conflict(
                    "this data folder holds accounts --demo did not make (\(foreign.joined(separator: ", ")), …): --demo adds an administrator "
                        + "with a published password, so it runs only on a folder of its own; leave out --demo or use another --data")
            }
            if try Int.fetchOne(db, sql: "SELECT 1 FROM account WHERE username = ?", arguments: [Self.demoAdmin]) != nil {
                return nil
            }
            let stamp = BusinessTime.rfc3339(now)
            let actor = "demo"
            func addAccount(_ username: String, role: Role, district: String?, vendorId: String?) throws {
                try db.execute(
                    sql: "INSERT INTO account (username, password_hash, role, district, vendor_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [username, passwordHash, role.rawValue, district, vendorId, stamp])
                try Self.audit(
                    db, at: now, actor: actor, action: "account.create", entity: "account", entityId: username, before: nil,
                    after: ["username": username, "role": role.rawValue])
            }
            try addAccount(Self.demoAdmin, role: .admin, district: nil, vendorId: nil)
            var officers: [(String, String)] = []
            for code in try String.fetchAll(db, sql: "SELECT code FROM district ORDER BY code") {
                let username = "demo.officer.\(code.lowercased())"
                try addAccount(username, role: .officer, district: code, vendorId: nil)
                officers.append((code, username))
            }

            let season = try Self.season(db, year: year)
            let today = BusinessTime.localDate(of: now)
            let trading = season.contains(today) && season.isWithinHours(BusinessTime.localTime(of: now))
            let slots = try Row.fetchAll(
                db,
                sql: """
                    SELECT slot.id, slot.lat, slot.lng, site.district FROM slot JOIN site ON site.id = slot.site_id
                    WHERE slot.id NOT IN (SELECT slot_id FROM permit WHERE season = ? AND state IN \(Self.liveStates))
                    ORDER BY slot.id
                    """, arguments: [year])
            var sequences: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT district, COUNT(*) AS n FROM permit WHERE season = ? GROUP BY district", arguments: [year]) {
                sequences[row["district"]] = row["n"]
            }
            var summary = DemoSummary(
                admin: Self.demoAdmin, officers: officers, vendorsCreated: 0, permitsIssued: 0, applications: 0, checkedInToday: 0,
                sampleVendors: [])
            var nextVendor = vendors.makeIterator()
            for (index, slot) in slots.enumerated() {
                // Every seventh slot stays vacant, so the map shows some free places.
                if index % 7 == 6 { continue }
                guard let demo = nextVendor.next() else { break }
                let seq = (try Int64.fetchOne(db, cached: "SELECT COALESCE(MAX(seq), 0) + 1 FROM vendor")) ?? 1
                let vendorId = Vendor.id(sequence: seq)
                let produce = Self.json(demo.draft.produce)
                try db.execute(
                    sql: """
                        INSERT INTO vendor (seq, id, name, phone, id_card_hash, id_card_last4, origin, vehicle_plate, produce_json, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        seq, vendorId, demo.draft.name, demo.draft.phone, demo.idCardHash, String(demo.draft.idCardNo.suffix(4)),
                        demo.draft.origin, demo.draft.vehiclePlate, produce, stamp,
                    ])
                try db.execute(
                    sql: "INSERT INTO account (username, password_hash, role, vendor_id, created_at) VALUES (?, ?, 'vendor', ?, ?)",
                    arguments: [demo.username, passwordHash, vendorId, stamp])
                summary.vendorsCreated += 1

                let state: PermitState = index % 41 == 5 ? .requested : (index % 53 == 7 ? .suspended : .issued)
                let slotId: String = slot["id"]
                let district: String = slot["district"]
                let sequence = (sequences[district] ?? 0) + 1
                sequences[district] = sequence
                let number = PermitWorkflow.permitNumber(year: year, district: district, sequence: sequence)
                try db.execute(
                    sql: """
                        INSERT INTO permit (permit_no, season, vendor_id, slot_id, district, state, produce_json, vehicle_plate, created_at, updated_at, issued_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        number, year, vendorId, slotId, district, state.rawValue, produce, demo.draft.vehiclePlate, stamp, stamp,
                        state == .requested ? nil : stamp,
                    ])
                try Self.audit(
                    db, at: now, actor: actor, action: "permit.create", entity: "permit", entityId: number, before: nil,
                    after: ["state": state.rawValue, "vendor_id": vendorId, "slot_id": slotId, "season": String(year)])
                switch state {
                case .requested: summary.applications += 1
                case .issued: summary.permitsIssued += 1
                default: break
                }

                var situation = state == .requested ? "application waiting for review" : (state == .suspended ? "permit suspended" : "permit issued")
                if state == .issued, trading, index % 3 != 2 {
                    let stallPosition = Coordinate(lat: slot["lat"], lng: slot["lng"])
                    try db.execute(
                        sql: """
                            INSERT INTO checkin (permit_no, vendor_id, slot_id, district, business_date, checked_in_at, lat, lng, accuracy_m, distance_m, method)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 12, 0, 'vendor')
                            """,
                        arguments: [number, vendorId, slotId, district, today.description, stamp, stallPosition.lat, stallPosition.lng])
                    summary.checkedInToday += 1
                    situation += ", checked in today"
                } else if state == .issued {
                    situation += trading ? ", not checked in yet" : ""
                }
                if summary.sampleVendors.count < 4, !summary.sampleVendors.contains(where: { $0.situation == situation }) {
                    summary.sampleVendors.append((demo.username, slotId, situation))
                }
            }
            try Self.bumpRegistryVersion(db)
            try Self.catchUpNumberSequences(db)
            return summary
        }
    }
}
