import Foundation
import GRDB
import GuatanCore

/// Accounts, sessions and failed logins.
public protocol AccountStore: Sendable {
    /// Creates an account (the password already hashed); `.conflict` when the username is taken.
    func createAccount(username: String, passwordHash: String, role: Role, district: String?, vendorId: String?, actor: String, at: Date) async throws -> Account
    /// The account and its password hash, for checking a login; nil when unknown or disabled.
    func credentials(username: String) async throws -> (account: Account, passwordHash: String)?
    /// Failed logins since `since` for the username and for the address.
    func loginFailures(username: String, address: String, since: Date) async throws -> (account: [Date], address: [Date])
    func recordLoginFailure(username: String, address: String, at: Date) async throws
    /// Starts a session after a successful login and forgets the account's failures.
    func startSession(tokenHash: String, accountId: Int64, at: Date, expiresAt: Date) async throws
    /// The account of a live session: not revoked, not expired, account not disabled.
    func account(sessionTokenHash: String, at: Date) async throws -> Account?
    func endSession(tokenHash: String, at: Date) async throws
    func districtCodes() async throws -> Set<String>
}

extension GuatanDatabase: AccountStore {
    public func createAccount(
        username: String, passwordHash: String, role: Role, district: String?, vendorId: String?, actor: String, at: Date
    ) async throws -> Account {
        try await pool.write { db in
            if try Int.fetchOne(db, cached: "SELECT 1 FROM account WHERE username = ?", arguments: [username]) != nil {
                throw StoreError.conflict("the username \(username) is taken")
            }
            try db.execute(
                sql: """
                    INSERT INTO account (username, password_hash, role, district, vendor_id, created_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [username, passwordHash, role.rawValue, district, vendorId, BusinessTime.rfc3339(at)])
            let account = Account(id: db.lastInsertedRowID, username: username, role: role, district: district, vendorId: vendorId)
            var after = ["username": username, "role": role.rawValue]
            after["district"] = district
            after["vendor_id"] = vendorId
            try Self.audit(db, at: at, actor: actor, action: "account.create", entity: "account", entityId: username, before: nil, after: after)
            return account
        }
    }

    public func credentials(username: String) async throws -> (account: Account, passwordHash: String)? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, cached: "SELECT * FROM account WHERE username = ? AND disabled_at IS NULL", arguments: [username])
            else { return nil }
            return (Self.account(row), row["password_hash"])
        }
    }

    public func loginFailures(username: String, address: String, since: Date) async throws -> (account: [Date], address: [Date]) {
        try await pool.read { db in
            let byAccount = try Double.fetchAll(db, cached: "SELECT at FROM login_failure WHERE username = ? AND at >= ?", arguments: [username, since.timeIntervalSince1970])
            let byAddress = try Double.fetchAll(db, cached: "SELECT at FROM login_failure WHERE address = ? AND at >= ?", arguments: [address, since.timeIntervalSince1970])
            return (byAccount.map(Date.init(timeIntervalSince1970:)), byAddress.map(Date.init(timeIntervalSince1970:)))
        }
    }

    public func recordLoginFailure(username: String, address: String, at: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO login_failure (username, address, at) VALUES (?, ?, ?)",
                arguments: [username, address, at.timeIntervalSince1970])
            // Failures older than a day no longer matter to any throttle.
            try db.execute(sql: "DELETE FROM login_failure WHERE at < ?", arguments: [at.timeIntervalSince1970 - 86_400])
        }
    }

    public func startSession(tokenHash: String, accountId: Int64, at: Date, expiresAt: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO session (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                arguments: [tokenHash, accountId, BusinessTime.rfc3339(at), expiresAt.timeIntervalSince1970])
            try db.execute(
                sql: "DELETE FROM login_failure WHERE username = (SELECT username FROM account WHERE id = ?)",
                arguments: [accountId])
            try db.execute(sql: "DELETE FROM session WHERE expires_at < ?", arguments: [at.timeIntervalSince1970 - 86_400])
        }
    }

    public func account(sessionTokenHash: String, at: Date) async throws -> Account? {
        try await pool.read { db in
            try Row.fetchOne(db, cached: """
                SELECT a.* FROM session s JOIN account a ON a.id = s.account_id
                WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND a.disabled_at IS NULL
                """, arguments: [sessionTokenHash, at.timeIntervalSince1970]).map(Self.account)
        }
    }

    public func endSession(tokenHash: String, at: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE session SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                arguments: [BusinessTime.rfc3339(at), tokenHash])
        }
    }

    public func districtCodes() async throws -> Set<String> {
        try await pool.read { db in Set(try String.fetchAll(db, cached: "SELECT code FROM district")) }
    }

    static func account(_ row: Row) -> Account {
        Account(
            id: row["id"], username: row["username"], role: Role(rawValue: row["role"]) ?? .vendor,
            district: row["district"], vendorId: row["vendor_id"])
    }
}
