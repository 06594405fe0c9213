import GRDB

extension SchemaMigration {
    /// The season's allocation (issue 16): its phase and settings, its own copy of the registry,
    /// applications with their households, the published draw, objections, waitlists and offers;
    /// and a permit given up by its holder (退摊) is `surrendered`, neither revoked nor expired.
    static let allocation = SchemaMigration("2026-12-05-allocation") { db in
        try db.execute(sql: GuatanDatabase.allocationSQL)
        // SQLite cannot change a CHECK constraint in place: the permit table is made again with
        // the new state allowed (GRDB runs migrations with foreign keys off and checks them after).
        try db.execute(
            sql: """
                CREATE TABLE permit_new (
                    seq INTEGER PRIMARY KEY,
                    permit_no TEXT NOT NULL UNIQUE,
                    season INTEGER NOT NULL,
                    vendor_id TEXT NOT NULL REFERENCES vendor(id),
                    slot_id TEXT NOT NULL REFERENCES slot(id),
                    district TEXT NOT NULL REFERENCES district(code),
                    state TEXT NOT NULL CHECK (state IN ('requested', 'reviewed', 'approved', 'issued', 'suspended', 'expired', 'revoked', 'rejected', 'surrendered')),
                    produce_json TEXT NOT NULL,
                    vehicle_plate TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL,
                    expected_kg REAL,
                    certificate_photo TEXT REFERENCES photo(id),
                    issued_at TEXT,
                    -- Up to two family helpers (家庭帮手): name, relation, ID-card hash and last four.
                    helpers_json TEXT NOT NULL DEFAULT '[]'
                );
                INSERT INTO permit_new (seq, permit_no, season, vendor_id, slot_id, district, state, produce_json, vehicle_plate,
                                        created_at, updated_at, expected_kg, certificate_photo, issued_at)
                    SELECT seq, permit_no, season, vendor_id, slot_id, district, state, produce_json, vehicle_plate,
                           created_at, updated_at, expected_kg, certificate_photo, issued_at FROM permit;
                DROP TABLE permit;
                ALTER TABLE permit_new RENAME TO permit;
                CREATE UNIQUE INDEX permit_live_slot ON permit(season, slot_id)
                    WHERE state IN ('requested', 'reviewed', 'approved', 'issued', 'suspended');
                CREATE UNIQUE INDEX permit_live_vendor ON permit(season, vendor_id)
                    WHERE state IN ('requested', 'reviewed', 'approved', 'issued', 'suspended');
                CREATE UNIQUE INDEX permit_live_vehicle ON permit(season, vehicle_plate)
                    WHERE state IN ('requested', 'reviewed', 'approved', 'issued', 'suspended');
                CREATE INDEX permit_by_vendor ON permit(vendor_id, season);
                CREATE INDEX permit_by_slot ON permit(slot_id, season);
                CREATE INDEX permit_by_state ON permit(district, state, season);
                -- 一车一证 is checked on every permit issued, by the plate.
                CREATE INDEX permit_by_plate ON permit(vehicle_plate, season);
                """)
    }
}

