import GRDB

extension SchemaMigration {
    /// The outbox, the texts and the dead letters are kept for a retention period, then
    /// forgotten (`--outbox-retention-days`): these let the pruning find an event's texts and
    /// dead letters without reading them all.
    static let feedbackRetention = SchemaMigration("2026-12-07-feedback-retention") { db in
        try db.execute(
            sql: """
                CREATE INDEX sms_by_event ON sms_message(event_seq);
                CREATE INDEX webhook_dead_letter_by_event ON webhook_dead_letter(event_seq);
                """)
    }
}
