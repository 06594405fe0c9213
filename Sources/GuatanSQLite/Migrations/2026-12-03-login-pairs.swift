import GRDB

extension SchemaMigration {
    static let loginPairs = SchemaMigration("2026-12-03-login-pairs") { db in
        // The sign-in throttle counts failures per (account, address).
        try db.execute(sql: "CREATE INDEX login_failure_by_pair ON login_failure(username, address, at)")
    }
}
