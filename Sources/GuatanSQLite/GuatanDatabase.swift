import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface
import Logging

/// The embedded SQLite database in the data folder: one `DatabasePool` (WAL mode,
/// concurrent readers beside one writer), foreign keys on, writers wait for the lock.
public final class GuatanDatabase: Sendable {
    public static let fileName = "guatan.sqlite"

    let pool: DatabasePool
    let logger: Logger
    /// The data folder the database lives in (photos live beside it).
    public let dataDirectory: URL
    /// The writer for check-ins and check-outs, which come in bursts every morning.
    let groupCommit: GroupCommit
    /// Committed changes, for the caches of this process.
    let changeFeed = ChangeFeed()

    /// Opens (creating if needed) the database in `dataDirectory` and brings its schema up to date.
    public init(dataDirectory: URL, logger: Logger = Logger(label: "guatan.store"), observer: StoreObserver = StoreObserver()) throws {
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // Another process (a CLI subcommand beside the server) may hold the write lock briefly.
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // FULL: a commit is on disk before it is acknowledged, even across a power cut.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        self.pool = try DatabasePool(path: dataDirectory.appendingPathComponent(Self.fileName).path, configuration: configuration)
        // GRDB switches the writer to WAL after prepareDatabase and sets synchronous = NORMAL
        // with it, which survives a crash of the process but not a power cut: set FULL again
        // on the one writer connection, so every commit's WAL frames are synced before it returns.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        self.logger = logger
        self.dataDirectory = dataDirectory
        self.groupCommit = GroupCommit(pool: pool, observer: observer)
        try Self.migrator.migrate(pool)
    }

    /// Names of the migrations applied, in the order they run.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in
            let applied = try Self.migrator.appliedIdentifiers(db)
            return Self.migrator.migrations.filter(applied.contains)
        }
    }

    /// Runs SQLite's own consistency check; empty when the file is sound.
    public func integrityProblems() throws -> [String] {
        try pool.read { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
        }
    }
}

// Statements prepared once per connection and reused: preparing a join costs more
// than running it, and the same few queries serve every request.

extension Row {
    static func fetchAll(_ db: Database, cached sql: String, arguments: StatementArguments = []) throws -> [Row] {
        try fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
    }

    static func fetchOne(_ db: Database, cached sql: String, arguments: StatementArguments = []) throws -> Row? {
        try fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }
}

extension DatabaseValueConvertible where Self: StatementColumnConvertible {
    static func fetchAll(_ db: Database, cached sql: String, arguments: StatementArguments = []) throws -> [Self] {
        try fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
    }

    static func fetchOne(_ db: Database, cached sql: String, arguments: StatementArguments = []) throws -> Self? {
        try fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }
}

extension GuatanDatabase {
    /// A consistent copy of the whole database into `file`, taken with SQLite's online backup
    /// while the service goes on writing. Returns the migrations the copy carries.
    public func backup(to file: URL) throws -> [String] {
        if FileManager.default.fileExists(atPath: file.path) {
            throw StoreError.conflict("\(file.path) exists; choose a new file")
        }
        let destination = try DatabaseQueue(path: file.path)
        try pool.backup(to: destination)
        try destination.close()
        return try Self.check(file)
    }

    /// Checks a backup (SQLite's integrity check, Guatan's migrations) and returns its migrations.
    public static func check(_ file: URL) throws -> [String] {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: file.path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { db in
            let problems = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
            guard problems.isEmpty else { throw StoreError.conflict("\(file.path) is damaged: \(problems.prefix(3).joined(separator: "; "))") }
            guard try db.tableExists("grdb_migrations") else { throw StoreError.conflict("\(file.path) is not a Guatan database") }
            let applied = try migrator.appliedIdentifiers(db)
            return migrator.migrations.filter(applied.contains)
        }
    }

    /// Replaces this database's content with a checked backup's, page by page under SQLite's
    /// locks, then brings the schema up to date (a backup from an older version).
    public func restore(from file: URL) throws -> [String] {
        let migrations = try Self.check(file)
        var configuration = Configuration()
        configuration.readonly = true
        let source = try DatabaseQueue(path: file.path, configuration: configuration)
        try source.backup(to: pool)
        try source.close()
        try Self.migrator.migrate(pool)
        return migrations
    }
}
