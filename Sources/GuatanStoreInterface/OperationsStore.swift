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
