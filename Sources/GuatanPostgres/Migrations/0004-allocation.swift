extension PostgresMigration {
    /// The season's allocation (issue 16; SQLite's 2026-12-05-allocation): the season's phase and
    /// settings, its registry copy, applications and households, the published draw, waitlists,
    /// objections and offers; and the `surrendered` permit state (退摊).
    static let allocation = PostgresMigration(
        "0004-allocation",
        """
        ALTER TABLE permit DROP CONSTRAINT permit_state_check;
        ALTER TABLE permit ADD CONSTRAINT permit_state_check
            CHECK (state IN ('requested', 'reviewed', 'approved', 'issued', 'suspended', 'expired', 'revoked', 'rejected', 'surrendered'));
        ALTER TABLE season ADD COLUMN phase text NOT NULL DEFAULT 'in_season'
            CHECK (phase IN ('planning', 'applications_open', 'review', 'drawn', 'notice', 'allocated', 'in_season', 'closed'));
        ALTER TABLE season ADD COLUMN applications_open_on text;
        ALTER TABLE season ADD COLUMN applications_close_on text;
        ALTER TABLE season ADD COLUMN max_preferences integer NOT NULL DEFAULT 3;
        ALTER TABLE season ADD COLUMN notice_days integer NOT NULL DEFAULT 5;
        ALTER TABLE season ADD COLUMN notice_ends_on text;
        ALTER TABLE season ADD COLUMN renewal_min_share double precision NOT NULL DEFAULT 0.6;
        ALTER TABLE season ADD COLUMN offer_hours integer NOT NULL DEFAULT 48;
        ALTER TABLE season ADD COLUMN copied_from integer;
        -- The registry a season offers: a copy the bureau edits while the season is planned,
        -- never the registry the running season uses.
        CREATE TABLE season_site (
            season integer NOT NULL,
            site_id text NOT NULL,
            district text NOT NULL REFERENCES district(code),
            name text NOT NULL,
            address text NOT NULL,
            street_office text NOT NULL,
            lat double precision NOT NULL,
            lng double precision NOT NULL,
            opens_at text NOT NULL,
            closes_at text NOT NULL,
            PRIMARY KEY (season, site_id)
        );
        CREATE TABLE season_slot (
            season integer NOT NULL,
            slot_id text NOT NULL,
            site_id text NOT NULL,
            number integer NOT NULL,
            lat double precision NOT NULL,
            lng double precision NOT NULL,
            PRIMARY KEY (season, slot_id)
        );
        CREATE INDEX season_slot_by_site ON season_slot(season, site_id, number);
        -- One application per vendor and per household in a season (摊位申请).
        CREATE TABLE application (
            application_no text PRIMARY KEY,
            season integer NOT NULL,
            vendor_id text NOT NULL REFERENCES vendor(id),
            district text NOT NULL REFERENCES district(code),
            state text NOT NULL CHECK (state IN ('submitted', 'reviewed', 'qualified', 'rejected', 'withdrawn', 'excluded', 'lapsed')),
            preferences_json text NOT NULL,
            renewal_slot text,
            priority_claim text,
            priority_verified integer NOT NULL DEFAULT 0,
            tier integer,
            produce_json text NOT NULL,
            expected_kg double precision NOT NULL,
            vehicle_plate text NOT NULL,
            certificate_photo text REFERENCES photo(id),
            household_size integer NOT NULL,
            helpers_json text NOT NULL DEFAULT '[]',
            reason text,
            drawn_rank integer,
            slot_id text,
            permit_no text,
            created_at text NOT NULL,
            updated_at text NOT NULL
        );
        CREATE UNIQUE INDEX application_one_per_vendor ON application(season, vendor_id)
            WHERE state IN ('submitted', 'reviewed', 'qualified', 'excluded', 'lapsed');
        CREATE INDEX application_by_state ON application(season, state, district);
        CREATE INDEX application_by_vendor ON application(vendor_id, season);
        -- Each member of a household once per season: the database refuses a second application.
        CREATE TABLE application_household (
            season integer NOT NULL,
            id_card_hash text NOT NULL,
            application_no text NOT NULL REFERENCES application(application_no),
            PRIMARY KEY (season, id_card_hash)
        );
        CREATE INDEX application_household_by_application ON application_household(application_no);
        -- The published draw: the list and the commitment when review ends, the seed (kept secret
        -- until then) and the results at the draw, and the applications objections took out.
        CREATE TABLE season_draw (
            season integer PRIMARY KEY,
            commitment text NOT NULL,
            seed_hex text NOT NULL,
            published_json text NOT NULL,
            published_at text NOT NULL,
            drawn_at text,
            excluded_json text NOT NULL DEFAULT '[]'
        );
        -- Each site's waitlist in drawn order.
        CREATE TABLE waitlist (
            season integer NOT NULL,
            site_id text NOT NULL,
            position integer NOT NULL,
            application_no text NOT NULL REFERENCES application(application_no),
            PRIMARY KEY (season, site_id, position)
        );
        CREATE INDEX waitlist_by_application ON waitlist(application_no);
        -- 异议 during the notice, answered by the bureau in public.
        CREATE TABLE objection (
            objection_no text PRIMARY KEY,
            season integer NOT NULL,
            application_no text NOT NULL REFERENCES application(application_no),
            reason text NOT NULL,
            state text NOT NULL CHECK (state IN ('open', 'upheld', 'dismissed')),
            answer text,
            created_at text NOT NULL,
            answered_at text
        );
        CREATE INDEX objection_by_season ON objection(season, objection_no);
        -- A freed slot offered to the next on its site's waitlist, until a deadline.
        CREATE TABLE waitlist_offer (
            offer_no text PRIMARY KEY,
            season integer NOT NULL,
            slot_id text NOT NULL,
            site_id text NOT NULL,
            district text NOT NULL,
            application_no text NOT NULL REFERENCES application(application_no),
            state text NOT NULL CHECK (state IN ('open', 'accepted', 'declined', 'expired')),
            offered_at text NOT NULL,
            deadline text NOT NULL,
            answered_at text,
            permit_no text
        );
        CREATE UNIQUE INDEX waitlist_offer_open_slot ON waitlist_offer(season, slot_id) WHERE state = 'open';
        CREATE INDEX waitlist_offer_by_state ON waitlist_offer(state, deadline);
        CREATE INDEX waitlist_offer_by_application ON waitlist_offer(application_no);
        -- Up to two family helpers (家庭帮手) on a permit: name, relation, ID-card hash and last four.
        ALTER TABLE permit ADD COLUMN helpers_json text NOT NULL DEFAULT '[]';
        -- Who an inspection found at the stall: the holder, a registered helper, someone else.
        ALTER TABLE inspection ADD COLUMN at_stall text CHECK (at_stall IN ('holder', 'helper', 'other'));
        -- An idle permit's warning: the vendor sees it; the slot may be reclaimed from reclaim_on.
        CREATE TABLE permit_warning (
            permit_no text PRIMARY KEY REFERENCES permit(permit_no),
            warned_at text NOT NULL,
            reclaim_on text NOT NULL,
            warned_by text NOT NULL
        );
        -- A bar the bureau lifted, with its reason: kept, and no longer refusing.
        ALTER TABLE vendor_bar ADD COLUMN lifted_at text;
        ALTER TABLE vendor_bar ADD COLUMN lifted_by text;
        ALTER TABLE vendor_bar ADD COLUMN lift_reason text;
        -- 一车一证 is checked on every permit issued: the allocation issues a season's at once.
        CREATE INDEX vendor_by_plate ON vendor(vehicle_plate);
        CREATE INDEX permit_by_plate ON permit(vehicle_plate, season);
        """)
}
