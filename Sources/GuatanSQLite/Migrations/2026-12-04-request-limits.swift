import GRDB

extension SchemaMigration {
    static let requestLimits = SchemaMigration("2026-12-04-request-limits") { db in
        // Report attempts and photo bytes per client address and clock hour, counted in the
        // database so that every instance of the service counts the same (on PostgreSQL).
        try db.execute(
            sql: """
                CREATE TABLE request_limit (
                    address TEXT NOT NULL,
                    hour INTEGER NOT NULL,
                    attempts INTEGER NOT NULL,
                    bytes INTEGER NOT NULL,
                    PRIMARY KEY (address, hour)
                ) WITHOUT ROWID
                """)
    }
}
