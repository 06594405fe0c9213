import GRDB

extension GuatanDatabase {
    /// Migrations are registered once, in order, and never edited after they ship:
    /// a change to the schema is a new migration.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-29-registry") { db in
            try db.execute(
                sql: """
                    CREATE TABLE district (
                        code TEXT PRIMARY KEY,
                        adcode TEXT NOT NULL UNIQUE,
                        name TEXT NOT NULL,
                        name_en TEXT NOT NULL
                    );
                    CREATE TABLE site (
                        id TEXT PRIMARY KEY,
                        district TEXT NOT NULL REFERENCES district(code),
                        name TEXT NOT NULL,
                        address TEXT NOT NULL,
                        street_office TEXT NOT NULL DEFAULT '',
                        lat REAL NOT NULL,
                        lng REAL NOT NULL,
                        opens_at TEXT NOT NULL,
                        closes_at TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL
                    );
                    CREATE INDEX site_by_district ON site(district, id);
                    -- An explicit integer key: VACUUM may renumber implicit rowids, and the R*Tree refers to it.
                    CREATE TABLE slot (
                        pk INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        site_id TEXT NOT NULL REFERENCES site(id),
                        number INTEGER NOT NULL CHECK (number >= 1),
                        lat REAL NOT NULL,
                        lng REAL NOT NULL,
                        UNIQUE (site_id, number)
                    );
                    -- Spatial index for nearby search; kept in step with slot by triggers.
                    CREATE VIRTUAL TABLE slot_rtree USING rtree(slot_pk, min_lat, max_lat, min_lng, max_lng);
                    CREATE TRIGGER slot_rtree_insert AFTER INSERT ON slot BEGIN
                        INSERT INTO slot_rtree VALUES (NEW.pk, NEW.lat, NEW.lat, NEW.lng, NEW.lng);
                    END;
                    CREATE TRIGGER slot_rtree_update AFTER UPDATE OF lat, lng ON slot BEGIN
                        UPDATE slot_rtree SET min_lat = NEW.lat, max_lat = NEW.lat, min_lng = NEW.lng, max_lng = NEW.lng
                        WHERE slot_pk = NEW.pk;
                    END;
                    CREATE TRIGGER slot_rtree_delete AFTER DELETE ON slot BEGIN
                        DELETE FROM slot_rtree WHERE slot_pk = OLD.pk;
                    END;
                    CREATE TABLE season (
                        year INTEGER PRIMARY KEY,
                        starts_on TEXT NOT NULL,
                        ends_on TEXT NOT NULL,
                        opens_at TEXT NOT NULL,
                        closes_at TEXT NOT NULL
                    );
                    -- Facts about the database itself: when the seed was loaded, the registry's version.
                    CREATE TABLE store_meta (
                        key TEXT PRIMARY KEY,
                        value TEXT NOT NULL
                    );
                    INSERT INTO store_meta (key, value) VALUES ('registry_version', '0');
                    -- Every state change: who, when, what, before and after (JSON).
                    CREATE TABLE audit_log (
                        id INTEGER PRIMARY KEY,
                        at TEXT NOT NULL,
                        actor TEXT NOT NULL,
                        action TEXT NOT NULL,
                        entity TEXT NOT NULL,
                        entity_id TEXT NOT NULL,
                        before_json TEXT,
                        after_json TEXT
                    );
                    CREATE INDEX audit_log_by_entity ON audit_log(entity, entity_id, id);
                    """)
        }
        migrator.registerMigration("2026-11-29-accounts") { db in
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
        migrator.registerMigration("2026-11-29-vendors") { db in
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
        migrator.registerMigration("2026-11-29-permits") { db in
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
        migrator.registerMigration("2026-11-29-checkins") { db in
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
        migrator.registerMigration("2026-11-29-applications") { db in
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
        migrator.registerMigration("2026-11-29-reports") { db in
            try db.execute(
                sql: """
                    -- Report categories with their time limit from dispatch (configurable here).
                    CREATE TABLE report_category (
                        code TEXT PRIMARY KEY,
                        name_zh TEXT NOT NULL,
                        name_en TEXT NOT NULL,
                        time_limit_minutes INTEGER NOT NULL CHECK (time_limit_minutes > 0),
                        sort INTEGER NOT NULL
                    );
                    INSERT INTO report_category (code, name_zh, name_en, time_limit_minutes, sort) VALUES
                        ('occupying_road', '占道/超出摊位', 'Occupying the road or beyond the stall', 120, 1),
                        ('not_own_produce', '非自产/超范围经营', 'Not own produce or beyond the permit', 1440, 2),
                        ('hygiene', '卫生/垃圾', 'Hygiene or rubbish', 240, 3),
                        ('short_weight', '缺斤短两/价格', 'Short weight or pricing', 1440, 4),
                        ('unlicensed', '无证经营/人证位不符', 'Unlicensed, or person, permit and slot do not match', 240, 5),
                        ('stall_absent', '摊位闲置/未出摊', 'Stall left idle or not opened', 1440, 6),
                        ('noise', '噪音/扰民', 'Noise or disturbance', 240, 7),
                        ('suggestion', '建议/表扬', 'Suggestion or praise', 4320, 8),
                        ('other', '其他', 'Other', 1440, 9);
                    -- Citizens' reports (市民监督). The tracking code is kept only as its SHA-256.
                    CREATE TABLE report (
                        seq INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        tracking_hash TEXT NOT NULL UNIQUE,
                        category TEXT NOT NULL REFERENCES report_category(code),
                        description TEXT NOT NULL,
                        slot_id TEXT REFERENCES slot(id),
                        site_id TEXT REFERENCES site(id),
                        permit_no TEXT,
                        district TEXT NOT NULL REFERENCES district(code),
                        lat REAL NOT NULL,
                        lng REAL NOT NULL,
                        contact_phone TEXT,
                        state TEXT NOT NULL,
                        duplicate_of TEXT,
                        due_at TEXT,
                        due_epoch REAL,
                        created_at TEXT NOT NULL,
                        created_epoch REAL NOT NULL,
                        updated_at TEXT NOT NULL,
                        closed_at TEXT,
                        closed_epoch REAL,
                        rating INTEGER,
                        rating_comment TEXT,
                        rated_at TEXT
                    );
                    CREATE INDEX report_by_district ON report(district, state, due_epoch);
                    CREATE INDEX report_by_slot ON report(slot_id, seq);
                    CREATE INDEX report_by_site ON report(site_id, seq);
                    CREATE INDEX report_by_category ON report(category, created_epoch);
                    CREATE TABLE report_photo (
                        report_id TEXT NOT NULL REFERENCES report(id),
                        position INTEGER NOT NULL,
                        photo_id TEXT NOT NULL REFERENCES photo(id),
                        PRIMARY KEY (report_id, position)
                    );
                    -- The case's timeline: every step with who (role), when, a public and an internal note.
                    CREATE TABLE report_event (
                        id INTEGER PRIMARY KEY,
                        report_id TEXT NOT NULL REFERENCES report(id),
                        at TEXT NOT NULL,
                        actor_role TEXT NOT NULL,
                        actor TEXT NOT NULL,
                        action TEXT NOT NULL,
                        from_state TEXT,
                        to_state TEXT NOT NULL,
                        public_note TEXT,
                        internal_note TEXT
                    );
                    CREATE INDEX report_event_by_report ON report_event(report_id, id);
                    """)
        }
        migrator.registerMigration("2026-11-29-inspections") { db in
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
        migrator.registerMigration("2026-11-29-permit-issued-at") { db in
            try db.execute(
                sql: """
                    -- When a permit was issued: idle permits are counted from that day, not the season's start.
                    ALTER TABLE permit ADD COLUMN issued_at TEXT;
                    UPDATE permit SET issued_at = created_at WHERE state IN ('issued', 'suspended', 'expired', 'revoked');
                    """)
        }
        migrator.registerMigration("2026-11-29-statistics-indexes") { db in
            try db.execute(
                sql: """
                    -- The season's statistics read these by day and by time of report: covering
                    -- indexes keep the dashboard's answer fast on a whole season (issue 7's bench).
                    CREATE INDEX checkin_by_day ON checkin(business_date, district);
                    CREATE INDEX report_by_created ON report(created_epoch, category, state, site_id);
                    CREATE INDEX report_event_by_action ON report_event(report_id, action, at);
                    """)
        }
        migrator.registerMigration("2026-12-03-private-inspection-photos") { db in
            try db.execute(
                sql: """
                    -- Inspection photos were stored with the purpose 'report'; which photos are public
                    -- is now read from report_photo itself, and this keeps the rows saying the truth.
                    UPDATE photo SET purpose = 'inspection'
                    WHERE id IN (SELECT photo_id FROM inspection_photo) AND id NOT IN (SELECT photo_id FROM report_photo);
                    CREATE INDEX report_photo_by_photo ON report_photo(photo_id);
                    CREATE INDEX inspection_photo_by_photo ON inspection_photo(photo_id);
                    """)
        }
        migrator.registerMigration("2026-12-03-login-pairs") { db in
            // The sign-in throttle counts failures per (account, address).
            try db.execute(sql: "CREATE INDEX login_failure_by_pair ON login_failure(username, address, at)")
        }
        migrator.registerMigration("2026-12-04-number-sequences") { db in
            // Numbers come from counters moved and read in one statement under the write lock,
            // as a database's sequence does, rather than MAX()+1 read and then written.
            try db.execute(sql: "CREATE TABLE number_sequence (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID")
            try GuatanDatabase.catchUpNumberSequences(db)
        }
        return migrator
    }()

    /// Moves every counter up to the numbers already used, for rows written in bulk (the
    /// migration, the demo population, a generated season), which number their own rows.
    static func catchUpNumberSequences(_ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO number_sequence (name, value)
                SELECT name, value FROM (
                    SELECT 'vendor' AS name, COALESCE(MAX(seq), 0) AS value FROM vendor
                    UNION ALL SELECT 'report', COALESCE(MAX(seq), 0) FROM report
                    UNION ALL SELECT 'inspection', COALESCE(MAX(seq), 0) FROM inspection
                    UNION ALL SELECT 'permit/' || season || '/' || district, COUNT(*) FROM permit GROUP BY season, district)
                WHERE true
                ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)
                """)
    }
}
