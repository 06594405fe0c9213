extension PostgresMigration {
    /// A site or slot the next season no longer offers (SQLite's 2026-12-06-retired-places): kept
    /// for what names it, marked with the first season without it, off the live map.
    static let retiredPlaces = PostgresMigration(
        "0005-retired-places",
        """
        ALTER TABLE site ADD COLUMN retired_from integer;
        ALTER TABLE slot ADD COLUMN retired_from integer;
        """)
}
