import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface

extension GuatanDatabase: AccountStore {
    public func credentials(username: String) async throws -> (account: Account, passwordHash: String)? {
        try await read { db in
            guard let row = try Row.fetchOne(db, cached: "SELECT * FROM account WHERE username = ? AND disabled_at IS NULL", arguments: [username])
            else { return nil }
            return (try Self.account(row), row["password_hash"])
        }
    }

    public func cancelLoginAttempt(_ id: Int64) async throws {
        try await write { db in try db.execute(sql: "DELETE FROM login_failure WHERE id = ?", arguments: [id]) }
    }

    public func startSession(tokenHash: String, accountId: Int64, address: String, at: Date, expiresAt: Date) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO session (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                arguments: [tokenHash, accountId, BusinessTime.rfc3339(at), expiresAt.timeIntervalSince1970])
            try db.execute(
                sql: "DELETE FROM login_failure WHERE address = ? AND username = (SELECT username FROM account WHERE id = ?)",
                arguments: [address, accountId])
            try db.execute(sql: "DELETE FROM session WHERE expires_at < ?", arguments: [at.timeIntervalSince1970 - 86_400])
        }
    }

    public func session(tokenHash: String, at: Date) async throws -> LiveSession? {
        try await read { db in
            try Row.fetchOne(
                db,
                cached: """
                    SELECT a.*, s.expires_at AS session_expires_at FROM session s JOIN account a ON a.id = s.account_id
                    WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND a.disabled_at IS NULL
                    """, arguments: [tokenHash, at.timeIntervalSince1970]
            ).map { LiveSession(account: try Self.account($0), expiresAt: Date(timeIntervalSince1970: $0["session_expires_at"])) }
        }
    }

    public func endSession(tokenHash: String, at: Date) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE session SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                arguments: [BusinessTime.rfc3339(at), tokenHash])
        }
        changeFeed.publish([.session(tokenHash: tokenHash)])
    }

    public func accountList() async throws -> [AccountSummary] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT a.*, (SELECT count(*) FROM session s WHERE s.account_id = a.id AND s.revoked_at IS NULL AND s.expires_at > ?) AS live
                    FROM account a ORDER BY a.username
                    """, arguments: [Date().timeIntervalSince1970]
            ).map(Self.summary)
        }
    }

    static func summary(_ row: Row) throws -> AccountSummary {
        AccountSummary(account: try account(row), createdAt: row["created_at"], disabledAt: row["disabled_at"], liveSessions: row["live"])
    }

    public func districtCodes() async throws -> Set<String> {
        try await read { db in Set(try String.fetchAll(db, cached: "SELECT code FROM district")) }
    }

    static func account(_ row: Row) throws -> Account {
        Account(
            id: row["id"], username: row["username"], role: try decoded(row, "role"),
            district: row["district"], vendorId: row["vendor_id"])
    }
}
