import Foundation
import GuatanCore
import GuatanSQLite
import GuatanServices
import GuatanStoreInterface

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
/// case. The PostgreSQL store adds its case here and runs the same tests.
enum StoreBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite

    var description: String { rawValue }

    /// A fresh store holding the seed registry.
    func seeded() async throws -> SeededStore {
        switch self {
        case .sqlite:
            let folder = try TemporaryDataFolder()
            let database = try await Fixtures.seededDatabase(in: folder)
            return SeededStore(stores: GuatanStores(database: database), folder: folder)
        }
    }
}

/// A store under test, through its protocols only, with the workflows over it.
struct SeededStore: Sendable {
    let stores: GuatanStores
    /// Keeps the data folder for as long as the store is used.
    let folder: TemporaryDataFolder

    var workflows: GuatanWorkflows { GuatanWorkflows(store: stores.workflow) }
}
