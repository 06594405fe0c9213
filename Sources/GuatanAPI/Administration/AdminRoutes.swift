import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird

/// `/api/v1/admin/…`: administrators only.
struct AdminRoutes {
    let accounts: any AccountStore
    let workflow: AccountService
    let vendors: any VendorStore
    let audit: any AuditStore
    let passwords: PasswordHasher
    let personalDataKey: PersonalDataKey
    let clock: ServiceClock

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

    func register(on routes: RouteTable<GuatanRequestContext>) {
        routes.post("/api/v1/admin/users") { request, context in try await createUser(request, context) }
        routes.get("/api/v1/admin/users") { _, context in try await listUsers(context) }
        routes.post("/api/v1/admin/users/{username}/disable") { _, context in try await setDisabled(true, context) }
        routes.post("/api/v1/admin/users/{username}/enable") { _, context in try await setDisabled(false, context) }
        routes.post("/api/v1/admin/vendors") { request, context in try await createVendor(request, context) }
        routes.get("/api/v1/admin/audit") { request, context in try await auditLog(request, context) }
    }

    /// Who changed what and when, newest first; `entity`, `entity_id`, `actor`, paging.
    func auditLog(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        _ = try context.require(.admin)
        let filter = try AuditFilter(request)
        let entries = try await audit.auditEntries(entity: filter.entity, entityId: filter.entityId, actor: filter.actor, page: filter.page)
        return try APIJSON.response(AuditListBody(entries), headers: [.cacheControl: "no-store"])
    }

    /// Registers a farmer and his login; the ID card is checked, hashed and cut to its last four.
    func createVendor(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let admin = try context.require(.admin)
        let input = try await JSONBody.decode(VendorInput.self, from: request, context: context, limit: 8192)
        let draft = try VendorRules.validate(
            VendorDraft(
                name: input.name, phone: input.phone, idCardNo: input.idCardNo, origin: input.origin,
                vehiclePlate: input.vehiclePlate, produce: input.produce ?? []))
        let username = input.username.trimmingCharacters(in: .whitespaces).lowercased()
        try AccountRules.validateUsername(username)
        try AccountRules.validatePassword(input.password, username: username)
        let hash = try await passwords.hash(input.password)
        let created = try await vendors.createVendor(
            draft, idCardHash: personalDataKey.idCardHash(draft.idCardNo), username: username, passwordHash: hash,
            actor: "account:\(admin.username)", at: clock.now())
        let body = CreatedVendorBody(
            vendorId: created.vendor.id, vendor: VendorBody(created.vendor), accountId: created.account.id, username: username)
        return try APIJSON.response(body, status: .created, headers: [.cacheControl: "no-store"])
    }

    /// Every account with its state: who can sign in, who is disabled, how many sessions are live.
    func listUsers(_ context: GuatanRequestContext) async throws -> Response {
        _ = try context.require(.admin)
        let items = try await accounts.accountList().map(UserBody.init)
        return try APIJSON.response(ListBody(items: items), headers: [.cacheControl: "no-store"])
    }

    /// Takes access back (a stolen phone, an officer who left): every session ends at once, the
    /// next request with its token is a 401. Enabling lets the account sign in again.
    func setDisabled(_ disabled: Bool, _ context: GuatanRequestContext) async throws -> Response {
        let admin = try context.require(.admin)
        let username = try context.parameters.require("username").lowercased()
        let summary = try await workflow.setDisabled(username: username, disabled: disabled, actor: "account:\(admin.username)", at: clock.now())
        return try APIJSON.response(UserBody(summary), headers: [.cacheControl: "no-store"])
    }

    /// Officers and administrators; vendors' accounts come with their vendor record.
    func createUser(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let admin = try context.require(.admin)
        let input = try await JSONBody.decode(UserInput.self, from: request, context: context, limit: 4096)
        let username = input.username.trimmingCharacters(in: .whitespaces).lowercased()
        try AccountRules.validateUsername(username)
        try AccountRules.validatePassword(input.password, username: username)
        guard let role = Role(rawValue: input.role) else {
            throw APIError.validation("role must be admin or officer", field: "role")
        }
        let district = input.district?.trimmingCharacters(in: .whitespaces).uppercased()
        try AccountRules.validateBinding(
            role: role, district: district?.isEmpty == true ? nil : district, knownDistricts: try await accounts.districtCodes())
        let hash = try await passwords.hash(input.password)
        let account = try await accounts.createAccount(
            username: username, passwordHash: hash, role: role, district: role == .officer ? district : nil, vendorId: nil,
            actor: "account:\(admin.username)", at: clock.now())
        let body = AuthRoutes.MeBody(
            accountId: account.id, username: account.username, role: account.role.rawValue, district: account.district,
            vendorId: nil, vendor: nil)
        return try APIJSON.response(body, status: .created)
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
