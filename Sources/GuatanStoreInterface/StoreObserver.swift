import Foundation

/// What the store tells the operations figures (`/metrics`) about its own work.
public struct StoreObserver: Sendable {
    /// A group commit's batch size and how long its transaction took, sync included.
    public var groupCommitted: @Sendable (_ batch: Int, _ duration: Duration) -> Void

    public init(groupCommitted: @escaping @Sendable (_ batch: Int, _ duration: Duration) -> Void = { _, _ in }) {
        self.groupCommitted = groupCommitted
    }
}
