import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird

/// `/api/v1/admin/…`: administrators only.
struct AdminRoutes {
    let accounts: any AccountStore
    let workflow: AccountService
    let audit: any AuditStore
    let passwords: PasswordHasher
    let personalDataKey: PersonalDataKey
    let clock: ServiceClock

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
        let created = try await workflow.registerVendor(
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
            throw APIError.validation("role must be admin, officer or call_taker", field: "role")
        }
        let district = input.district?.trimmingCharacters(in: .whitespaces).uppercased()
        try AccountRules.validateBinding(
            role: role, district: district?.isEmpty == true ? nil : district, knownDistricts: try await accounts.districtCodes())
        let hash = try await passwords.hash(input.password)
        let account = try await workflow.createAccount(
            username: username, passwordHash: hash, role: role, district: role == .officer ? district : nil, vendorId: nil,
            actor: "account:\(admin.username)", at: clock.now())
        let body = AuthRoutes.MeBody(
            accountId: account.id, username: account.username, role: account.role.rawValue, district: account.district,
            vendorId: nil, vendor: nil)
        return try APIJSON.response(body, status: .created)
    }
}
