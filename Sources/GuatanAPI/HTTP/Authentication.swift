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
        guard let account = try await accounts.account(sessionTokenHash: tokenHash, at: clock.now()) else {
            throw AccessError.unauthenticated
        }
        var context = context
        context.account = account
        context.sessionTokenHash = tokenHash
        return try await next(request, context)
    }
}
