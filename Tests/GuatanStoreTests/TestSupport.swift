import Foundation
import GRDB
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import GuatanTestSupport

@testable import GuatanPostgres
@testable import GuatanSQL
@testable import GuatanSQLite

/// A fresh data folder per test, removed afterwards.
final class TemporaryDataFolder: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("guatan-store-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}

enum Fixtures {
    /// The repository's seed folder.
    static let seedDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("seed", isDirectory: true)

    static let now = BusinessTime.parseInstant("2026-07-15T09:00:00+08:00")!
    static let today = LocalDate("2026-07-15")!

    /// Registers `count` vendors with distinct cards and plates.
    static func vendors(_ workflows: GuatanWorkflows, count: Int) async throws -> [String] {
        var ids: [String] = []
        for index in 0..<count {
            let (vendor, _) = try await workflows.accounts.registerVendor(
                VendorDraft(
                    name: "农户\(index)", phone: "1390000\(String(format: "%04d", index))", idCardNo: "11010519491231002X",
                    origin: "榆中县", vehiclePlate: "甘A\(String(format: "%05d", index))", produce: ["西瓜"]),
                idCardHash: "card-\(index)", username: "farmer\(index)", passwordHash: "x", actor: "test", at: Fixtures.now)
            ids.append(vendor.id)
        }
        return ids
    }

    static func seededDatabase(in folder: TemporaryDataFolder) async throws -> GuatanDatabase {
        let database = try GuatanDatabase(dataDirectory: folder.url)
        try await database.workflows.registry.loadSeedIfNeeded(from: seedDirectory, now: now)
        return database
    }
}

extension Account {
    /// An administrator for tests that set up data through the workflows.
    static let testAdmin = Account(id: 0, username: "test", role: .admin, district: nil, vendorId: nil)
}

extension GuatanDatabase {
    var workflows: GuatanWorkflows { GuatanWorkflows(store: self) }
}

/// The backends the shared store suite runs on: each test taking a `StoreBackend` runs once per
/// case, on SQLite in a data folder of its own and on PostgreSQL in a database of its own.
enum StoreBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    var description: String { rawValue }

    /// A fresh store with nothing in it, not even the registry.
    func empty() async throws -> SeededStore {
        switch self {
        case .sqlite:
            let folder = try TemporaryDataFolder()
            return SeededStore(try GuatanDatabase(dataDirectory: folder.url), folder: folder)
        case .postgres:
            let folder = try TemporaryDataFolder()
            return SeededStore(postgres: try await TestPostgresDatabase.make(dataDirectory: folder.url), folder: folder)
        }
    }

    /// A fresh store holding the seed registry.
    func seeded() async throws -> SeededStore {
        let store = try await empty()
        try await store.workflows.registry.loadSeedIfNeeded(from: Fixtures.seedDirectory, now: Fixtures.now)
        return store
    }
}

/// A store under test, through its protocols only, with the workflows over it.
struct SeededStore: Sendable {
    let stores: GuatanStores
    /// Keeps the data folder (and the PostgreSQL database) for as long as the store is used.
    let folder: TemporaryDataFolder
    let database: TestPostgresDatabase?
    /// Plain SQL that every backend understands, for what no protocol does: setting a test's
    /// scene (a site's own geofence) and counting rows the way a reviewer would.
    let execute: @Sendable (String) async throws -> Void
    let count: @Sendable (String) async throws -> Int

    init(_ database: GuatanDatabase, folder: TemporaryDataFolder) {
        stores = GuatanStores(database: database)
        self.folder = folder
        self.database = nil
        execute = { sql in try await database.pool.write { db in try db.execute(sql: sql) } }
        count = { sql in try await database.pool.read { db in try Int.fetchOne(db, sql: sql) ?? 0 } }
    }

    init(postgres database: TestPostgresDatabase, folder: TemporaryDataFolder) {
        let store = database.store
        stores = GuatanStores(postgres: store)
        self.folder = folder
        self.database = database
        execute = { sql in _ = try await store.sqlWrite { db in try db.run(sql) } }
        count = { sql in try await store.sqlRead { db in try db.value(sql) ?? 0 } }
    }

    var workflows: GuatanWorkflows { GuatanWorkflows(store: stores.workflow) }

    /// The audit trail of one entity, oldest first, read through the audit store.
    func auditTrail(entity: String, id: String) async throws -> [AuditEntry] {
        try await stores.audit.auditEntries(entity: entity, entityId: id, actor: nil, page: PageRequest(perPage: 100)).items.reversed()
    }
}
