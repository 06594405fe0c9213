import GRDB

extension SchemaMigration {
    /// A site or slot the next season no longer offers (issue 16): kept for the permits, reports
    /// and inspections that name it, marked with the first season without it, off the live map.
    static let retiredPlaces = SchemaMigration("2026-12-06-retired-places") { db in
        try db.execute(
            sql: """
                ALTER TABLE site ADD COLUMN retired_from INTEGER;
                ALTER TABLE slot ADD COLUMN retired_from INTEGER;
                """)
    }
}
