extension PostgresMigration {
    /// The feedback loop's retention (SQLite's 2026-12-07-feedback-retention): an event's texts
    /// and dead letters found by their event.
    static let feedbackRetention = PostgresMigration(
        "0008-feedback-retention",
        """
        CREATE INDEX sms_by_event ON sms_message(event_seq);
        CREATE INDEX webhook_dead_letter_by_event ON webhook_dead_letter(event_seq);
        """)
}
