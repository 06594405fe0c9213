import GRDB

extension SchemaMigration {
    static let reports = SchemaMigration("2026-11-29-reports") { db in
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
}
