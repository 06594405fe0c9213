/// What a store says when a write or read cannot be done, the same for every backend: each
/// backend maps its own errors (SQLite's result codes, PostgreSQL's SQLSTATEs) to these in one
/// place, so services and routes never see a database's own error types.
public enum StoreError: Error, Sendable, Equatable {
    /// The write would break a uniqueness or state rule (HTTP 409); the words say which.
    case conflict(String)
    /// A row the write or read is about does not exist (HTTP 404).
    case notFound(String)
    /// The store cannot take writes just now (a full disk, a read-only or unreachable database,
    /// a held lock): reads may go on and the client may retry later (HTTP 503). `label` is short
    /// (for the operations figures), `reason` is for the client.
    case unavailable(label: String, reason: String)

    /// The reason, when `error` is the store saying it is unavailable.
    public static func unavailability(of error: any Error) -> String? {
        unavailableKind(of: error)?.reason
    }

    public static func unavailableKind(of error: any Error) -> (label: String, reason: String)? {
        if error is PhotoStorageError { return ("photos_unwritable", "the server cannot store photos just now (its disk is full or not writable)") }
        guard case .unavailable(let label, let reason) = error as? StoreError else { return nil }
        return (label, reason)
    }
}
