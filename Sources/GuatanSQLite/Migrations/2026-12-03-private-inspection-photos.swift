import GRDB

extension SchemaMigration {
    static let privateInspectionPhotos = SchemaMigration("2026-12-03-private-inspection-photos") { db in
        try db.execute(
            sql: """
                -- Inspection photos were stored with the purpose 'report'; which photos are public
                -- is now read from report_photo itself, and this keeps the rows saying the truth.
                UPDATE photo SET purpose = 'inspection'
                WHERE id IN (SELECT photo_id FROM inspection_photo) AND id NOT IN (SELECT photo_id FROM report_photo);
                CREATE INDEX report_photo_by_photo ON report_photo(photo_id);
                CREATE INDEX inspection_photo_by_photo ON inspection_photo(photo_id);
                """)
    }
}
