import GRDB

/// One change to the schema, in a file of its own named by its date. Migrations are applied in
/// the order of `GuatanDatabase.migrations` and never edited after they ship: a change to the
/// schema is a new migration, appended to the list.
struct SchemaMigration: Sendable {
    let identifier: String
    let apply: @Sendable (Database) throws -> Void

    init(_ identifier: String, apply: @escaping @Sendable (Database) throws -> Void) {
        self.identifier = identifier
        self.apply = apply
    }
}

extension GuatanDatabase {
    static let migrations: [SchemaMigration] = [
        .registry,
        .accounts,
        .vendors,
        .permits,
        .checkins,
        .applications,
        .reports,
        .inspections,
        .permitIssuedAt,
        .statisticsIndexes,
        .privateInspectionPhotos,
        .loginPairs,
        .numberSequences,
        .requestLimits,
        .registryVersionShards,
        .allocation,
        .retiredPlaces,
        .feedback,
        .voiceNotes,
        .feedbackRetention,
    ]

    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            migrator.registerMigration(migration.identifier, migrate: migration.apply)
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
