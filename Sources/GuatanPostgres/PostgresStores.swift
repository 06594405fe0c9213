import Foundation
import GuatanCore
import GuatanSQL
import GuatanStoreInterface

extension GuatanStores {
    /// Every store of the programme on one PostgreSQL database; photos in the store's folder.
    public init(postgres store: PostgresStore) {
        self.init(
            registry: store, accounts: store, vendors: store, permits: store, checkIns: store, reports: store, inspections: store,
            statistics: store, audit: store, operations: store, feedback: store, photos: PhotoFiles(dataDirectory: store.dataDirectory),
            workflow: store)
        // Several instances share one database: they count each address's reports there.
        limits = store
    }
}

extension PostgresStore: SQLStore, RequestLimitStore, RegistryStore, AccountStore, VendorStore, PermitStore, CheckInStore, ReportStore,
    InspectionStore,
    StatisticsStore, AuditStore, OperationsStore, FeedbackStore
{
    /// Reads see one snapshot of the database, as a SQLite read does.
    public func sqlRead<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await blockingTransaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { connection in try body(connection) }
    }

    public func sqlWrite<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await blockingTransaction { connection in try body(connection) }
    }

    /// `NOTIFY` inside the writing transaction: delivered to every listening instance when it
    /// commits, never for a write rolled back.
    public func announce(_ changes: Set<StoreChange>, in db: any SQLConnection) throws {
        guard !changes.isEmpty else { return }
        _ = try db.rows("SELECT pg_notify(?, ?)", [Self.channel, ChangeNotice.encode(changes, from: instance)])
    }
}

extension PostgresStore: WorkflowStore {
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        let (value, changes) = try await blockingTransaction { connection in
            let transaction = SQLStoreTransaction(connection)
            let value = try body(transaction)
            try transaction.finish()
            try self.announce(transaction.changes, in: connection)
            return (value, transaction.changes)
        }
        changeFeed.publish(changes)
        return value
    }

    /// PostgreSQL commits concurrent transactions together by itself (its WAL writer flushes
    /// every commit waiting at that moment), so a check-in is an ordinary transaction here.
    public func batchedTransaction<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await transaction(body)
    }

    public var changes: ChangeFeed { changeFeed }
}
