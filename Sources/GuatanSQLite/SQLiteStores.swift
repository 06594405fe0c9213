import Foundation
import GRDB
import GRDBSQLite
import GuatanCore
import GuatanSQL
import GuatanStoreInterface

extension GuatanStores {
    /// Every store of the programme on the one SQLite database of a data folder.
    public init(database: GuatanDatabase) {
        self.init(
            registry: database, accounts: database, vendors: database, permits: database, checkIns: database, reports: database,
            inspections: database, statistics: database, audit: database,
            operations: database, feedback: database, photos: PhotoFiles(dataDirectory: database.dataDirectory), workflow: database)
    }
}

extension SQLDialect {
    /// SQLite's: `instr` for text search, `julianday` for time, the slots' R*Tree for places.
    static let sqlite = SQLDialect(
        containsText: { column in "instr(lower(\(column)), lower(?)) > 0" },
        minutesBetween: { earlier, later in "(julianday(\(later)) - julianday(\(earlier))) * 1440" },
        slotsInBox: """
            FROM slot_rtree r
            JOIN slot ON slot.pk = r.slot_pk
            JOIN site s ON s.id = slot.site_id
            JOIN district d ON d.code = s.district
            WHERE r.min_lat <= ? AND r.max_lat >= ? AND r.min_lng <= ? AND r.max_lng >= ?
            """,
        locksRows: false, readsRegistryInParts: true)
}

/// A GRDB connection as the shared SQL uses it. Statements whose text is one of a fixed few
/// are prepared once per connection and reused: preparing a join costs more than running it.
struct SQLiteConnection: SQLConnection {
    let db: Database

    var dialect: SQLDialect { .sqlite }

    private func statement(_ sql: String, cached: Bool) throws -> Statement {
        cached ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
    }

    private static func arguments(_ arguments: SQLArguments) -> StatementArguments {
        StatementArguments(
            arguments.values.map { value -> DatabaseValue in
                switch value {
                case .null: .null
                case .integer(let n): n.databaseValue
                case .real(let d): d.databaseValue
                case .text(let s): s.databaseValue
                }
            })
    }

    func fetchAll(_ sql: String, _ arguments: SQLArguments, cached: Bool) throws -> [SQLRow] {
        var rows: [SQLRow] = []
        try forEachRow(sql, arguments, cached: cached) { rows.append($0) }
        return rows
    }

    func forEachRow(_ sql: String, _ arguments: SQLArguments, cached: Bool, _ body: (SQLRow) throws -> Void) throws {
        let statement = try statement(sql, cached: cached)
        let columns = SQLColumns(statement.columnNames)
        let count = Int32(columns.names.count)
        let cursor = try Row.fetchCursor(statement, arguments: Self.arguments(arguments))
        // GRDB steps the statement; each row's columns are read from it with SQLite's own
        // calls, with no value made in between (a national registry is 205,900 rows).
        let sqlite = statement.sqliteStatement
        while try cursor.next() != nil {
            var values: [SQLValue] = []
            values.reserveCapacity(Int(count))
            for index in 0..<count {
                switch sqlite3_column_type(sqlite, index) {
                case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(sqlite, index)))
                case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(sqlite, index)))
                case SQLITE_TEXT:
                    let bytes = sqlite3_column_text(sqlite, index)
                    let length = Int(sqlite3_column_bytes(sqlite, index))
                    values.append(.text(bytes.map { String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self) } ?? ""))
                default: values.append(.null)
                }
            }
            try body(SQLRow(columns: columns, values: values))
        }
    }

    func execute(_ sql: String, _ arguments: SQLArguments, cached: Bool) throws -> Int {
        try statement(sql, cached: cached).execute(arguments: Self.arguments(arguments))
        return db.changesCount
    }
}

extension GuatanDatabase: SQLStore, RequestLimitStore, RegistryStore, AccountStore, VendorStore, PermitStore, CheckInStore, ReportStore,
    InspectionStore,
    StatisticsStore, AuditStore, OperationsStore, FeedbackStore
{
    public func sqlRead<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await read { db in try body(SQLiteConnection(db: db)) }
    }

    public func sqlWrite<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await write { db in try body(SQLiteConnection(db: db)) }
    }
}

extension GuatanDatabase: WorkflowStore {
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        let (value, changes) = try await write { db in
            let transaction = SQLStoreTransaction(SQLiteConnection(db: db))
            let value = try body(transaction)
            try transaction.finish()
            return (value, transaction.changes)
        }
        changeFeed.publish(changes)
        return value
    }

    public func batchedTransaction<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        // Each job runs in its own savepoint; its changes count only when it got through.
        let (value, changes) = try await batchedWrite { db in
            let transaction = SQLStoreTransaction(SQLiteConnection(db: db))
            let value = try body(transaction)
            try transaction.finish()
            return (value, transaction.changes)
        }
        changeFeed.publish(changes)
        return value
    }

    public var changes: ChangeFeed { changeFeed }
}

extension GuatanDatabase {
    /// Points taken off a permit outside any inspection (the tests' shortcut to a permit at 0 points).
    func deductPoints(permitNumber: String, month: String, points: Int, code: String, at: Date) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO point_deduction (permit_no, month, points, code, at) VALUES (?, ?, ?, ?, ?)",
                arguments: [permitNumber, month, points, code, BusinessTime.rfc3339(at)])
        }
    }

    /// Permit states that hold their slot, as an SQL list.
    static let liveStates = "(" + PermitState.live.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ") + ")"

    static func season(_ db: Database, year: Int) throws -> Season {
        try SQLQueries.season(SQLiteConnection(db: db), year: year)
    }

    static func bumpRegistryVersion(_ db: Database) throws {
        try SQLQueries.bumpRegistryVersion(SQLiteConnection(db: db))
    }

    static func audit(
        _ db: Database, at: Date, actor: String, action: String, entity: String, entityId: String, before: [String: String]?,
        after: [String: String]?
    ) throws {
        try SQLQueries.audit(
            SQLiteConnection(db: db), at: at, actor: actor, action: action, entity: entity, entityId: entityId, before: before, after: after)
    }

    static func json(_ list: [String]) -> String { SQLRows.json(list) }
}
