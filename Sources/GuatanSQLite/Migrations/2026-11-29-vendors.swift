import GRDB

extension SchemaMigration {
    static let vendors = SchemaMigration("2026-11-29-vendors") { db in
        try db.execute(
            sql: """
                -- The ID-card number is kept only as a keyed hash (duplicates) and its last four.
                CREATE TABLE vendor (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    phone TEXT NOT NULL,
                    id_card_hash TEXT NOT NULL UNIQUE,
                    id_card_last4 TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    vehicle_plate TEXT NOT NULL,
                    produce_json TEXT NOT NULL DEFAULT '[]',
                    created_at TEXT NOT NULL
                );
                CREATE UNIQUE INDEX account_by_vendor ON account(vendor_id) WHERE vendor_id IS NOT NULL;
                """)
    }
}
