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
        if error is PhotoStorageError { return "the server cannot store photos just now (its disk is full or not writable)" }
        guard let error = error as? DatabaseError else { return nil }
        switch error.resultCode {
        case .SQLITE_FULL: return "the server's disk is full"
        case .SQLITE_READONLY: return "the database is read-only just now"
        case .SQLITE_IOERR, .SQLITE_CANTOPEN: return "the server cannot reach its disk"
        case .SQLITE_BUSY, .SQLITE_LOCKED: return "the database is busy"
        default: return nil
        }
    }
}
