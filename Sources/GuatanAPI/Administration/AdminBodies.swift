import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird

extension AdminRoutes {
    struct VendorInput: Decodable {
        let name: String
        let phone: String
        let idCardNo: String
        let origin: String
        let vehiclePlate: String
        let produce: [String]?
        let username: String
        let password: String
    }

    struct CreatedVendorBody: Encodable {
        let vendorId: String
        let vendor: VendorBody
        let accountId: Int64
        let username: String
    }

    struct UserInput: Decodable {
        let username: String
        let password: String
        let role: String
        let district: String?
    }
}

struct UserBody: Encodable {
    let accountId: Int64
    let username: String
    let role: String
    let district: String?
    let vendorId: String?
    let createdAt: String
    let disabledAt: String?
    let liveSessions: Int

    init(_ summary: AccountSummary) {
        accountId = summary.account.id
        username = summary.account.username
        role = summary.account.role.rawValue
        district = summary.account.district
        vendorId = summary.account.vendorId
        createdAt = summary.createdAt
        disabledAt = summary.disabledAt
        liveSessions = summary.liveSessions
    }

    enum CodingKeys: String, CodingKey {
        case accountId, username, role, district, vendorId, createdAt, disabledAt, liveSessions
    }

    // Nulls are written out: a list where some accounts lack "disabled_at" would read as unknown.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(accountId, forKey: .accountId)
        try container.encode(username, forKey: .username)
        try container.encode(role, forKey: .role)
        try container.encode(district, forKey: .district)
        try container.encode(vendorId, forKey: .vendorId)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(disabledAt, forKey: .disabledAt)
        try container.encode(liveSessions, forKey: .liveSessions)
    }
}

/// The parameters of `/api/v1/admin/audit`. Parsed outside the async route: Swift 6.3.1's
/// optimiser crashes splitting an async function that parses paging inline (as with sites).
struct AuditFilter {
    let entity: String?
    let entityId: String?
    let actor: String?
    let page: PageRequest

    init(_ request: Request) throws {
        let query = Query(request)
        entity = try query.string("entity", maxLength: 50)
        entityId = try query.string("entity_id", maxLength: 100)
        actor = try query.string("actor", maxLength: 100)
        page = try query.page()
    }
}

struct AuditListBody: Encodable {
    struct Entry: Encodable {
        let at: String
        let actor: String
        let action: String
        let entity: String
        let entityId: String
        let before: [String: String]?
        let after: [String: String]?
    }

    let items: [Entry]
    let total: Int
    let page: Int
    let perPage: Int

    init(_ page: Page<AuditEntry>) {
        func fields(_ json: String?) -> [String: String]? {
            json.flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) }
        }
        items = page.items.map {
            Entry(
                at: $0.at, actor: $0.actor, action: $0.action, entity: $0.entity, entityId: $0.entityId,
                before: fields($0.before), after: fields($0.after))
        }
        total = page.total
        self.page = page.request.page
        perPage = page.request.perPage
    }
}
