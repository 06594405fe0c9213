import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GuatanSQLite

@Suite("Graceful degradation: writes refused clearly, reads go on")
struct DegradationTests {
    @Test("a read-only database makes writes answer 503 with Retry-After while reads go on; writes work again when it recovers")
    func readOnly() async throws {
        let service = try await Scene.permitIssued()
        let database = service.database
        try await service.run { client in
            let vendor = try await client.signIn("zhangsan")
            // The writer connection refuses writes, as SQLite does on a read-only or failing disk.
            try await database.pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA query_only = 1") }
            let report = try await client.post("/api/v1/reports", json: #"{"category": "hygiene", "description": "垃圾", "slot_id": "CG-001-01"}"#)
            try report.expectError(.serviceUnavailable, code: "UNAVAILABLE")
            #expect(report.headers[.retryAfter] == "30")
            try await Scene.checkIn(client, vendor).expectError(.serviceUnavailable, code: "UNAVAILABLE")
            #expect(try await client.get("/api/v1/map.geojson").status == .ok)
            #expect(try await client.get("/api/v1/stalls/CG-001-01").json()["status_today"] as? String == "assigned")
            #expect(try await client.get("/api/v1/reports").json()["total"] as? Int == 0, "nothing half-written")

            try await database.pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA query_only = 0") }
            #expect(
                try await client.post("/api/v1/reports", json: #"{"category": "hygiene", "description": "垃圾", "slot_id": "CG-001-01"}"#).status
                    == .created)
            #expect(try await Scene.checkIn(client, vendor).status == .created)
        }
    }

    @Test("SQLite's full disk, I/O error and a held lock become the store's unavailability; a broken unique rule a conflict; other errors stay")
    func classification() {
        func mapped(_ code: ResultCode) -> any Error { GuatanDatabase.storeError(DatabaseError(resultCode: code)) }
        #expect(StoreError.unavailability(of: mapped(.SQLITE_FULL)) != nil)
        #expect(StoreError.unavailability(of: mapped(.SQLITE_IOERR)) != nil)
        #expect(StoreError.unavailability(of: mapped(.SQLITE_BUSY)) != nil)
        #expect(StoreError.unavailability(of: mapped(.SQLITE_CONSTRAINT)) == nil)
        #expect(mapped(.SQLITE_CONSTRAINT_UNIQUE) as? StoreError != nil)
        #expect(mapped(.SQLITE_CONSTRAINT) is DatabaseError)
        #expect(StoreError.unavailability(of: StoreError.notFound("x")) == nil)
    }
}
