import GRDB
import GuatanStoreInterface

extension GuatanDatabase {
    /// A read in its own snapshot, with SQLite's errors said in the store's own terms.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.read(body) } catch { throw Self.storeError(error) }
    }

    /// A write in one transaction, with SQLite's errors said in the store's own terms.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.write(body) } catch { throw Self.storeError(error) }
    }

    /// A small write committed together with others that arrive meanwhile (check-ins).
    func batchedWrite<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await groupCommit.write(body) } catch { throw Self.storeError(error) }
    }

    /// The one place SQLite's result codes become `StoreError`: the conditions under which the
    /// database cannot write just now are `.unavailable` (503 and Retry-After), a broken
    /// uniqueness rule is `.conflict` (409); anything else is left as it is (a defect: 500).
    static func storeError(_ error: any Error) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        switch error.resultCode {
        case .SQLITE_FULL: return StoreError.unavailable(label: "disk_full", reason: "the server's disk is full")
        case .SQLITE_READONLY: return StoreError.unavailable(label: "read_only", reason: "the database is read-only just now")
        case .SQLITE_IOERR, .SQLITE_CANTOPEN: return StoreError.unavailable(label: "io_error", reason: "the server cannot reach its disk")
        case .SQLITE_BUSY, .SQLITE_LOCKED: return StoreError.unavailable(label: "busy", reason: "the database is busy")
        default:
            if error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
                return StoreError.conflict("this is recorded already (\(error.message ?? "unique constraint"))")
            }
            return error
        }
    }
}
