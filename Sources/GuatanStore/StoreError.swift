/// A write the data's own rules refused; the API maps it to 409 or 404.
public enum StoreError: Error, Sendable, Equatable {
    /// The write would break a uniqueness or state rule.
    case conflict(String)
    case notFound(String)
}

import GRDB

extension StoreError {
    /// Why the store cannot take writes just now — the disk is full, the database is read-only,
    /// the disk failed, another process holds the lock too long — or nil when `error` is not
    /// such a condition. Reads go on; the write can be retried later (503).
    public static func unavailability(of error: any Error) -> String? {
        unavailableKind(of: error)?.reason
    }

    /// Why the store cannot write just now, as a short label (for the operations figures)
    /// and as words for the client; nil when `error` is not that kind of failure.
    public static func unavailableKind(of error: any Error) -> (label: String, reason: String)? {
        if error is PhotoStorageError { return ("photos_unwritable", "the server cannot store photos just now (its disk is full or not writable)") }
        guard let error = error as? DatabaseError else { return nil }
        switch error.resultCode {
        case .SQLITE_FULL: return ("disk_full", "the server's disk is full")
        case .SQLITE_READONLY: return ("read_only", "the database is read-only just now")
        case .SQLITE_IOERR, .SQLITE_CANTOPEN: return ("io_error", "the server cannot reach its disk")
        case .SQLITE_BUSY, .SQLITE_LOCKED: return ("busy", "the database is busy")
        default: return nil
        }
    }
}
