import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface

extension GuatanDatabase: AuditStore {}

extension GuatanDatabase {
    /// Writes an audit entry inside the caller's transaction, so the change and its record
    /// commit or roll back together.
    static func audit(
        _ db: Database, at: Date, actor: String, action: String, entity: String, entityId: String,
        before: [String: String]?, after: [String: String]?
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO audit_log (at, actor, action, entity, entity_id, before_json, after_json)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [BusinessTime.rfc3339(at), actor, action, entity, entityId, before.map(json), after.map(json)])
    }

    private static func json(_ fields: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The audit log, newest first, filtered by entity, entity ID and actor.
    public func auditEntries(entity: String?, entityId: String?, actor: String?, page: PageRequest) async throws -> Page<AuditEntry> {
        try await read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            for (column, value) in [("entity", entity), ("entity_id", entityId), ("actor", actor)] {
                if let value {
                    conditions.append("\(column) = ?")
                    arguments += [value]
                }
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let total = try Int.fetchOne(db, cached: "SELECT COUNT(*) FROM audit_log \(filter)", arguments: arguments) ?? 0
            let items = try Row.fetchAll(
                db, cached: "SELECT * FROM audit_log \(filter) ORDER BY id DESC LIMIT ? OFFSET ?",
                arguments: arguments + [page.perPage, page.offset]
            ).map(Self.auditEntry)
            return Page(items: items, total: total, request: page)
        }
    }

    /// The audit trail of one entity, oldest first.
    public func auditTrail(entity: String, id: String) throws -> [AuditEntry] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log WHERE entity = ? AND entity_id = ? ORDER BY id", arguments: [entity, id])
                .map(Self.auditEntry)
        }
    }

    static func auditEntry(_ row: Row) -> AuditEntry {
        AuditEntry(
            at: row["at"], actor: row["actor"], action: row["action"], entity: row["entity"], entityId: row["entity_id"],
            before: row["before_json"], after: row["after_json"])
    }
}