extension GuatanDatabase {
    /// The allocation's tables, in SQL both databases read alike (PostgreSQL's 0004-allocation
    /// differs only in its key columns).
    static let allocationSQL = """
        ALTER TABLE season ADD COLUMN phase TEXT NOT NULL DEFAULT 'in_season'
            CHECK (phase IN ('planning', 'applications_open', 'review', 'drawn', 'notice', 'allocated', 'in_season', 'closed'));
        ALTER TABLE season ADD COLUMN applications_open_on TEXT;
        ALTER TABLE season ADD COLUMN applications_close_on TEXT;
        ALTER TABLE season ADD COLUMN max_preferences INTEGER NOT NULL DEFAULT 3;
        ALTER TABLE season ADD COLUMN notice_days INTEGER NOT NULL DEFAULT 5;
        ALTER TABLE season ADD COLUMN notice_ends_on TEXT;
        ALTER TABLE season ADD COLUMN renewal_min_share REAL NOT NULL DEFAULT 0.6;
        ALTER TABLE season ADD COLUMN offer_hours INTEGER NOT NULL DEFAULT 48;
        ALTER TABLE season ADD COLUMN copied_from INTEGER;
        -- The registry a season offers: a copy the bureau edits while the season is planned,
        -- never the registry the running season uses.
        CREATE TABLE season_site (
            season INTEGER NOT NULL,
            site_id TEXT NOT NULL,
            district TEXT NOT NULL REFERENCES district(code),
            name TEXT NOT NULL,
            address TEXT NOT NULL,
            street_office TEXT NOT NULL,
            lat REAL NOT NULL,
            lng REAL NOT NULL,
            opens_at TEXT NOT NULL,
            closes_at TEXT NOT NULL,
            PRIMARY KEY (season, site_id)
        );
        CREATE TABLE season_slot (
            season INTEGER NOT NULL,
            slot_id TEXT NOT NULL,
            site_id TEXT NOT NULL,
            number INTEGER NOT NULL,
            lat REAL NOT NULL,
            lng REAL NOT NULL,
            PRIMARY KEY (season, slot_id)
        );
        CREATE INDEX season_slot_by_site ON season_slot(season, site_id, number);
        -- One application per vendor and per household in a season (摊位申请).
        CREATE TABLE application (
            application_no TEXT PRIMARY KEY,
            season INTEGER NOT NULL,
            vendor_id TEXT NOT NULL REFERENCES vendor(id),
            district TEXT NOT NULL REFERENCES district(code),
            state TEXT NOT NULL CHECK (state IN ('submitted', 'reviewed', 'qualified', 'rejected', 'withdrawn', 'excluded', 'lapsed')),
            preferences_json TEXT NOT NULL,
            renewal_slot TEXT,
            priority_claim TEXT,
            priority_verified INTEGER NOT NULL DEFAULT 0,
            tier INTEGER,
            produce_json TEXT NOT NULL,
            expected_kg REAL NOT NULL,
            vehicle_plate TEXT NOT NULL,
            certificate_photo TEXT REFERENCES photo(id),
            household_size INTEGER NOT NULL,
            helpers_json TEXT NOT NULL DEFAULT '[]',
            reason TEXT,
            drawn_rank INTEGER,
            slot_id TEXT,
            permit_no TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX application_one_per_vendor ON application(season, vendor_id)
            WHERE state IN ('submitted', 'reviewed', 'qualified', 'excluded', 'lapsed');
        CREATE INDEX application_by_state ON application(season, state, district);
        CREATE INDEX application_by_vendor ON application(vendor_id, season);
        -- Each member of a household once per season: the database refuses a second application.
        CREATE TABLE application_household (
            season INTEGER NOT NULL,
            id_card_hash TEXT NOT NULL,
            application_no TEXT NOT NULL REFERENCES application(application_no),
            PRIMARY KEY (season, id_card_hash)
        );
        CREATE INDEX application_household_by_application ON application_household(application_no);
        -- The published draw: the list and the commitment when review ends, the seed (kept secret
        -- until then) and the results at the draw, and the applications objections took out.
        CREATE TABLE season_draw (
            season INTEGER PRIMARY KEY,
            commitment TEXT NOT NULL,
            seed_hex TEXT NOT NULL,
            published_json TEXT NOT NULL,
            published_at TEXT NOT NULL,
            drawn_at TEXT,
            excluded_json TEXT NOT NULL DEFAULT '[]'
        );
        -- Each site's waitlist in drawn order.
        CREATE TABLE waitlist (
            season INTEGER NOT NULL,
            site_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            application_no TEXT NOT NULL REFERENCES application(application_no),
            PRIMARY KEY (season, site_id, position)
        );
        CREATE INDEX waitlist_by_application ON waitlist(application_no);
        -- 异议 during the notice, answered by the bureau in public.
        CREATE TABLE objection (
            objection_no TEXT PRIMARY KEY,
            season INTEGER NOT NULL,
            application_no TEXT NOT NULL REFERENCES application(application_no),
            reason TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('open', 'upheld', 'dismissed')),
            answer TEXT,
            created_at TEXT NOT NULL,
            answered_at TEXT
        );
        CREATE INDEX objection_by_season ON objection(season, objection_no);
        -- A freed slot offered to the next on its site's waitlist, until a deadline.
        CREATE TABLE waitlist_offer (
            offer_no TEXT PRIMARY KEY,
            season INTEGER NOT NULL,
            slot_id TEXT NOT NULL,
            site_id TEXT NOT NULL,
            district TEXT NOT NULL,
            application_no TEXT NOT NULL REFERENCES application(application_no),
            state TEXT NOT NULL CHECK (state IN ('open', 'accepted', 'declined', 'expired')),
            offered_at TEXT NOT NULL,
            deadline TEXT NOT NULL,
            answered_at TEXT,
            permit_no TEXT
        );
        CREATE UNIQUE INDEX waitlist_offer_open_slot ON waitlist_offer(season, slot_id) WHERE state = 'open';
        CREATE INDEX waitlist_offer_by_state ON waitlist_offer(state, deadline);
        CREATE INDEX waitlist_offer_by_application ON waitlist_offer(application_no);
        -- Who an inspection found at the stall: the holder, a registered helper, someone else.
        ALTER TABLE inspection ADD COLUMN at_stall TEXT CHECK (at_stall IN ('holder', 'helper', 'other'));
        -- An idle permit's warning: the vendor sees it; the slot may be reclaimed from reclaim_on.
        CREATE TABLE permit_warning (
            permit_no TEXT PRIMARY KEY REFERENCES permit(permit_no),
            warned_at TEXT NOT NULL,
            reclaim_on TEXT NOT NULL,
            warned_by TEXT NOT NULL
        );
        -- A bar the bureau lifted, with its reason: kept, and no longer refusing.
        ALTER TABLE vendor_bar ADD COLUMN lifted_at TEXT;
        ALTER TABLE vendor_bar ADD COLUMN lifted_by TEXT;
        ALTER TABLE vendor_bar ADD COLUMN lift_reason TEXT;
        -- 一车一证 is checked on every permit issued: the allocation issues a season's at once.
        CREATE INDEX vendor_by_plate ON vendor(vehicle_plate);
        """
}
