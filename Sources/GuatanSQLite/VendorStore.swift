import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface

extension GuatanDatabase: VendorStore {
    public func createVendor(
        _ draft: VendorDraft, idCardHash: String, username: String, passwordHash: String, actor: String, at: Date
    ) async throws -> (vendor: Vendor, account: Account) {
        try await write { db in
            if let existing = try String.fetchOne(db, cached: "SELECT id FROM vendor WHERE id_card_hash = ?", arguments: [idCardHash]) {
                throw StoreError.conflict("a vendor with this ID card is already registered as \(existing)")
            }
            if try Int.fetchOne(db, cached: "SELECT 1 FROM account WHERE username = ?", arguments: [username]) != nil {
                throw StoreError.conflict("the username \(username) is taken")
            }
            let stamp = BusinessTime.rfc3339(at)
            let produce = String(decoding: try JSONEncoder().encode(draft.produce), as: UTF8.self)
            let seq = try SQLiteTransaction(db).nextNumber("vendor")
            let vendorId = Vendor.id(sequence: seq)
            try db.execute(
                sql: """
                    INSERT INTO vendor (seq, id, name, phone, id_card_hash, id_card_last4, origin, vehicle_plate, produce_json, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    seq, vendorId, draft.name, draft.phone, idCardHash, String(draft.idCardNo.suffix(4)), draft.origin,
                    draft.vehiclePlate, produce, stamp,
                ])
            try db.execute(
                sql: "INSERT INTO account (username, password_hash, role, vendor_id, created_at) VALUES (?, ?, 'vendor', ?, ?)",
                arguments: [username, passwordHash, vendorId, stamp])
            let account = Account(id: db.lastInsertedRowID, username: username, role: .vendor, district: nil, vendorId: vendorId)
            let vendor = Vendor(
                id: vendorId, name: draft.name, phone: draft.phone, idCardLast4: String(draft.idCardNo.suffix(4)),
                origin: draft.origin, vehiclePlate: draft.vehiclePlate, produce: draft.produce)
            try Self.audit(
                db, at: at, actor: actor, action: "vendor.create", entity: "vendor", entityId: vendorId, before: nil,
                after: [
                    "name": vendor.name, "phone": vendor.phone, "id_card_last4": vendor.idCardLast4, "origin": vendor.origin,
                    "vehicle_plate": vendor.vehiclePlate, "produce": produce, "username": username,
                ])
            return (vendor, account)
        }
    }

    public func vendor(id: String) async throws -> Vendor? {
        try await read { db in
            try Row.fetchOne(db, cached: "SELECT * FROM vendor WHERE id = ?", arguments: [id]).map(Self.vendor)
        }
    }

    static func vendor(_ row: Row) -> Vendor {
        let produce = (try? JSONDecoder().decode([String].self, from: Data((row["produce_json"] as String).utf8))) ?? []
        return Vendor(
            id: row["id"], name: row["name"], phone: row["phone"], idCardLast4: row["id_card_last4"],
            origin: row["origin"], vehiclePlate: row["vehicle_plate"], produce: produce)
    }
}
