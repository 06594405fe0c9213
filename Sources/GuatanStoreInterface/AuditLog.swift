import Foundation
import GuatanCore

/// One line of the audit log: who changed what, when, with the state before and after.
public struct AuditEntry: Sendable, Hashable {
    public var at: String
    public var actor: String
    public var action: String
    public var entity: String
    public var entityId: String
    public var before: String?
    public var after: String?

    public init(at: String, actor: String, action: String, entity: String, entityId: String, before: String? = nil, after: String? = nil) {
        self.at = at
        self.actor = actor
        self.action = action
        self.entity = entity
        self.entityId = entityId
        self.before = before
        self.after = after
    }
}

/// Reading the audit log (administrators only).
public protocol AuditStore: Sendable {
    func auditEntries(entity: String?, entityId: String?, actor: String?, page: PageRequest) async throws -> Page<AuditEntry>
}
