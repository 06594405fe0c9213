extension PostgresMigration {
    /// Report attempts and photo bytes per client address and clock hour, shared by every
    /// instance (SQLite's 2026-12-04-request-limits).
    static let requestLimits = PostgresMigration(
        "0002-request-limits",
        """
        CREATE TABLE request_limit (
            address text NOT NULL,
            hour bigint NOT NULL,
            attempts integer NOT NULL,
            bytes bigint NOT NULL,
            PRIMARY KEY (address, hour)
        );
        """)
}
