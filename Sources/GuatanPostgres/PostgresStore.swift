import Foundation
import GuatanCore
import GuatanSQL
import GuatanStoreInterface
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// Where a PostgreSQL database is, from `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`
/// with an optional `?sslmode=disable|prefer|require` (as libpq spells it; loopback defaults
/// to `disable`, any other host to `prefer`).
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, Hashable { case disable, prefer, require }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    public init(url text: String) throws(ValidationError) {
        guard let url = URLComponents(string: text), url.scheme == "postgres" || url.scheme == "postgresql",
            let host = url.host, !host.isEmpty, let user = url.user, !user.isEmpty
        else {
            throw ValidationError(field: "database", message: "the database must be a URL postgres://USER@HOST[:PORT]/DATABASE, not '\(text)'")
        }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw ValidationError(field: "database", message: "the database URL names no database: postgres://USER@HOST/DATABASE")
        }
        self.host = host
        self.port = url.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = url.password?.removingPercentEncoding
        self.database = database
        let loopback = ["127.0.0.1", "::1", "localhost"].contains(host)
        let mode = url.queryItems?.first(where: { $0.name == "sslmode" })?.value
        guard let tls = mode.map(TLSMode.init(rawValue:)) ?? (loopback ? .disable : .prefer) else {
            throw ValidationError(field: "database", message: "sslmode must be disable, prefer or require")
        }
        self.tls = tls
    }

    /// The same server, another database (the tests make one each).
    public func database(_ name: String) -> PostgresLocation {
        var other = self
        other.database = name
        return other
    }

    /// The URL without its password, for logs and messages.
    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)" }

    /// One connection of its own (the listener's), with the pool's TLS choice.
    var connectionConfiguration: PostgresConnection.Configuration {
        let tlsConfiguration: PostgresConnection.Configuration.TLS =
            switch tls {
            case .disable: .disable
            case .prefer: (try? .prefer(.init(configuration: .makeClientConfiguration()))) ?? .disable
            case .require: (try? .require(.init(configuration: .makeClientConfiguration()))) ?? .disable
            }
        return PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tlsConfiguration)
    }

    var configuration: PostgresClient.Configuration {
        let tlsConfiguration: PostgresClient.Configuration.TLS =
            switch tls {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
        return PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tlsConfiguration)
    }
}

/// The PostgreSQL backend: a pool of connections (postgres-nio's `PostgresClient`) and the
/// threads transactions run on. The workflows' transaction bodies are synchronous (the same
/// body runs inside a SQLite write); here each body runs on a thread of its own and each of
/// its queries waits there for the server's answer, so a transaction holds one thread and one
/// connection, never a thread of Swift's cooperative pool.
public final class PostgresStore: Sendable {
    static let migrations: [PostgresMigration] = [
        .schema, .requestLimits, .registryVersionShards, .allocation, .retiredPlaces, .feedback, .voiceNotes,
        .feedbackRetention,
    ]

    public let location: PostgresLocation
    let client: PostgresClient
    let logger: Logger
    let threads: NIOThreadPool
    private let running: Task<Void, Never>

    /// How long a request waits for a connection before it is told the database is unavailable.
    let leaseTimeout: Duration

    /// The folder for what is not in the database: photos, the personal-data key.
    public let dataDirectory: URL
    /// Committed changes, for the caches of this process: its own writes' and, once
    /// `listenForChanges` has begun, every other instance's.
    let changeFeed = ChangeFeed()
    /// This process among the instances: its own notifications are not applied twice.
    let instance = String(UUID().uuidString.prefix(8)).lowercased()
    /// The channel every instance's writes are announced on.
    static let channel = "guatan_changes"
    private let listener = Mutex<(task: Task<Void, Never>?, connection: PostgresConnection?)>((nil, nil))
    private let listening = Mutex(false)

    public init(
        location: PostgresLocation, dataDirectory: URL = URL(fileURLWithPath: "data", isDirectory: true),
        logger: Logger = Logger(label: "guatan.postgres"), connections: Int = 16, leaseTimeout: Duration = .seconds(5)
    ) {
        self.dataDirectory = dataDirectory
        self.leaseTimeout = leaseTimeout
        var configuration = location.configuration
        configuration.options.maximumConnections = connections
        configuration.options.minimumConnections = 0
        // The pool logs each failed connection attempt (many a second while the server is
        // down); the requests that fail say so once each, as 503s.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .warning)
        let client = PostgresClient(configuration: configuration, backgroundLogger: poolLogger)
        self.location = location
        self.client = client
        self.logger = logger
        threads = NIOThreadPool(numberOfThreads: connections)
        threads.start()
        running = Task { await client.run() }
    }

