import Foundation
import GuatanCore
import GuatanSQL
import GuatanStoreInterface
import Synchronization

/// What `copy-to-postgres` moved, table by table, and how it checked it.
public struct CopyReport: Sendable {
    public var rows: [(table: String, count: Int)] = []
    /// Rows read back from PostgreSQL and compared, value by value, with SQLite's.
    public var sampled = 0
}

extension PostgresStore {
    /// The tables in the order their references allow, every one the schemas share.
    static let copiedTables = [
        "district", "site", "slot", "season", "store_meta", "audit_log", "account", "session", "login_failure", "vendor", "photo", "permit",
        "checkin", "checkin_attempt", "report_category", "report", "report_photo", "report_event", "violation_rule", "inspection",
        "inspection_photo", "point_deduction", "vendor_bar", "number_sequence", "request_limit", "registry_version",
        "season_site", "season_slot", "application", "application_household", "season_draw", "waitlist", "objection", "waitlist_offer",
        "permit_warning", "report_extension", "outbox_event", "webhook_endpoint", "webhook_dead_letter",
        "outbox_reader", "sms_message", "reply_template", "checkin_reminder",
    ]
    /// Tables the first migration fills: their rows are replaced by the source's.
    static let migrationRows: Set<String> = ["store_meta", "report_category", "registry_version", "reply_template"]

    /// The copied tables that hold rows (those the first migration fills aside): empty on a
    /// database only migrated, the one kind a copy goes into.
    public func occupiedTables() async throws -> [String] {
        try await sqlRead { db in
            try Self.copiedTables.filter { table in
                guard !Self.migrationRows.contains(table) else { return false }
                return (try db.value("SELECT 1 FROM \(table) LIMIT 1") as Int?) != nil
            }
        }
    }

