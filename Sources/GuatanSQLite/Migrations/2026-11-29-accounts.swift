import GRDB

extension SchemaMigration {
    static let accounts = SchemaMigration("2026-11-29-accounts") { db in
        try db.execute(
            sql: """
                CREATE TABLE account (
                    id INTEGER PRIMARY KEY,
                    username TEXT NOT NULL UNIQUE,
                    password_hash TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('admin', 'officer', 'vendor')),
                    district TEXT REFERENCES district(code),
                    vendor_id TEXT,
                    created_at TEXT NOT NULL,
                    disabled_at TEXT,
                    CHECK ((role = 'officer') = (district IS NOT NULL))
                );
                -- Bearer tokens are stored only as their SHA-256.
                CREATE TABLE session (
                    token_hash TEXT PRIMARY KEY,
                    account_id INTEGER NOT NULL REFERENCES account(id),
                    created_at TEXT NOT NULL,
                    expires_at REAL NOT NULL,
                    revoked_at TEXT
                );
                CREATE INDEX session_by_account ON session(account_id);
                CREATE TABLE login_failure (
                    id INTEGER PRIMARY KEY,
                    username TEXT NOT NULL,
                    address TEXT NOT NULL,
                    at REAL NOT NULL
                );
                CREATE INDEX login_failure_by_username ON login_failure(username, at);
                CREATE INDEX login_failure_by_address ON login_failure(address, at);
                """)
    }
}
