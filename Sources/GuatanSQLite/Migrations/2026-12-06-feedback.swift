import GRDB

extension SchemaMigration {
    /// The feedback loop (issue 17): each report's channel, escalation and the reporter's wish
    /// to be told by SMS; extensions and send-backs; the outbox and its webhook endpoints; the
    /// bureau's call takers (a new role: the account table is made again for its CHECK).
    static let feedback = SchemaMigration("2026-12-06-feedback") { db in
        try db.execute(
            sql: """
                CREATE TABLE account_new (
                    id INTEGER PRIMARY KEY,
                    username TEXT NOT NULL UNIQUE,
                    password_hash TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('admin', 'officer', 'vendor', 'call_taker')),
                    district TEXT REFERENCES district(code),
                    vendor_id TEXT,
                    created_at TEXT NOT NULL,
                    disabled_at TEXT,
                    CHECK ((role = 'officer') = (district IS NOT NULL))
                );
                INSERT INTO account_new SELECT id, username, password_hash, role, district, vendor_id, created_at, disabled_at FROM account;
                DROP TABLE account;
                ALTER TABLE account_new RENAME TO account;
                CREATE UNIQUE INDEX account_by_vendor ON account(vendor_id) WHERE vendor_id IS NOT NULL;
                """)
        try db.execute(sql: GuatanDatabase.feedbackSQL)
    }
}

extension GuatanDatabase {
    /// The feedback loop's columns and tables, the same on both stores but for their types.
    static let feedbackSQL = """
        ALTER TABLE report ADD COLUMN channel TEXT NOT NULL DEFAULT 'web'
            CHECK (channel IN ('web', 'open311', 'hotline', 'walk_in', 'officer'));
        ALTER TABLE report ADD COLUMN entered_by TEXT;
        ALTER TABLE report ADD COLUMN escalated_at TEXT;
        ALTER TABLE report ADD COLUMN notify_sms INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX report_overdue ON report(state, escalated_at, due_epoch);
        CREATE TABLE report_extension (
            id INTEGER PRIMARY KEY,
            report_id TEXT NOT NULL REFERENCES report(id),
            requested_by TEXT NOT NULL,
            requested_at TEXT NOT NULL,
            reason TEXT NOT NULL,
            previous_due_at TEXT,
            new_due_at TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'refused')),
            answered_by TEXT,
            answered_at TEXT,
            answer TEXT
        );
        -- One request at a time a case.
        CREATE UNIQUE INDEX report_extension_pending ON report_extension(report_id) WHERE state = 'pending';
        CREATE INDEX report_extension_by_state ON report_extension(state, id);
        -- Every event someone should hear of, numbered in commit order (the counter's row is
        -- locked by the writing transaction), with what it says as JSON.
        CREATE TABLE outbox_event (
            seq INTEGER PRIMARY KEY,
            type TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            district TEXT,
            public INTEGER NOT NULL,
            payload_json TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX outbox_by_entity ON outbox_event(entity, entity_id, seq);
        -- The city's platform and other receivers: where, the secret signing each delivery,
        -- the events wanted, and how far delivery has come (in order, one event at a time).
        CREATE TABLE webhook_endpoint (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            url TEXT NOT NULL,
            secret TEXT NOT NULL,
            events_json TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            delivered_through INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL,
            lease_owner TEXT,
            lease_until REAL,
            last_status INTEGER,
            last_error TEXT,
            last_attempt_at TEXT,
            last_success_at TEXT,
            delivered_count INTEGER NOT NULL DEFAULT 0,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        -- Events an endpoint would not take after every retry: shown to the admin, sent again on request.
        CREATE TABLE webhook_dead_letter (
            id INTEGER PRIMARY KEY,
            endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoint(id),
            event_seq INTEGER NOT NULL REFERENCES outbox_event(seq),
            attempts INTEGER NOT NULL,
            last_status INTEGER,
            last_error TEXT,
            dead_at TEXT NOT NULL,
            retried_at TEXT
        );
        CREATE INDEX webhook_dead_letter_by_endpoint ON webhook_dead_letter(endpoint_id, id);
        """
}
