extension PostgresMigration {
    /// A report's one voice note (SQLite's 2026-12-07-voice-notes): the file's row in `photo`
    /// (purpose `voice`), its format and length on the report.
    static let voiceNotes = PostgresMigration(
        "0007-voice-notes",
        """
        ALTER TABLE report ADD COLUMN voice_id text REFERENCES photo(id);
        ALTER TABLE report ADD COLUMN voice_type text;
        ALTER TABLE report ADD COLUMN voice_ms integer;
        """)
}
