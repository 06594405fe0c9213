import GRDB

extension SchemaMigration {
    static let applications = SchemaMigration("2026-11-29-applications") { db in
        try db.execute(
            sql: """
                -- Photos are files in DATA/photos named by their SHA-256; this row says what they are.
                CREATE TABLE photo (
                    id TEXT PRIMARY KEY,
                    media_type TEXT NOT NULL,
                    byte_count INTEGER NOT NULL,
                    purpose TEXT NOT NULL,
                    created_at TEXT NOT NULL
                );
                -- An application (申请) carries the expected amount and the village committee's certificate.
                ALTER TABLE permit ADD COLUMN expected_kg REAL;
                ALTER TABLE permit ADD COLUMN certificate_photo TEXT REFERENCES photo(id);
                CREATE INDEX permit_by_state ON permit(district, state, season);
                """)
    }
}