    /// Stops the pool: open connections close, later calls fail as unavailable.
    public func shutdown() async {
        let (task, connection) = listener.withLock { listener in
            defer { listener = (nil, nil) }
            return listener
        }
        task?.cancel()
        try? await connection?.close()
        await task?.value
        running.cancel()
        _ = await running.value
        try? await threads.shutdownGracefully()
    }

    /// Brings the schema up to date; the migrations applied now, in order. Several instances
    /// starting at once take turns on an advisory lock, so each migration runs once.
    @discardableResult
    public func migrate() async throws -> [String] {
        // One connection of its own first: what the server says (no such database, a wrong
        // password) reaches the operator as it is, not as the pool's "cannot connect".
        do {
            let connection = try await PostgresConnection.connect(configuration: location.connectionConfiguration, id: 0, logger: logger)
            try await connection.close()
        } catch {
            throw PostgresErrors.storeError(error)
        }
        var applied: [String] = []
        for migration in Self.migrations {
            let logger = logger
            let stamp = BusinessTime.rfc3339(Date())
            let ran = try await withConnection { leased in
                try await leased.withTransaction(logger: logger) { connection -> Bool in
                    try await connection.query("SELECT pg_advisory_xact_lock(20261203)", logger: logger)
                    try await connection.query(
                        "CREATE TABLE IF NOT EXISTS schema_migration (identifier text PRIMARY KEY, applied_at text NOT NULL)", logger: logger)
                    let rows = try await connection.query(
                        "SELECT identifier FROM schema_migration WHERE identifier = \(migration.identifier)", logger: logger)
                    for try await _ in rows { return false }
                    for statement in migration.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        "INSERT INTO schema_migration (identifier, applied_at) VALUES (\(migration.identifier), \(stamp))", logger: logger)
                    return true
                }
            }
            if ran { applied.append(migration.identifier) }
        }
        return applied
    }

    /// The migrations this database has had, in the order they ran.
    public func appliedMigrations() async throws -> [String] {
        let logger = logger
        return try await withConnection { connection in
            let rows = try await connection.query("SELECT identifier FROM schema_migration ORDER BY applied_at, identifier", logger: logger)
            var identifiers: [String] = []
            for try await identifier in rows.decode(String.self) { identifiers.append(identifier) }
            return identifiers
        }
    }

    /// Runs `body` in one transaction (begun by `begin`), on a thread of the store's own where
    /// its queries wait. A body that throws rolls back; so does a failed commit, which is reported.
    func blockingTransaction<T: Sendable>(
        begin: String = "BEGIN", _ body: @escaping @Sendable (BlockingConnection) throws -> T
    ) async throws -> T {
        let logger = logger
        let threads = threads
        return try await withConnection { connection in
            try await threads.runIfActive {
                let blocking = BlockingConnection(connection: connection, logger: logger)
                try blocking.execute(begin)
                do {
                    let value = try body(blocking)
                    try blocking.execute("COMMIT")
                    return value
                } catch {
                    try? blocking.execute("ROLLBACK")
                    throw error
                }
            }
        }
    }

    /// Hears what the other instances' writes changed (`LISTEN`) and publishes it on this
    /// instance's feed, so its caches drop a stall page another instance changed at once. A lost
    /// connection is made again (every cache is dropped then: what was said meanwhile is lost).
    /// Returns once it listens (or after `wait`, the server out of reach: it goes on trying).
    public func listenForChanges(wait: Duration = .seconds(5)) async {
        listener.withLock { listener in
            guard listener.task == nil else { return }
            listener.task = Task { await self.listen() }
        }
        let deadline = ContinuousClock.now + wait
        while !listening.withLock({ $0 }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    private func listen() async {
        var delay = Duration.milliseconds(100)
        var warned = false
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(configuration: location.connectionConfiguration, id: 0, logger: logger)
                let kept = listener.withLock { listener in
                    guard listener.task != nil else { return false }
                    listener.connection = connection
                    return true
                }
                guard kept else {
                    try? await connection.close()
                    return
                }
                try await connection.listen(on: Self.channel) { notifications in
                    // Listening again after a loss: whatever was announced meanwhile was not heard.
                    changeFeed.publish([.everything])
                    listening.withLock { $0 = true }
                    if warned { logger.notice("hearing the other instances' changes again") }
                    (delay, warned) = (.milliseconds(100), false)
                    for try await notification in notifications {
                        let (sender, changes) = ChangeNotice.decode(notification.payload)
                        if sender != instance { changeFeed.publish(changes) }
                    }
                }
            } catch {
                if !warned, !Task.isCancelled {
                    logger.warning(
                        "cannot hear the other instances' changes; trying again", metadata: ["error": "\(PostgresErrors.storeError(error))"])
                    warned = true
                }
            }
            // However listening ended, its connection goes and a new one is made.
            listening.withLock { $0 = false }
            let lost = listener.withLock { listener in
                defer { listener.connection = nil }
                return listener.connection
            }
            try? await lost?.close()
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }

    /// A connection from the pool for `body`, or `.unavailable` when none comes within
    /// `leaseTimeout`: while the server is down the pool keeps trying to connect, and a request
    /// must be told so at once (503), not wait for it.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let client = client
        let timeout = leaseTimeout
        // Only the wait for a connection is bounded: a long transaction (a statistics read, a
        // copy) that has its connection takes the time it needs.
        let leased = LeaseFlag()
        return try await storeErrors {
            try await withThrowingTaskGroup(of: LeaseOutcome<T>.self) { group in
                group.addTask {
                    try await client.withConnection { connection in
                        leased.set()
                        return .done(try await body(connection))
                    }
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return .leaseTimedOut
                }
                defer { group.cancelAll() }
                while let outcome = try await group.next() {
                    switch outcome {
                    case .done(let value): return value
                    case .leaseTimedOut where !leased.isSet:
                        throw StoreError.unavailable(label: "database_unreachable", reason: "the server cannot reach its database")
                    case .leaseTimedOut: continue
                    }
                }
                throw StoreError.unavailable(label: "database_unreachable", reason: "the server cannot reach its database")
            }
        }
    }

    private func storeErrors<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch { throw PostgresErrors.storeError(error) }
    }
}

