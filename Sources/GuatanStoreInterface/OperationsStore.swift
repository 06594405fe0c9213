import Foundation

/// What the operations routes ask the store: whether it answers, and where its data lives.
public protocol OperationsStore: Sendable {
    /// The data folder whose disk is watched (database, photos).
    var dataDirectory: URL { get }
    /// Throws when the database cannot answer a read.
    func ping() async throws
    /// Every photo a row refers to (reports, inspections, certificates): the photo sweep keeps these.
    func referencedPhotoIds() async throws -> Set<String>
}

/// Report attempts and photo bytes per client address and clock hour, counted where every
/// instance of the service counts the same (the database), so that several instances behind one
/// address allow an address what one would. A refused attempt writes nothing.
public protocol RequestLimitStore: Sendable {
    /// Counts an attempt unless the address has had `maxAttempts` attempts or `maxBytes` photo
    /// bytes in `hour` (hours since 1970); false when refused.
    func countAttempt(address: String, hour: Int64, maxAttempts: Int, maxBytes: Int) async throws -> Bool
    /// Adds an attempt's photo bytes unless they take the address past `maxBytes`; false when refused.
    func countBytes(address: String, hour: Int64, bytes: Int, maxBytes: Int) async throws -> Bool
    /// Forgets the hours before `hour`.
    func forgetLimits(before hour: Int64) async throws
}
