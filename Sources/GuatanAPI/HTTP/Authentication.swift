import Foundation
import GuatanCore
import GuatanStoreInterface
import Hummingbird
import HummingbirdBcrypt
import NIOCore
import NIOPosix
import Synchronization

/// Passwords are bcrypt hashes. Hashing and checking take tens to hundreds of milliseconds
/// each, so they run on a thread pool of their own (`BcryptPool`), never on the threads that
/// serve requests nor on the pool that reads files and photos: a flood of sign-ins waits for
/// bcrypt and nothing else does.
public struct PasswordHasher: Sendable {
    /// bcrypt's work factor: 12 in service, lower in tests to keep them quick.
    public let cost: UInt8
    let pool: BcryptPool

    public init(cost: UInt8 = 12, pool: BcryptPool = .shared) {
        self.cost = cost
        self.pool = pool
    }

    /// A hash of a random secret at this cost, checked against when a username is unknown,
    /// so a wrong name costs as long as a wrong password and timing does not reveal accounts.
    func makeDecoy() -> String {
        Bcrypt.hash(SessionToken.make(), cost: cost)
    }

    public func hash(_ password: String) async throws -> String {
        let cost = self.cost
        // Making a hash is an administrator's or the owner's deliberate act: it waits its turn.
        return try await pool.run(bounded: false) { Bcrypt.hash(password, cost: cost) }
    }

    public func verify(_ password: String, hash: String) async throws -> Bool {
        try await pool.run(bounded: true) { Bcrypt.verify(password, hash: hash) }
    }
}

/// The threads bcrypt runs on, with a bounded queue: when `maxPending` checks are already
/// running or waiting, another password check is refused at once (`BcryptPool.Busy`, a 429 with Retry-After)
/// instead of queueing without end.
public final class BcryptPool: Sendable {
    public struct Busy: Error, Sendable {}

    /// Half the machine's cores (at least one), so requests keep the rest.
    public static let shared = BcryptPool(threads: max(1, System.coreCount / 2), maxPending: 32)

    let maxPending: Int
    private let threads: NIOThreadPool
    private let pending = Mutex(0)

    public init(threads count: Int, maxPending: Int) {
        self.maxPending = maxPending
        threads = NIOThreadPool(numberOfThreads: count)
        threads.start()
    }

    /// Checks and hashes running or waiting now.
    public var inFlight: Int { pending.withLock { $0 } }

    func run<T: Sendable>(bounded: Bool, _ work: @escaping @Sendable () -> T) async throws -> T {
        let admitted = pending.withLock { count in
            guard !bounded || count < maxPending else { return false }
            count += 1
            return true
        }
        guard admitted else { throw Busy() }
        defer { pending.withLock { $0 -= 1 } }
        return try await threads.runIfActive(work)
    }
}

/// Session tokens: 256 random bits, sent as base64url; only their SHA-256 is stored.
enum SessionToken {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func hash(_ token: String) -> String {
        Digest.sha256Hex(Data(token.utf8))
    }
}

/// Resolves `Authorization: Bearer <token>` into the request's account. No header: a
/// citizen, and public routes serve them. A header with a bad or expired token: 401,
/// so a client learns at once that it must sign in again.
struct AuthenticationMiddleware: RouterMiddleware {
    let accounts: any AccountStore
    let sessions: SessionCache
    let clock: ServiceClock

    func handle(
        _ request: Request, context: GuatanRequestContext, next: (Request, GuatanRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            return try await next(request, context)
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", parts[1].count <= 200 else {
            throw AccessError.unauthenticated
        }
        let tokenHash = SessionToken.hash(String(parts[1]).trimmingCharacters(in: .whitespaces))
        let now = clock.now()
        guard
            let account = try await sessions.account(
                tokenHash: tokenHash, at: now, load: { [accounts] in try await accounts.session(tokenHash: tokenHash, at: now) })
        else {
            throw AccessError.unauthenticated
        }
        var context = context
        context.account = account
        context.sessionTokenHash = tokenHash
        return try await next(request, context)
    }
}

/// Signed-in requests' sessions, kept in memory so that a request does not read its session
/// from the database each time (on PostgreSQL a round trip over the network). An entry is
/// dropped at once when the store says the session or its account changed (signing out, a
/// password change, the account disabled), is never served past the session's end, and is
/// read again after `lifetime`: a second, so that a change made by another process (the
/// `user` command on the same data folder) holds within a second, as the map's does. A phone
/// checking in or paging through its permits makes several requests a second on one token.
/// A read begun before such a change cannot store its result after it (the generation).
final class SessionCache: Sendable {
    let lifetime: Duration
    let capacity: Int
    private struct Entry {
        let session: LiveSession
        let cachedAt: ContinuousClock.Instant
    }
    private let state = Mutex((entries: [String: Entry](), generation: UInt64(0)))

    init(lifetime: Duration = .seconds(1), capacity: Int = 20_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    var count: Int { state.withLock { $0.entries.count } }

    func account(tokenHash: String, at now: Date, load: () async throws -> LiveSession?) async throws -> Account? {
        let instant = ContinuousClock.now
        let (kept, generation) = state.withLock { state in (state.entries[tokenHash], state.generation) }
        if let kept, kept.session.expiresAt > now, instant - kept.cachedAt < lifetime { return kept.session.account }
        guard let session = try await load() else {
            state.withLock { _ = $0.entries.removeValue(forKey: tokenHash) }
            return nil
        }
        state.withLock { state in
            guard state.generation == generation else { return }
            // Full: start again rather than grow; the next requests read their sessions anew.
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[tokenHash] = Entry(session: session, cachedAt: instant)
        }
        return session.account
    }

    /// Drops what a committed write changed: one session, or every session of an account.
    func apply(_ changes: Set<StoreChange>) {
        var tokens: [String] = []
        var accounts: Set<Int64> = []
        for change in changes {
            switch change {
            case .session(let tokenHash): tokens.append(tokenHash)
            case .sessions(let accountId): accounts.insert(accountId)
            case .registry, .stall, .stallStatus, .reportLists: break
            case .everything:
                state.withLock { state in
                    state.generation &+= 1
                    state.entries = [:]
                }
                return
            }
        }
        guard !tokens.isEmpty || !accounts.isEmpty else { return }
        state.withLock { state in
            state.generation &+= 1
            for token in tokens { state.entries.removeValue(forKey: token) }
            if !accounts.isEmpty { state.entries = state.entries.filter { !accounts.contains($0.value.session.account.id) } }
        }
    }
}
