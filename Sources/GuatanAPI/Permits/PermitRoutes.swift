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
    let expectedKg: Double?
    let hasCertificate: Bool
    /// For officers and admins: the moves this permit's state and the caller's role allow now.
    let allowedActions: [String]?

    init(_ record: PermitRecord, today: LocalDate, actor: Account? = nil) {
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
        expectedKg = record.expectedKg
        hasCertificate = record.hasCertificate
        allowedActions = actor.flatMap { actor in
            guard actor.role != .vendor else { return nil }
            // From the state the transitions act on: an issued permit whose season is over is
            // expired and offers nothing, rather than a suspend that would be refused.
            let current = PermitWorkflow.effectiveState(record.permit.state, season: record.seasonDates, on: today)
            return PermitAction.allCases.filter { action in
                PermitWorkflow.target(of: action, from: current) != nil && PermitWorkflow.allowedRoles(for: action).contains(actor.role)
            }.map(\.rawValue)
        }
    }
}

struct PermitListBody: Encodable {
    let items: [PermitBody]
    let total: Int
    let page: Int
    let perPage: Int

    init(_ page: Page<PermitRecord>, today: LocalDate, actor: Account) {
        items = page.items.map { PermitBody($0, today: today, actor: actor) }
        total = page.total
        self.page = page.request.page
        perPage = page.request.perPage
    }
}

/// `district`, `state`, `season`, `vendor_id` and paging, read before the async route body.
struct PermitListFilter {
    let district: String?
    let state: PermitState?
    let season: Int?
    let vendorId: String?
    let page: PageRequest

    init(_ request: Request) throws {
        let query = Query(request)
        district = try query.string("district", maxLength: 10)?.uppercased()
        if let raw = try query.string("state", maxLength: 20) {
            guard let state = PermitState(rawValue: raw.lowercased()) else {
                throw APIError.validation("state must be one of \(PermitState.allCases.map(\.rawValue).joined(separator: ", "))", field: "state")
            }
            self.state = state
        } else {
            state = nil
        }
        season = try query.int("season", in: 2000...2100)
        vendorId = try query.string("vendor_id", maxLength: 20)?.uppercased()
        page = try query.page()
    }
}

/// The fields of an application form, checked.
struct ApplicationInput {
    let season: Int
    let place: PermitApplication.Place
    let produce: [String]
    let expectedKg: Double
    let vehiclePlate: String?

    init(_ form: MultipartForm, today: LocalDate, current: Season) throws {
        if let raw = form.field("season") {
            guard let year = Int(raw) else { throw APIError.validation("season must be a year such as \(today.year)", field: "season") }
            season = year
        } else {
            season = today.year
        }
        guard season == today.year || season == today.year + 1 else {
            throw APIError.validation("applications are for this season (\(today.year)) or the next", field: "season")
        }
        if season == today.year, today > current.endsOn {
            throw APIError.validation("the \(today.year) season is over; apply for \(today.year + 1)", field: "season")
        }
        switch (form.field("slot_id"), form.field("site_id")) {
        case (let slot?, nil): place = .slot(slot.uppercased())
        case (nil, let site?): place = .site(site.uppercased())
        case (nil, nil): throw APIError.validation("name the slot_id, or a site_id to take any free slot there", field: "slot_id")
        default: throw APIError.validation("give slot_id or site_id, not both", field: "site_id")
        }
        let separators = CharacterSet(charactersIn: ",，、;；")
        let kinds = (form.fields["produce"] ?? []).flatMap { $0.components(separatedBy: separators) }
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        guard !kinds.isEmpty else { throw APIError.validation("list the kinds of fruit you will sell", field: "produce") }
        guard kinds.count <= 10, kinds.allSatisfy({ $0.count <= 20 }) else {
            throw APIError.validation("produce lists at most 10 kinds of at most 20 characters each", field: "produce")
        }
        produce = kinds
        guard let raw = form.field("expected_kg"), let kg = Double(raw), kg.isFinite, kg > 0, kg <= 100_000 else {
            throw APIError.validation("expected_kg must be the expected amount in kilograms, more than 0 and at most 100000", field: "expected_kg")
        }
        expectedKg = kg
        if let raw = form.field("vehicle_plate") {
            let plate = raw.uppercased().filter { !$0.isWhitespace && $0 != "·" && $0 != "-" }
            guard VendorRules.isVehiclePlate(plate) else {
                throw APIError.validation("vehicle_plate must be a mainland plate such as 甘A12345", field: "vehicle_plate")
            }
            vehiclePlate = plate
        } else {
            vehiclePlate = nil
        }
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
