import Foundation
import GuatanCore
import GuatanStoreInterface

extension SQLStore {
    public func credentials(username: String) async throws -> (account: Account, passwordHash: String)? {
        try await sqlRead { db in
            guard let row = try db.row("SELECT * FROM account WHERE username = ? AND disabled_at IS NULL", [username]) else { return nil }
            return (try SQLRows.account(row), row["password_hash"])
        }
    }

    public func cancelLoginAttempt(_ id: Int64) async throws {
        try await sqlWrite { db in _ = try db.run("DELETE FROM login_failure WHERE id = ?", [id]) }
    }

    public func startSession(tokenHash: String, accountId: Int64, address: String, at: Date, expiresAt: Date) async throws {
        try await sqlWrite { db in
            try db.run(
                "INSERT INTO session (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                [tokenHash, accountId, BusinessTime.rfc3339(at), expiresAt.timeIntervalSince1970])
            try db.run(
                "DELETE FROM login_failure WHERE address = ? AND username = (SELECT username FROM account WHERE id = ?)", [address, accountId])
            try db.run("DELETE FROM session WHERE expires_at < ?", [at.timeIntervalSince1970 - 86_400])
        }
    }

    public func session(tokenHash: String, at: Date) async throws -> LiveSession? {
        try await sqlRead { db in
            try db.row(
                """
                SELECT a.*, s.expires_at AS session_expires_at FROM session s JOIN account a ON a.id = s.account_id
                WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND a.disabled_at IS NULL
                """, [tokenHash, at.timeIntervalSince1970]
            ).map { LiveSession(account: try SQLRows.account($0), expiresAt: Date(timeIntervalSince1970: $0["session_expires_at"])) }
        }
    }

    public func endSession(tokenHash: String, at: Date) async throws {
        try await sqlWrite { db in
            _ = try db.run("UPDATE session SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL", [BusinessTime.rfc3339(at), tokenHash])
            try announce([.session(tokenHash: tokenHash)], in: db)
        }
        changes.publish([.session(tokenHash: tokenHash)])
    }

    public func accountList() async throws -> [AccountSummary] {
        try await sqlRead { db in
            try db.rows(
                """
                SELECT a.*, (SELECT count(*) FROM session s WHERE s.account_id = a.id AND s.revoked_at IS NULL AND s.expires_at > ?) AS live
                FROM account a ORDER BY a.username
                """, [Date().timeIntervalSince1970]
            ).map(SQLRows.summary)
        }
    }

    public func districtCodes() async throws -> Set<String> {
        try await sqlRead { db in Set(try db.values("SELECT code FROM district")) }
    }

    public func vendor(id: String) async throws -> Vendor? {
        try await sqlRead { db in try db.row("SELECT * FROM vendor WHERE id = ?", [id]).map(SQLRows.vendor) }
    }

    public func auditEntries(entity: String?, entityId: String?, actor: String?, page: PageRequest) async throws -> Page<AuditEntry> {
        try await sqlRead { db in
            var conditions: [String] = []
            var arguments: SQLArguments = []
            for (column, value) in [("entity", entity), ("entity_id", entityId), ("actor", actor)] {
                if let value {
                    conditions.append("\(column) = ?")
                    arguments += [value]
                }
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let total: Int = try db.value("SELECT COUNT(*) FROM audit_log \(filter)", arguments) ?? 0
            let items = try db.rows("SELECT * FROM audit_log \(filter) ORDER BY id DESC LIMIT ? OFFSET ?", arguments + [page.perPage, page.offset])
                .map(SQLRows.auditEntry)
            return Page(items: items, total: total, request: page)
        }
    }

    /// The audit trail of one entity, oldest first.
    public func auditTrail(entity: String, id: String) async throws -> [AuditEntry] {
        try await sqlRead { db in
            try db.rows("SELECT * FROM audit_log WHERE entity = ? AND entity_id = ? ORDER BY id", [entity, id]).map(SQLRows.auditEntry)
        }
    }

    public func ping() async throws {
        let _: Int? = try await sqlRead { db in try db.value("SELECT 1") }
    }

    public func referencedPhotoIds() async throws -> Set<String> {
        // A photo row is written only in the transaction of the record that refers to it.
        try await sqlRead { db in Set(try db.values("SELECT id FROM photo")) }
    }
}
