import GRDB

extension SchemaMigration {
    static let permitIssuedAt = SchemaMigration("2026-11-29-permit-issued-at") { db in
        try db.execute(
            sql: """
                -- When a permit was issued: idle permits are counted from that day, not the season's start.
                ALTER TABLE permit ADD COLUMN issued_at TEXT;
                UPDATE permit SET issued_at = created_at WHERE state IN ('issued', 'suspended', 'expired', 'revoked');
                """)
    }
}
