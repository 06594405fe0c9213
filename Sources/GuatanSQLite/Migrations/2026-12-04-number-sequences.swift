import GRDB

extension SchemaMigration {
    static let numberSequences = SchemaMigration("2026-12-04-number-sequences") { db in
        // Numbers come from counters moved and read in one statement under the write lock,
        // as a database's sequence does, rather than MAX()+1 read and then written.
        try db.execute(sql: "CREATE TABLE number_sequence (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID")
        try GuatanDatabase.catchUpNumberSequences(db)
    }
}
