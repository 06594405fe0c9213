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
        -- The time limit in force when the case was first handled: what 按期处置率 is measured against.
        ALTER TABLE report ADD COLUMN handled_due_at TEXT;
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
        -- How far a reader of the outbox inside the service (the SMS writer) has come.
        CREATE TABLE outbox_reader (
            name TEXT PRIMARY KEY,
            delivered_through INTEGER NOT NULL
        );
        -- Text messages written from the outbox's events: the number stays here (never listed
        -- unmasked), sent once each through the gateway, at night only what cannot wait.
        CREATE TABLE sms_message (
            id INTEGER PRIMARY KEY,
            event_seq INTEGER NOT NULL REFERENCES outbox_event(seq),
            recipient TEXT NOT NULL,
            audience TEXT NOT NULL,
            body TEXT NOT NULL,
            urgent INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed', 'skipped')),
            reason TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            send_after REAL NOT NULL,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            sent_day TEXT,
            last_status INTEGER,
            last_error TEXT
        );
        CREATE UNIQUE INDEX sms_once ON sms_message(event_seq, recipient);
        CREATE INDEX sms_due ON sms_message(state, send_after);
        CREATE INDEX sms_by_recipient ON sms_message(recipient, sent_day);
        -- The bureau's public-note templates, per category (NULL: every one) and action, offered
        -- on the officer's desk with the case's stall, time limit and district filled in.
        -- The check-in reminders sent: one a permit a day.
        CREATE TABLE checkin_reminder (
            permit_no TEXT NOT NULL REFERENCES permit(permit_no),
            day TEXT NOT NULL,
            PRIMARY KEY (permit_no, day)
        );
        CREATE TABLE reply_template (
            id INTEGER PRIMARY KEY,
            category TEXT,
            action TEXT NOT NULL,
            text TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            retired_at TEXT
        );
        \(GuatanDatabase.replyTemplateSeed)
        """

    /// The templates a new deployment starts with; the bureau adds its own and retires these.
    static let replyTemplateSeed = """
        INSERT INTO reply_template (category, action, text, created_by, created_at) VALUES
            (NULL, 'accept', '您反映的问题已立案（{report_id}），将派遣{district}执法中队处理。', 'system', '2026-12-06T00:00:00+08:00'),
            (NULL, 'reject', '经核实，您反映的情况不属于瓜果摊点管理范围，已转交相关部门（{report_id}）。', 'system', '2026-12-06T00:00:00+08:00'),
            (NULL, 'close', '经{district}执法中队现场处置，问题已解决（{report_id}）。感谢您的监督！', 'system', '2026-12-06T00:00:00+08:00'),
            ('occupying_road', 'close', '{district}执法中队已到{stall}现场，摊主已将摊位收回至划定范围（{report_id}）。感谢您的监督！', 'system', '2026-12-06T00:00:00+08:00'),
            ('hygiene', 'close', '{district}执法中队已督促{stall}摊主清理垃圾，现场已恢复整洁（{report_id}）。', 'system', '2026-12-06T00:00:00+08:00'),
            ('short_weight', 'close', '{district}执法中队已到{stall}现场核秤并依规处理（{report_id}）。', 'system', '2026-12-06T00:00:00+08:00');
        """
}
