import GRDB

extension SchemaMigration {
    static let statisticsIndexes = SchemaMigration("2026-11-29-statistics-indexes") { db in
        try db.execute(
            sql: """
                -- The season's statistics read these by day and by time of report: covering
                -- indexes keep the dashboard's answer fast on a whole season (issue 7's bench).
                CREATE INDEX checkin_by_day ON checkin(business_date, district);
                CREATE INDEX report_by_created ON report(created_epoch, category, state, site_id);
                CREATE INDEX report_event_by_action ON report_event(report_id, action, at);
                """)
    }
}