/// Whether a connection was leased, set from the pool's task and read from the waiting one.
final class LeaseFlag: Sendable {
    private let state = Mutex(false)
    func set() { state.withLock { $0 = true } }
    var isSet: Bool { state.withLock { $0 } }
}

/// Which came first: the body's value, or the lease timeout.
enum LeaseOutcome<T: Sendable>: Sendable {
    case done(T)
    case leaseTimedOut
}

/// Rows passed from the event loop that receives them to the store thread that reads them.
final class RowHandover: Sendable {
    private struct State {
        var columns: SQLColumns?
        var rows: [SQLRow] = []
        var outcome: Result<Void, any Error>?
        var waiting = false
    }

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    /// On the event loop, for each row.
    func push(_ row: PostgresRow) {
        let values: Result<[SQLValue], any Error> = Result { try row.map(BlockingConnection.value) }
        let signal = state.withLock { state -> Bool in
            switch values {
            case .success(let values):
                let columns = state.columns ?? SQLColumns(row.map(\.columnName))
                state.columns = columns
                state.rows.append(SQLRow(columns: columns, values: values))
            case .failure(let error):
                if state.outcome == nil { state.outcome = .failure(error) }
            }
            defer { state.waiting = false }
            return state.waiting
        }
        if signal { wake.signal() }
    }

    /// On the event loop, once the query has ended.
    func finish(_ result: Result<Void, any Error>) {
        let signal = state.withLock { state -> Bool in
            if state.outcome == nil { state.outcome = result }
            defer { state.waiting = false }
            return state.waiting
        }
        if signal { wake.signal() }
    }

    /// On the store's thread: the rows received since the last call, waiting for some; nil
    /// once the query has ended and every row was taken.
    func take() -> [SQLRow]? {
        while true {
            let taken = state.withLock { state -> [SQLRow]?? in
                if !state.rows.isEmpty {
                    defer { state.rows = [] }
                    return .some(state.rows)
                }
                if state.outcome != nil { return .some(nil) }
                state.waiting = true
                return nil
            }
            if let taken { return taken }
            wake.wait()
        }
    }

    var outcome: Result<Void, any Error>? { state.withLock { $0.outcome } }
}

/// A leased connection whose queries wait for their answer on the calling thread: used only
/// on the store's own threads, never on an event loop or in Swift's cooperative pool.
struct BlockingConnection: SQLConnection, Sendable {
    let connection: PostgresConnection
    let logger: Logger

