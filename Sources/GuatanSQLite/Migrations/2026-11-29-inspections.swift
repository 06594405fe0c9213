import GRDB

extension SchemaMigration {
    static let inspections = SchemaMigration("2026-11-29-inspections") { db in
        try db.execute(
            sql: """
                -- Points each violation costs, per season (defaults from API.md, copied for a season on first use).
                CREATE TABLE violation_rule (
                    season INTEGER NOT NULL,
                    code TEXT NOT NULL,
                    points INTEGER NOT NULL CHECK (points >= 0),
                    PRIMARY KEY (season, code)
                );
                -- An officer's inspection of a stall (执法监督).
                CREATE TABLE inspection (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    slot_id TEXT NOT NULL REFERENCES slot(id),
                    site_id TEXT NOT NULL REFERENCES site(id),
                    district TEXT NOT NULL REFERENCES district(code),
                    permit_no TEXT REFERENCES permit(permit_no),
                    officer TEXT NOT NULL,
                    result TEXT NOT NULL CHECK (result IN ('compliant', 'warning', 'violation')),
                    violations_json TEXT NOT NULL DEFAULT '[]',
                    note TEXT,
                    lat REAL,
                    lng REAL,
                    distance_m REAL,
                    at TEXT NOT NULL,
                    business_date TEXT NOT NULL
                );
                CREATE INDEX inspection_by_slot ON inspection(slot_id, seq);
                CREATE INDEX inspection_by_site ON inspection(site_id, business_date);
                CREATE INDEX inspection_by_district ON inspection(district, business_date);
                CREATE TABLE inspection_photo (
                    inspection_id TEXT NOT NULL REFERENCES inspection(id),
                    position INTEGER NOT NULL,
                    photo_id TEXT NOT NULL REFERENCES photo(id),
                    PRIMARY KEY (inspection_id, position)
                );
                -- Deductions come from inspections and can be annulled by an administrator.
                ALTER TABLE point_deduction ADD COLUMN inspection_id TEXT REFERENCES inspection(id);
                ALTER TABLE point_deduction ADD COLUMN annulled_at TEXT;
                ALTER TABLE point_deduction ADD COLUMN annulled_by TEXT;
                ALTER TABLE point_deduction ADD COLUMN annul_reason TEXT;
                -- Vendors barred from a season's permits (three exhausted months in the one before).
                CREATE TABLE vendor_bar (
                    vendor_id TEXT NOT NULL REFERENCES vendor(id),
                    season INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    PRIMARY KEY (vendor_id, season)
                );
                """)
    }
}
