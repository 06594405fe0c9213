import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird
import NIOPosix

/// Permits: administrators issue them, officers and administrators move them through their
/// workflow, vendors see their own, and anyone can verify one by its number.
struct PermitRoutes {
    let permits: any PermitStore
    let workflow: PermitService
    let registry: any RegistryStore
    let snapshots: RegistrySnapshotCache
    let photos: PhotoIntake
    let clock: ServiceClock

    /// A certificate photo (5 MB) and a few short fields.
    static let applicationLimit = PhotoRules.maxBytes + 256 * 1024

    func register(on routes: RouteTable<GuatanRequestContext>) {
        routes.post("/api/v1/admin/permits") { request, context in try await create(request, context) }
        routes.post("/api/v1/permits/{permit_no}/transitions") { request, context in try await transition(request, context) }
        routes.get("/api/v1/permits/verify/{permit_no}") { _, context in try await verify(context) }
        routes.get("/api/v1/me/permits") { _, context in try await mine(context) }
        routes.post("/api/v1/permit-applications") { request, context in try await apply(request, context) }
        routes.get("/api/v1/permits") { request, context in
            let filter = try PermitListFilter(request)
            return try await list(filter, context)
        }
        routes.get("/api/v1/permits/{permit_no}/certificate") { _, context in try await certificate(context) }
    }

    /// A vendor applies for a slot (or any free slot of a site) with the village committee's
    /// certificate as a photo: multipart fields `season`, `slot_id` or `site_id`, `produce`
    /// (repeated, or separated by commas or 、), `expected_kg`, `vehicle_plate`, and the file `certificate`.
    func apply(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let vendorId = try CheckInRoutes.vendorId(context)
        return try await photos.uploads.run { try await apply(request, vendorId: vendorId) }
    }

    func apply(_ request: Request, vendorId: String) async throws -> Response {
        let form = try await MultipartForm.read(request, limit: Self.applicationLimit)
        // The season's dates as the store configures them, not the standard ones.
        let input = try ApplicationInput(form, today: today, current: try await registry.season(year: today.year))
        guard let file = form.files(named: "certificate").first else {
            throw APIError.validation("attach the village committee's certificate (村委会证明) as the photo 'certificate'", field: "certificate")
        }
        let now = clock.now()
        let record = try await photos.keeping([file.bytes], field: "certificate") { [workflow] stored in
            try await workflow.apply(
                vendorId: vendorId,
                PermitApplication(
                    season: input.season, place: input.place, produce: input.produce, expectedKg: input.expectedKg,
                    vehiclePlate: input.vehiclePlate, certificate: stored[0]),
                at: now)
        }
        return try APIJSON.response(PermitBody(record, today: today), status: .created, headers: [.cacheControl: "no-store"])
    }

    /// Officers see their district's permits (the applications to review among them); administrators all.
    func list(_ filter: PermitListFilter, _ context: GuatanRequestContext) async throws -> Response {
        let actor = try context.require(.officer, .admin)
        let storeFilter = PermitFilter(
            district: try Access.districtScope(actor, asked: filter.district), state: filter.state, season: filter.season, vendorId: filter.vendorId)
        let page = try await permits.permits(matching: storeFilter, page: filter.page)
        return try APIJSON.response(PermitListBody(page, today: today, actor: actor), headers: [.cacheControl: "no-store"])
    }

    /// The certificate photo: officers of the permit's district and administrators only.
    func certificate(_ context: GuatanRequestContext) async throws -> Response {
        let actor = try context.require(.officer, .admin)
        let number = try context.parameters.require("permit_no").uppercased()
        // The district decides before anything is said about the certificate.
        guard let permit = try await permits.permit(number: number) else { throw APIError.notFound("no permit \(number)") }
        try Access.requireDistrict(actor, permit.permit.district)
        guard let found = try await permits.certificate(permitNumber: number) else {
            throw APIError.notFound("no certificate on file for permit \(number)")
        }
        let files = photos.files
        let data = try await NIOThreadPool.singleton.runIfActive { try files.read(found.photo) }
        return Response(
            status: .ok,
            headers: [.contentType: found.photo.type.rawValue, .cacheControl: "private, no-store", .contentDisposition: "inline"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
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
        let record = try await workflow.create(
            vendorId: input.vendorId.trimmingCharacters(in: .whitespaces).uppercased(),
            slotId: input.slotId.trimmingCharacters(in: .whitespaces).uppercased(), season: season, produce: produce,
            state: input.issue == true ? .issued : .approved, by: admin, at: clock.now())
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
        let record = try await workflow.transition(number: number, action: action, by: actor, reason: input.reason, at: clock.now())
        return try APIJSON.response(PermitBody(record, today: today, actor: actor))
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
