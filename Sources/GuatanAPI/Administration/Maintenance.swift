import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Logging
import ServiceLifecycle

/// Removes photos no row refers to and staged files of requests that never committed, at
/// start-up (`run` sweeps first) and then every hour.
public struct PhotoSweeper: Service {
    let files: PhotoFiles
    let store: any OperationsStore
    let logger: Logger
    var interval: Duration = .seconds(3600)

    /// One sweep; staged files younger than `stagedBefore` belong to requests in flight.
    public static func sweep(files: PhotoFiles, store: any OperationsStore, stagedBefore: Date?, logger: Logger) async {
        do {
            let result = try await files.sweep(stagedBefore: stagedBefore) { try await store.referencedPhotoIds() }
            if result != PhotoSweep() {
                logger.info("photo sweep", metadata: ["removed": "\(result.removed)", "moved_in": "\(result.movedIn)"])
            }
        } catch {
            logger.warning("photo sweep skipped: the database did not answer", metadata: ["error": "\(error)"])
        }
    }

    public func run() async throws {
        // The wait ends at once on SIGTERM, so the server stops without waiting for the next sweep.
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { [interval] in try await Task.sleep(for: interval) }
            } catch {
                return
            }
            await Self.sweep(files: files, store: store, stagedBefore: Date().addingTimeInterval(-3600), logger: logger)
        }
    }
}

/// Waitlist offers run out on the server's clock, not when someone happens to look: every
/// minute (and at start, for offers that ran out while the service was down) the overdue ones
/// lapse and their slots go to the next on the waitlist.
public struct OfferScheduler: Service {
    let allocation: AllocationService
    let clock: ServiceClock
    let logger: Logger
    var interval: Duration = .seconds(60)

    public init(allocation: AllocationService, clock: ServiceClock, logger: Logger, interval: Duration = .seconds(60)) {
        self.allocation = allocation
        self.clock = clock
        self.logger = logger
        self.interval = interval
    }

    /// One round: every overdue offer, in batches.
    public func tick() async {
        do {
            let total = try await drain(pause: .zero) { try await allocation.expireOffers(now: clock.now()) }
            if total > 0 { logger.info("waitlist offers ran out", metadata: ["count": "\(total)"]) }
        } catch {
            logger.warning("waitlist offers not checked: the database did not answer", metadata: ["error": "\(error)"])
        }
    }

    public func run() async throws {
        await tickUntilShutdown(every: interval) { await tick() }
    }
}

/// Runs `batch` until it finds nothing more to do, pausing between batches so that the
/// squads' and vendors' own writes go first; the number it did in all.
func drain(pause: Duration = .milliseconds(20), _ batch: () async throws -> Int) async throws -> Int {
    var total = 0
    while true {
        let done = try await batch()
        total += done
        if done == 0 { return total }
        try await Task.sleep(for: pause)
    }
}

/// Runs `tick` at once and then every `interval` until the service shuts down (the wait ends
/// at once on SIGTERM): the schedulers that act on the service's clock, not on requests.
func tickUntilShutdown(every interval: Duration, _ tick: () async -> Void) async {
    while !Task.isCancelled, !Task.isShuttingDownGracefully {
        await tick()
        do {
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        } catch {
            return
        }
    }
}
