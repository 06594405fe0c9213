import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface

extension GuatanDatabase: VendorStore {
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
