import Foundation
import GuatanCore
import GuatanStore
import Hummingbird

/// Permits: administrators issue them, officers and administrators move them through their
/// workflow, vendors see their own, and anyone can verify one by its number.
struct PermitRoutes {
    let permits: any PermitStore
    let snapshots: RegistrySnapshotCache
    let clock: ServiceClock

    struct CreateInput: Decodable {
        let vendorId: String
        let slotId: String
        let season: Int?
        let produce: [String]?
        let issue: Bool?
    }

    struct TransitionInput: Decodable {
        let action: String
        let reason: String?
    }

    func register(on routes: RouteTable<GuatanRequestContext>) {
        routes.post("/api/v1/admin/permits") { request, context in try await create(request, context) }
        routes.post("/api/v1/permits/{permit_no}/transitions") { request, context in try await transition(request, context) }
        routes.get("/api/v1/permits/verify/{permit_no}") { _, context in try await verify(context) }
        routes.get("/api/v1/me/permits") { _, context in try await mine(context) }
    }

    private var today: LocalDate { BusinessTime.localDate(of: clock.now()) }

    func create(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let admin = try context.require(.admin)
        let input = try await JSONBody.decode(CreateInput.self, from: request, context: context, limit: 8192)
        let season = input.season ?? today.year
        guard (2000...2100).contains(season) else {
            throw APIError.validation("season must be a year such as \(today.year)", field: "season")
        }
        let produce = (input.produce ?? []).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard produce.count <= 10, produce.allSatisfy({ $0.count <= 20 }) else {
            throw APIError.validation("produce lists at most 10 kinds of at most 20 characters each", field: "produce")
        }
        let record = try await permits.createPermit(
            vendorId: input.vendorId.trimmingCharacters(in: .whitespaces).uppercased(),
            slotId: input.slotId.trimmingCharacters(in: .whitespaces).uppercased(), season: season, produce: produce,
            state: input.issue == true ? .issued : .approved, actor: "account:\(admin.username)", at: clock.now())
        snapshots.invalidate()
        return try APIJSON.response(PermitBody(record, today: today), status: .created)
    }

    func transition(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let actor = try context.require(.admin, .officer)
        let number = try context.parameters.require("permit_no").uppercased()
        let input = try await JSONBody.decode(TransitionInput.self, from: request, context: context, limit: 4096)
        guard let action = PermitAction(rawValue: input.action) else {
            throw APIError.validation(
                "action must be one of \(PermitAction.allCases.map(\.rawValue).joined(separator: ", "))", field: "action")
        }
        let record = try await permits.transition(number: number, action: action, by: actor, reason: input.reason, at: clock.now())
        snapshots.invalidate()
        return try APIJSON.response(PermitBody(record, today: today))
    }

    /// What a citizen sees after scanning a stall's code: nothing private, the name masked.
    func verify(_ context: GuatanRequestContext) async throws -> Response {
        let number = try context.parameters.require("permit_no")
        guard let record = try await permits.permit(number: number.uppercased()), record.permit.state.isVerifiable else {
            throw APIError.notFound("no permit \(number)")
        }
        let state = PermitWorkflow.effectiveState(record.permit.state, season: record.seasonDates, on: today)
        let body = VerifyBody(
            valid: state == .issued, status: state.rawValue, season: record.permit.season,
            permitNo: record.permit.number, slotId: record.permit.slotId, siteId: record.siteId, siteName: record.siteName,
            holderMasked: Masking.name(record.holderName), produce: record.permit.produce, origin: record.origin,
            validFrom: record.seasonDates.startsOn.description, validTo: record.seasonDates.endsOn.description)
        return try APIJSON.response(body, headers: [.cacheControl: "no-cache"])
    }

    func mine(_ context: GuatanRequestContext) async throws -> Response {
        let vendor = try context.require(.vendor)
        guard let vendorId = vendor.vendorId else { throw AccessError.forbidden("this account has no vendor record") }
        let items = try await permits.permits(vendorId: vendorId).map { PermitBody($0, today: today) }
        return try APIJSON.response(ListBody(items: items), headers: [.cacheControl: "no-store"])
    }
}

/// A permit as its holder, officers and administrators see it.
struct PermitBody: Encodable {
    let permitNo: String
    let season: Int
    let status: String
    let vendorId: String
    let holderName: String
    let slotId: String
    let siteId: String
    let siteName: String
    let district: String
    let produce: [String]
    let origin: String
    let vehiclePlate: String
    let validFrom: String
    let validTo: String

    init(_ record: PermitRecord, today: LocalDate) {
        permitNo = record.permit.number
        season = record.permit.season
        status = PermitWorkflow.effectiveState(record.permit.state, season: record.seasonDates, on: today).rawValue
        vendorId = record.permit.vendorId
        holderName = record.holderName
        slotId = record.permit.slotId
        siteId = record.siteId
        siteName = record.siteName
        district = record.permit.district
        produce = record.permit.produce
        origin = record.origin
        vehiclePlate = record.permit.vehiclePlate
        validFrom = record.seasonDates.startsOn.description
        validTo = record.seasonDates.endsOn.description
    }
}

struct VerifyBody: Encodable {
    let valid: Bool
    let status: String
    let season: Int
    let permitNo: String
    let slotId: String
    let siteId: String
    let siteName: String
    let holderMasked: String
    let produce: [String]
    let origin: String
    let validFrom: String
    let validTo: String
}
