import GuatanStoreInterface
import PostgresNIO

enum PostgresErrors {
    /// The one place PostgreSQL's errors become `StoreError`: a broken uniqueness rule is
    /// `.conflict` (409); a server that cannot take the work just now (too many connections,
    /// out of disk, shutting down, in recovery, or a lost connection) is `.unavailable`
    /// (503 and Retry-After); anything else is left as it is (a defect: 500).
    static func storeError(_ error: any Error) -> any Error {
        if let transaction = error as? PostgresTransactionError {
            if let inner = transaction.closureError ?? transaction.commitError ?? transaction.beginError {
                return storeError(inner)
            }
            return error
        }
        // The pool's own errors (its circuit breaker tripped by failed connection attempts, a
        // closed pool) come from postgres-nio's underscored pool module: the database is out of reach.
        if String(reflecting: type(of: error)).hasPrefix("_ConnectionPoolModule.") {
            return StoreError.unavailable(label: "database_unreachable", reason: "the server cannot reach its database")
        }
        guard let error = error as? PSQLError else { return error }
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            switch state {
            case "23505":
                let constraint = error.serverInfo?[.constraintName] ?? "unique constraint"
                return StoreError.conflict("this is recorded already (\(constraint))")
            case "53100": return StoreError.unavailable(label: "disk_full", reason: "the database server's disk is full")
            case "53300", "53200", "53000": return StoreError.unavailable(label: "busy", reason: "the database is busy")
            case "57P01", "57P02", "57P03": return StoreError.unavailable(label: "database_down", reason: "the database is restarting")
            case "25006": return StoreError.unavailable(label: "read_only", reason: "the database is read-only just now")
            case "40001", "40P01": return StoreError.unavailable(label: "busy", reason: "the database is busy")
            // Said when connecting: the operator's settings, not a passing state.
            case "3D000":
                return StoreError.unavailable(
                    label: "database_missing", reason: "the database does not exist (\(error.serverInfo?[.message] ?? "3D000")); create it first")
            case "28P01", "28000":
                return StoreError.unavailable(
                    label: "database_refused",
                    reason: "the database refused the login (\(error.serverInfo?[.message] ?? state)); check the user and password")
            default: return error
            }
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
            return StoreError.unavailable(label: "database_unreachable", reason: "the server cannot reach its database")
        default:
            return error
        }
    }
}