    /// Copies every row of a SQLite database (`source`, read in one snapshot) into this empty
    /// database in one transaction: all or nothing. Identity counters continue after the copied
    /// rows; each table's count is compared, and a sample of rows read back value by value.
    public func copy(
        from source: any SQLStore, batch: Int = 2000, progress: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws
        -> CopyReport
    {
        let tables = Self.copiedTables
        let skipped = Self.migrationRows
        // The target's columns and their types decide the names copied and how each value is sent.
        let columns: [String: [(name: String, type: String, identity: Bool)]] = try await sqlRead { db in
            var columns: [String: [(String, String, Bool)]] = [:]
            for row in try db.rows(
                """
                SELECT table_name, column_name, data_type, is_identity FROM information_schema.columns
                WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position
                """)
            {
                columns[row["table_name"], default: []].append((row["column_name"], row["data_type"], (row["is_identity"] as String) == "YES"))
            }
            return columns
        }
        let occupied = try await occupiedTables()
        guard occupied.isEmpty else {
            throw StoreError.conflict(
                "the PostgreSQL database is not empty (\(occupied.joined(separator: ", ")) hold rows); copy into a new database")
        }
        let report = try await blockingTransaction { target in
            var report = CopyReport()
            for table in tables {
                guard let targetColumns = columns[table] else { throw StoreError.notFound("the PostgreSQL schema has no table \(table)") }
                let names = targetColumns.map(\.name)
                let list = names.joined(separator: ", ")
                if skipped.contains(table) { _ = try target.run("DELETE FROM \(table)") }
                let (total, hasRowid): (Int, Bool) = try Self.wait {
                    try await source.sqlRead { db in
                        (
                            try db.value("SELECT COUNT(*) FROM \(table)") ?? 0,
                            (try db.value("SELECT 1 FROM sqlite_master WHERE name = ? AND sql LIKE '%WITHOUT ROWID%'", [table]) as Int?) == nil
                        )
                    }
                }
                // A table without rowids (a few counters) is read whole, in its key's order.
                let order = hasRowid ? "rowid" : names[0]
                // A sample to read back: the first row, the last and every so many in between.
                let step = max(1, total / 25)
                var sample: [[SQLValue]] = []
                let perStatement = max(1, min(batch, 60_000 / max(1, names.count)))
                let tuple = "(" + Array(repeating: "?", count: names.count).joined(separator: ", ") + ")"
                var read = 0
                var written = 0
                var after = Int64.min  // rowids may be 0 or below (an INTEGER PRIMARY KEY is the rowid)
                // The source a batch at a time in its own order (rowid): no server writes to it meanwhile.
                while true {
                    let from = after
                    let rows: [SQLRow] = try Self.wait {
                        try await source.sqlRead { db in
                            hasRowid
                                ? try db.rows(
                                    "SELECT rowid, \(list) FROM \(table) WHERE rowid > ? ORDER BY rowid LIMIT ?", [from, perStatement], cached: false)
                                : from > Int64.min ? [] : try db.rows("SELECT 0, \(list) FROM \(table) ORDER BY \(order)", cached: false)
                        }
                    }
                    guard let last = rows.last else { break }
                    after = hasRowid ? last[0] : 1
                    var arguments = SQLArguments()
                    for row in rows {
                        let values = zip(row.values.dropFirst(), targetColumns).map { Self.converted($0, to: $1.type) }
                        arguments.values += values
                        if read % step == 0 || read == total - 1 { sample.append(values) }
                        read += 1
                    }
                    written += try target.run(
                        "INSERT INTO \(table) (\(list)) VALUES " + Array(repeating: tuple, count: rows.count).joined(separator: ", "), arguments,
                        cached: false)
                }
                for column in targetColumns where column.identity {
                    _ = try target.rows(
                        "SELECT setval(pg_get_serial_sequence('\(table)', '\(column.name)'), COALESCE((SELECT MAX(\(column.name)) FROM \(table)), 0) + 1, false)"
                    )
                }
                let stored: Int = try target.value("SELECT COUNT(*) FROM \(table)") ?? -1
                guard stored == read, written == read, read == total else {
                    throw StoreError.conflict("\(table): \(total) rows in SQLite, \(stored) in PostgreSQL; nothing was copied")
                }
                // Each sampled row is found again with every one of its values.
                let match = names.map { "\($0) IS NOT DISTINCT FROM ?" }.joined(separator: " AND ")
                for values in sample {
                    guard
                        (try target.value("SELECT 1 FROM \(table) WHERE \(match) LIMIT 1", SQLArguments(values: values), cached: false) as Int?)
                            != nil
                    else {
                        throw StoreError.conflict("\(table): a row differs after the copy (\(names[0]) \(values[0].exportText)); nothing was copied")
                    }
                    report.sampled += 1
                }
                report.rows.append((table, read))
                progress("\(table): \(read) rows")
            }
            return report
        }
        // The planner's statistics of the new rows now, not when autovacuum comes by: until then
        // it plans the map's first read as if the tables were empty (minutes instead of a second).
        _ = try await blockingTransaction { db in try db.execute("ANALYZE") }
        return report
    }
    /// A SQLite value as the PostgreSQL column's type takes it (SQLite keeps what it was given).
    static func converted(_ value: SQLValue, to type: String) -> SQLValue {
        switch (value, type) {
        case (.null, _): .null
        case (_, "text"): .text(value.exportText)
        case (.text(let text), "integer"), (.text(let text), "bigint"): Int64(text).map(SQLValue.integer) ?? value
        case (.real(let number), "integer"), (.real(let number), "bigint"): .integer(Int64(number))
        case (.integer(let number), "double precision"): .real(Double(number))
        case (.text(let text), "double precision"): Double(text).map(SQLValue.real) ?? value
        default: value
        }
    }

    /// Waits, on the store's own thread, for an async read of the source.
    static func wait<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let semaphore = DispatchSemaphore(value: 0)
        let result = Mutex<Result<T, any Error>?>(nil)
        Task {
            let outcome: Result<T, any Error>
            do { outcome = .success(try await work()) } catch { outcome = .failure(error) }
            result.withLock { $0 = outcome }
            semaphore.signal()
        }
        semaphore.wait()
        return try result.withLock { $0! }.get()
    }
}
