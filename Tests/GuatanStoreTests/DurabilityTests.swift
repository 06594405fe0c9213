import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface
import Testing

@testable import GuatanSQLite

@Suite("Durability settings: every commit is synced before it is acknowledged")
struct DurabilityTests {
    @Test("the writer and the group commit run in WAL mode with synchronous = FULL")
    func synchronousFull() async throws {
        let folder = try TemporaryDataFolder()
        let database = try await Fixtures.seededDatabase(in: folder)
        let (mode, synchronous) = try await database.pool.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(mode == "wal")
        #expect(synchronous == 2)  // FULL
    }
}
