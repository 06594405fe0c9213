import Foundation
import GuatanCore

/// Accounts, sessions and failed logins (creating accounts and changing passwords are
/// `AccountService`'s workflows).
public protocol AccountStore: Sendable {
    /// The account and its password hash, for checking a login; nil when unknown or disabled.
    func credentials(username: String) async throws -> (account: Account, passwordHash: String)?
    func cancelLoginAttempt(_ id: Int64) async throws
    /// Starts a session after a successful login and forgets this address's failures for the account.
    func startSession(tokenHash: String, accountId: Int64, address: String, at: Date, expiresAt: Date) async throws
    /// A live session: not revoked, not expired, its account not disabled.
    func session(tokenHash: String, at: Date) async throws -> LiveSession?
    func endSession(tokenHash: String, at: Date) async throws
    /// Every account with its state, by username.
    func accountList() async throws -> [AccountSummary]
    func districtCodes() async throws -> Set<String>
}

/// An account as the administrators' list shows it.
public struct AccountSummary: Sendable, Hashable {
    public var account: Account
    public var createdAt: String
    public var disabledAt: String?
    /// Sessions not ended and not expired.
    public var liveSessions: Int

    public init(account: Account, createdAt: String, disabledAt: String? = nil, liveSessions: Int) {
        self.account = account
        self.createdAt = createdAt
        self.disabledAt = disabledAt
        self.liveSessions = liveSessions
    }
}

/// A signed-in session's account and when the session ends.
public struct LiveSession: Sendable, Hashable {
    public var account: Account
    public var expiresAt: Date

    public init(account: Account, expiresAt: Date) {
        self.account = account
        self.expiresAt = expiresAt
    }
}

/// What the throttle said to a sign-in attempt.
public enum LoginAttempt: Sendable, Equatable {
    /// Go on and check the password; the attempt is counted under this id.
    case reserved(Int64)
    /// Refused: try again in this many seconds.
    case wait(seconds: Int)
}
