import GRDB

extension SchemaMigration {
    /// A report's one voice note (issue 17): the cleaned file beside the photos, its row in
    /// `photo` (purpose `voice`, so the folder's sweep keeps it), its format and length here.
    static let voiceNotes = SchemaMigration("2026-12-07-voice-notes") { db in
        try db.execute(
            sql: """
                ALTER TABLE report ADD COLUMN voice_id TEXT REFERENCES photo(id);
                ALTER TABLE report ADD COLUMN voice_type TEXT;
                ALTER TABLE report ADD COLUMN voice_ms INTEGER;
                """)
    }
}
