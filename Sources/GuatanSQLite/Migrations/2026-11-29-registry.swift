import GRDB

extension SchemaMigration {
    static let registry = SchemaMigration("2026-11-29-registry") { db in
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
}
