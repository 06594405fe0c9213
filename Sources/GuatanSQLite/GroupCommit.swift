import GRDB
import GuatanStoreInterface

/// Group commit for small, frequent writes (the morning's check-ins): writes that arrive
/// while one transaction is being committed wait and are committed together in the next,
/// each in its own savepoint, so one failing write does not undo the others. Every caller
/// is answered only after its transaction is on disk (synchronous=FULL), so an answered
/// write survives a crash; the fsync is shared by the whole batch instead of paid per write.
actor GroupCommit {
    private struct Job: Sendable {
        let work: @Sendable (Database) throws -> any Sendable
        let continuation: CheckedContinuation<any Sendable, any Error>
    }

    /// A batch larger than this is split, so that no write waits behind too many others.
    static let maxBatch = 200

    private let pool: DatabasePool
    private let observer: StoreObserver
    private var pending: [Job] = []
    private var draining = false

    init(pool: DatabasePool, observer: StoreObserver) {
        self.pool = pool
        self.observer = observer
    }

    func write<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let value = try await withCheckedThrowingContinuation { continuation in
            pending.append(Job(work: { try work($0) }, continuation: continuation))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
        // The job above produced a T; nothing else is resumed on this continuation.
        return value as! T
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(Self.maxBatch))
            pending.removeFirst(batch.count)
            await commit(batch)
        }
        draining = false
    }

    private func commit(_ batch: [Job]) async {
        let started = ContinuousClock.now
        defer { observer.groupCommitted(batch.count, ContinuousClock.now - started) }
        do {
            let results = try await pool.write { db in
                batch.map { job -> Result<any Sendable, any Error> in
                    do {
                        var value: (any Sendable)?
                        try db.inSavepoint {
                            value = try job.work(db)
                            return .commit
                        }
                        return .success(value!)
                    } catch {
                        return .failure(error)
                    }
                }
            }
            for (job, result) in zip(batch, results) {
                job.continuation.resume(with: result)
            }
        } catch {
            // The transaction itself failed: nothing of the batch is on disk.
            for job in batch {
                job.continuation.resume(throwing: error)
            }
        }
    }
}
