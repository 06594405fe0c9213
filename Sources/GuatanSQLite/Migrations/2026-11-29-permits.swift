import GRDB

extension SchemaMigration {
    static let permits = SchemaMigration("2026-11-29-permits") { db in
        try db.execute(
            sql: """
                CREATE TABLE permit (
                    seq INTEGER PRIMARY KEY,
                    permit_no TEXT NOT NULL UNIQUE,
                    season INTEGER NOT NULL,
                    vendor_id TEXT NOT NULL REFERENCES vendor(id),
                    slot_id TEXT NOT NULL REFERENCES slot(id),
                    district TEXT NOT NULL REFERENCES district(code),
                    state TEXT NOT NULL CHECK (state IN ('requested', 'reviewed', 'approved', 'issued', 'suspended', 'expired', 'revoked', 'rejected')),
                    produce_json TEXT NOT NULL,
                    vehicle_plate TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                );
                -- One live permit per slot, per vendor and per vehicle in a season, even under
                -- concurrent requests: the database refuses the second.
                CREATE UNIQUE INDEX permit_live_slot ON permit(season, slot_id)
                    WHERE state IN ('requested', 'reviewed', 'approved', 'issued', 'suspended');
                CREATE UNIQUE INDEX permit_live_vendor ON permit(season, vendor_id)
                    WHERE state IN ('requested', 'reviewed', 'approved', 'issued', 'suspended');
                CREATE UNIQUE INDEX permit_live_vehicle ON permit(season, vehicle_plate)
                    WHERE state IN ('requested', 'reviewed', 'approved', 'issued', 'suspended');
                CREATE INDEX permit_by_vendor ON permit(vendor_id, season);
                CREATE INDEX permit_by_slot ON permit(slot_id, season);
                """)
    }
}
