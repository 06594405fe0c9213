import GRDB

extension SchemaMigration {
    static let checkins = SchemaMigration("2026-11-29-checkins") { db in
        try db.execute(
            sql: """
                -- The geofence radius, per season with a per-site override (API.md: configurable per season or site).
                ALTER TABLE season ADD COLUMN geofence_radius_m REAL NOT NULL DEFAULT 100;
                ALTER TABLE site ADD COLUMN geofence_radius_m REAL;
                -- One check-in (出摊) per permit per business day, closed by the check-out (收摊).
                CREATE TABLE checkin (
                    id INTEGER PRIMARY KEY,
                    permit_no TEXT NOT NULL REFERENCES permit(permit_no),
                    vendor_id TEXT NOT NULL REFERENCES vendor(id),
                    slot_id TEXT NOT NULL REFERENCES slot(id),
                    district TEXT NOT NULL,
                    business_date TEXT NOT NULL,
                    checked_in_at TEXT NOT NULL,
                    checked_out_at TEXT,
                    lat REAL,
                    lng REAL,
                    accuracy_m REAL,
                    distance_m REAL,
                    method TEXT NOT NULL CHECK (method IN ('vendor', 'officer')),
                    flagged INTEGER NOT NULL DEFAULT 0,
                    UNIQUE (permit_no, business_date)
                );
                CREATE INDEX checkin_by_vendor ON checkin(vendor_id, business_date);
                CREATE INDEX checkin_by_district ON checkin(district, business_date);
                -- Every attempt, refused or not, with what the phone said and what was decided.
                CREATE TABLE checkin_attempt (
                    id INTEGER PRIMARY KEY,
                    vendor_id TEXT NOT NULL,
                    permit_no TEXT,
                    at TEXT NOT NULL,
                    at_epoch REAL NOT NULL,
                    business_date TEXT NOT NULL,
                    lat REAL,
                    lng REAL,
                    input_crs TEXT,
                    accuracy_m REAL,
                    distance_m REAL,
                    implied_speed_kmh REAL,
                    flagged INTEGER NOT NULL DEFAULT 0,
                    outcome TEXT NOT NULL CHECK (outcome IN ('checked_in', 'repeat', 'refused')),
                    refusal TEXT,
                    checkin_id INTEGER REFERENCES checkin(id),
                    method TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    reason TEXT
                );
                CREATE INDEX checkin_attempt_by_vendor ON checkin_attempt(vendor_id, id);
                -- Points deducted from a permit's 12-point monthly balance (violations, issue 5 records them).
                CREATE TABLE point_deduction (
                    id INTEGER PRIMARY KEY,
                    permit_no TEXT NOT NULL REFERENCES permit(permit_no),
                    month TEXT NOT NULL,
                    points INTEGER NOT NULL CHECK (points > 0),
                    code TEXT NOT NULL,
                    at TEXT NOT NULL
                );
                CREATE INDEX point_deduction_by_permit ON point_deduction(permit_no, month);
                """)
    }
}