    @discardableResult
    func query(_ query: PostgresQuery) throws -> PostgresQueryResult {
        do { return try connection.query(query, logger: logger).wait() } catch { throw PostgresErrors.storeError(error) }
    }

    func execute(_ sql: String) throws {
        try query(PostgresQuery(unsafeSQL: sql))
    }

    var dialect: SQLDialect { .postgres }

    func fetchAll(_ sql: String, _ arguments: SQLArguments, cached: Bool) throws -> [SQLRow] {
        let result = try query(Self.query(sql, arguments))
        guard let first = result.rows.first else { return [] }
        let columns = SQLColumns(first.map(\.columnName))
        return try result.rows.map { row in SQLRow(columns: columns, values: try row.map(Self.value)) }
    }

    func execute(_ sql: String, _ arguments: SQLArguments, cached: Bool) throws -> Int {
        try query(Self.query(sql, arguments)).metadata.rows ?? 0
    }

    /// Rows handed over as they arrive: the connection's event loop turns each into values
    /// while this thread works on those before it, and no result is held whole (the national
    /// registry's 205,900 slots).
    func forEachRow(_ sql: String, _ arguments: SQLArguments, cached: Bool, _ body: (SQLRow) throws -> Void) throws {
        let handover = RowHandover()
        connection.query(try Self.query(sql, arguments), logger: logger) { row in
            handover.push(row)
        }.whenComplete { handover.finish($0.map { _ in () }) }
        var failure: (any Error)?
        while let rows = handover.take() {
            guard failure == nil else { continue }  // the query runs on to its end: the connection is ours until then
            do {
                for row in rows { try body(row) }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        if case .failure(let error) = handover.outcome { throw PostgresErrors.storeError(error) }
    }

    /// The shared SQL's `?`s as PostgreSQL's `$1, $2, …` (outside quoted text), with the values bound.
    static func query(_ sql: String, _ arguments: SQLArguments) throws -> PostgresQuery {
        var text = ""
        text.reserveCapacity(sql.utf8.count + 16)
        var number = 0
        var quoted = false
        for character in sql {
            if character == "'" { quoted.toggle() }
            if character == "?" && !quoted {
                number += 1
                text += "$\(number)"
            } else {
                text.append(character)
            }
        }
        precondition(number == arguments.values.count, "\(number) placeholders, \(arguments.values.count) values: \(sql)")
        var bindings = PostgresBindings(capacity: number)
        for value in arguments.values {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let n): bindings.append(n)
            case .real(let d): bindings.append(d)
            case .text(let s): bindings.append(s)
            }
        }
        return PostgresQuery(unsafeSQL: text, binds: bindings)
    }

    /// A cell as one of SQLite's storage classes: the shared SQL reads both databases alike.
    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard var bytes = cell.bytes else { return .null }
        // The common columns read straight from their bytes (text is UTF-8 in either format;
        // numbers big-endian in the binary one); anything else through postgres-nio's decoding.
        switch (cell.dataType, cell.format) {
        case (.text, _), (.varchar, _): return .text(String(buffer: bytes))
        case (.int8, .binary): if let number = bytes.readInteger(as: Int64.self) { return .integer(number) }
        case (.int4, .binary): if let number = bytes.readInteger(as: Int32.self) { return .integer(Int64(number)) }
        case (.float8, .binary): if let bits = bytes.readInteger(as: UInt64.self) { return .real(Double(bitPattern: bits)) }
        default: break
        }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .numeric: return .real(NSDecimalNumber(decimal: try cell.decode(Decimal.self)).doubleValue)
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        default: return .text(try cell.decode(String.self))
        }
    }
}

extension SQLDialect {
    /// PostgreSQL's: `strpos` for text search, timestamps for time, the slots' position index for places.
    static let postgres = SQLDialect(
        containsText: { column in "strpos(lower(\(column)), lower(?)) > 0" },
        minutesBetween: { earlier, later in "EXTRACT(EPOCH FROM (CAST(\(later) AS timestamptz) - CAST(\(earlier) AS timestamptz))) / 60" },
        slotsInBox: """
            FROM slot
            JOIN site s ON s.id = slot.site_id
            JOIN district d ON d.code = s.district
            WHERE slot.lat <= ? AND slot.lat >= ? AND slot.lng <= ? AND slot.lng >= ?
            """,
        locksRows: true, readsRegistryInParts: false)
}
