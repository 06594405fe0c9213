import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird

/// The season's allocation over HTTP: the bureau runs the lifecycle, vendors apply and follow
/// their application, squads review, anyone reads the list, the draw and the results and may
/// object during the notice.
struct AllocationRoutes {
    let workflow: AllocationService
    let photos: PhotoIntake
    let personalDataKey: PersonalDataKey
    let limiter: ReportRateLimiter
    let clock: ServiceClock

    func register(on routes: RouteTable<GuatanRequestContext>) {
        // Public
        routes.get("/api/v1/seasons") { _, _ in try await seasons() }
        routes.get("/api/v1/seasons/{year}/allocation") { request, context in try await publicAllocation(request, context) }
        routes.get("/api/v1/seasons/{year}/draw") { _, context in try await drawFile(context) }
        routes.post("/api/v1/seasons/{year}/objections") { request, context in try await object(request, context) }
        // Vendors
        routes.get("/api/v1/me/allocation") { request, context in try await mine(request, context) }
        routes.post("/api/v1/season-applications") { request, context in try await apply(request, context) }
        routes.post("/api/v1/me/permits/{permit_no}/surrender") { request, context in try await surrender(request, context) }
        routes.post("/api/v1/me/offers/{offer_no}/accept") { _, context in try await answerOffer(context, accept: true) }
        routes.post("/api/v1/me/offers/{offer_no}/decline") { _, context in try await answerOffer(context, accept: false) }
        // Squads and the bureau
        routes.get("/api/v1/season-applications") { request, context in try await list(request, context) }
        routes.post("/api/v1/season-applications/{application_no}/transitions") { request, context in try await decide(request, context) }
        routes.get("/api/v1/officer/offers") { request, context in try await offers(request, context) }
        routes.post("/api/v1/admin/seasons") { request, context in try await open(request, context) }
        routes.get("/api/v1/admin/seasons/{year}") { _, context in try await adminSeason(context) }
        routes.post("/api/v1/admin/seasons/{year}/settings") { request, context in try await configure(request, context) }
        routes.post("/api/v1/admin/seasons/{year}/transitions") { request, context in try await act(request, context) }
        routes.post("/api/v1/admin/objections/{objection_no}/answer") { request, context in try await answer(request, context) }
        // Each vendor's record across seasons, and lifting a bar
        routes.get("/api/v1/me/record") { _, context in try await record(vendorId: try CheckInRoutes.vendorId(context)) }
        routes.get("/api/v1/admin/vendors/{vendor_id}/record") { _, context in
            _ = try context.require(.admin)
            return try await record(vendorId: try context.parameters.require("vendor_id").uppercased())
        }
        routes.post("/api/v1/admin/vendors/{vendor_id}/bars/{year}/lift") { request, context in try await liftBar(request, context) }
        // Idle permits: a warning the vendor sees, then the slot taken back for the waitlist
        routes.post("/api/v1/admin/idle-permits/{permit_no}/warn") { request, context in try await warnIdle(request, context) }
        routes.post("/api/v1/admin/idle-permits/{permit_no}/reclaim") { _, context in try await reclaimIdle(context) }
    }

    func warnIdle(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let admin = try context.require(.admin)
        let number = try context.parameters.require("permit_no").uppercased()
        let input = try await JSONBody.decode(WarnInput.self, from: request, context: context, limit: 1024)
        let warning = try await workflow.warnIdle(permitNumber: number, days: input.days, by: admin, at: clock.now())
        return try APIJSON.response(
            VendorRecordBody.WarningBody(
                permitNo: warning.permitNumber, warnedAt: BusinessTime.rfc3339(warning.warnedAt), reclaimOn: warning.reclaimOn.description),
            status: .created)
    }

    func reclaimIdle(_ context: GuatanRequestContext) async throws -> Response {
        let admin = try context.require(.admin)
        let number = try context.parameters.require("permit_no").uppercased()
        let record = try await workflow.reclaimIdle(permitNumber: number, by: admin, at: clock.now())
        return try APIJSON.response(PermitBody(record, today: today), headers: [.cacheControl: "no-store"])
    }

    func record(vendorId: String) async throws -> Response {
        let view = try await workflow.vendorRecord(vendorId: vendorId, today: today)
        return try APIJSON.response(VendorRecordBody(view), headers: [.cacheControl: "no-store"])
    }

    func liftBar(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let admin = try context.require(.admin)
        let vendorId = try context.parameters.require("vendor_id").uppercased()
        let year = try year(context)
        let input = try await JSONBody.decode(ReasonInput.self, from: request, context: context, limit: 4096)
        let view = try await workflow.liftBar(vendorId: vendorId, season: year, reason: input.reason ?? "", by: admin, at: clock.now())
        return try APIJSON.response(VendorRecordBody(view), headers: [.cacheControl: "no-store"])
    }

    private var today: LocalDate { BusinessTime.localDate(of: clock.now()) }

    private func year(_ context: GuatanRequestContext) throws -> Int {
        let raw = try context.parameters.require("year")
        guard let year = Int(raw), (2000...2100).contains(year) else { throw APIError.validation("the season is a year such as 2027", field: "year") }
        return year
    }

    // MARK: public

    func seasons() async throws -> Response {
        let today = today
        let plans = try await workflow.seasons().map { SeasonPlanBody($0, today: today) }
        return try APIJSON.response(ListBody(items: plans), headers: [.cacheControl: "no-cache"])
    }

    func publicAllocation(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let year = try year(context)
        let query = Query(request)
        let district = try query.string("district", maxLength: 10)?.uppercased()
        let site = try query.string("site_id", maxLength: 20)?.uppercased()
        let view = try await workflow.publicView(season: year)
        let body = try PublicAllocationBody(view, today: today, district: district, siteId: site)
        return try APIJSON.response(body, headers: [.cacheControl: "no-cache"])
    }

    /// The published file for `tools/verify_draw.py`: exactly the bytes kept, the seed only after the draw.
    func drawFile(_ context: GuatanRequestContext) async throws -> Response {
        let year = try year(context)
        guard let file = try await workflow.publicView(season: year, withSlots: false).draw?.text else {
            throw APIError.notFound("the \(year) list is not published yet")
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: APIJSON.contentType, .cacheControl: "no-cache",
                .contentDisposition: "attachment; filename=\"guatan-draw-\(year).json\"",
            ],
            body: .init(byteBuffer: ByteBuffer(string: file)))
    }

    /// 异议: anyone, during the notice, counted like citizen reports per address.
    func object(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let now = clock.now()
        try await limiter.admit(address: context.limitKey, at: now)
        let year = try year(context)
        let input = try await JSONBody.decode(ObjectionInput.self, from: request, context: context, limit: 4096)
        let objection = try await workflow.object(
            season: year, applicationNo: input.applicationNo.trimmingCharacters(in: .whitespaces).uppercased(), reason: input.reason, at: now)
        return try APIJSON.response(ObjectionBody(objection), status: .created, headers: [.cacheControl: "no-store"])
    }

    // MARK: vendors

    /// The season the vendor's page is about: the one he asks for, else the first still being
    /// allocated, else this year's.
    func mine(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let vendorId = try CheckInRoutes.vendorId(context)
        let asked = try Query(request).int("season", in: 2000...2100)
        let today = today
        let season: Int
        if let asked {
            season = asked
        } else {
            let plans = try await workflow.seasons()
            season =
                plans.first { $0.phase != .inSeason && $0.phase != .closed && $0.year >= today.year }?.year
                ?? plans.last { $0.year <= today.year + 1 }?.year ?? today.year
        }
        let view = try await workflow.vendorView(vendorId: vendorId, season: season)
        return try APIJSON.response(VendorAllocationBody(view, today: today), headers: [.cacheControl: "no-store"])
    }

    /// Multipart: `season`, `preferences` (repeated, or separated by commas), `renew` (true to
    /// ask for last season's slot), `priority_claim`, `household_id_cards` (repeated or
    /// comma-separated), `produce`, `expected_kg`, `vehicle_plate`, and the photo `certificate`.
    func apply(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let vendorId = try CheckInRoutes.vendorId(context)
        return try await photos.uploads.run {
            let form = try await MultipartForm.read(request, limit: PermitRoutes.applicationLimit)
            guard let raw = form.field("season"), let season = Int(raw), (2000...2100).contains(season) else {
                throw APIError.validation("season must be the year applied for, such as \(today.year + 1)", field: "season")
            }
            // Outside the window, barred or applied already: refused before the photo is looked at or kept.
            try await workflow.checkAdmissible(vendorId: vendorId, season: season, at: clock.now())
            let separators = CharacterSet(charactersIn: ",，、;； ")
            func list(_ name: String) -> [String] {
                (form.fields[name] ?? []).flatMap { $0.components(separatedBy: separators) }
                    .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            }
            let produce = try ProduceField.parse(form)
            let expectedKg = try ProduceField.expectedKg(form)
            let plate = try ProduceField.plate(form)
            let renew = ["true", "1", "on", "yes"].contains(form.field("renew")?.lowercased() ?? "")
            // Helpers: `helper_name`, `helper_id_card`, `helper_relation`, repeated in the same order.
            let names = form.fields["helper_name"] ?? []
            let cards = form.fields["helper_id_card"] ?? []
            let relations = form.fields["helper_relation"] ?? []
            guard names.count == cards.count, names.count == relations.count else {
                throw APIError.validation("give each helper's helper_name, helper_id_card and helper_relation", field: "helpers")
            }
            let helpers = (0..<names.count).map { HelperDraft(name: names[$0], idCardNo: cards[$0], relation: relations[$0]) }
                .filter { !$0.name.trimmingCharacters(in: .whitespaces).isEmpty || !$0.idCardNo.isEmpty }
            let asked = ApplicationRequest(
                preferences: list("preferences"), asksRenewal: renew, priorityClaim: form.field("priority_claim"),
                householdIdCards: list("household_id_cards"), produce: produce, expectedKg: expectedKg, vehiclePlate: plate, helpers: helpers)
            // ID numbers of the household and the helpers are kept only as keyed hashes, the way the vendor's own is.
            let checked = try ApplicationRequest.validate(asked, maxPreferences: 10)
            let hashes = checked.householdIdCards.map(personalDataKey.idCardHash)
            let helperHashes = checked.helpers.map { personalDataKey.idCardHash($0.idCardNo) }
            guard let file = form.files(named: "certificate").first else {
                throw APIError.validation("attach the village committee's certificate (村委会证明) as the photo 'certificate'", field: "certificate")
            }
            let now = clock.now()
            let record = try await photos.keeping([file.bytes], field: "certificate") { [workflow] stored in
                try await workflow.apply(
                    vendorId: vendorId, season: season, asked, householdHashes: hashes, helperHashes: helperHashes, certificate: stored[0], at: now)
            }
            return try APIJSON.response(ApplicationBody(record), status: .created, headers: [.cacheControl: "no-store"])
        }
    }

    func surrender(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let vendor = try context.require(.vendor)
        let number = try context.parameters.require("permit_no").uppercased()
        let input = try await JSONBody.decode(ReasonInput.self, from: request, context: context, limit: 4096)
        let record = try await workflow.surrender(permitNumber: number, by: vendor, reason: input.reason, at: clock.now())
        return try APIJSON.response(PermitBody(record, today: today), headers: [.cacheControl: "no-store"])
    }

    func answerOffer(_ context: GuatanRequestContext, accept: Bool) async throws -> Response {
        let vendor = try context.require(.vendor)
        let number = try context.parameters.require("offer_no").uppercased()
        let offer =
            accept
            ? try await workflow.accept(offer: number, by: vendor, at: clock.now())
            : try await workflow.decline(offer: number, by: vendor, at: clock.now())
        return try APIJSON.response(OfferBody(offer), headers: [.cacheControl: "no-store"])
    }

    // MARK: squads and the bureau

    func list(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let actor = try context.require(.officer, .admin)
        let query = try ApplicationListQuery(request, nextYear: today.year + 1)
        let district = try Access.districtScope(actor, asked: query.district)
        let all = try await workflow.applications(season: query.season, district: district, states: query.states)
        return try APIJSON.response(ApplicationListBody(all, page: query.page), headers: [.cacheControl: "no-store"])
    }

    func decide(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let actor = try context.require(.officer, .admin, .vendor)
        let number = try context.parameters.require("application_no").uppercased()
        let input = try await JSONBody.decode(ApplicationTransitionInput.self, from: request, context: context, limit: 4096)
        guard let action = ApplicationAction(rawValue: input.action) else {
            throw APIError.validation(
                "action must be one of \(ApplicationAction.allCases.map(\.rawValue).joined(separator: ", "))", field: "action")
        }
        let record = try await workflow.decide(
            number: number, action: action, by: actor, reason: input.reason, priorityVerified: input.priorityVerified, at: clock.now())
        return try APIJSON.response(ApplicationBody(record), headers: [.cacheControl: "no-store"])
    }

    func offers(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let actor = try context.require(.officer, .admin)
        let query = Query(request)
        let season = try query.int("season", in: 2000...2100) ?? today.year
        let district = try Access.districtScope(actor, asked: try query.string("district", maxLength: 10)?.uppercased())
        let items = try await workflow.offers(season: season, district: district).map(OfferBody.init)
        return try APIJSON.response(ListBody(items: items), headers: [.cacheControl: "no-store"])
    }

    func open(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let admin = try context.require(.admin)
        let input = try await JSONBody.decode(OpenInput.self, from: request, context: context, limit: 1024)
        let plan = try await workflow.openSeason(
            year: input.year, from: input.from ?? input.year - 1, actor: "account:\(admin.username)", at: clock.now())
        return try APIJSON.response(SeasonPlanBody(plan, today: today), status: .created)
    }

    func adminSeason(_ context: GuatanRequestContext) async throws -> Response {
        _ = try context.require(.admin)
        let year = try year(context)
        let view = try await workflow.publicView(season: year)
        let applications = try await workflow.applications(season: year, district: nil, states: nil)
        let offers = try await workflow.offers(season: year, district: nil)
        var byStatus: [String: Int] = [:]
        var firstChoice: [String: Int] = [:]
        var named: [String: Int] = [:]
        for application in applications where application.state.holdsTheSeason {
            byStatus[application.state.rawValue, default: 0] += 1
            if let first = application.preferences.first { firstChoice[first, default: 0] += 1 }
            for site in application.preferences { named[site, default: 0] += 1 }
        }
        for application in applications where !application.state.holdsTheSeason { byStatus[application.state.rawValue, default: 0] += 1 }
        var slots: [String: (name: String, district: String, count: Int)] = [:]
        for slot in view.slots { slots[slot.siteId, default: (slot.siteName, slot.district, 0)].count += 1 }
        let demand = slots.map { site, info in
            AdminSeasonBody.Demand(
                siteId: site, siteName: info.name, district: info.district, slots: info.count, firstChoice: firstChoice[site] ?? 0,
                named: named[site] ?? 0, ratio: Double(named[site] ?? 0) / Double(max(info.count, 1)))
        }
        .filter { $0.named > $0.slots }.sorted { ($0.ratio, $1.siteId) > ($1.ratio, $0.siteId) }
        let body = AdminSeasonBody(
            season: SeasonPlanBody(view.plan, today: today), applicationsByStatus: byStatus, sites: slots.count, slots: view.slots.count,
            oversubscribed: Array(demand.prefix(200)), objectionsOpen: view.objections.filter { $0.state == .open }.count,
            offersOpen: offers.filter { $0.state == .open }.count)
        return try APIJSON.response(body, headers: [.cacheControl: "no-store"])
    }

    func configure(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let admin = try context.require(.admin)
        let year = try year(context)
        let input = try await JSONBody.decode(SettingsInput.self, from: request, context: context, limit: 2048)
        let plan = try await workflow.configure(year: year, try input.settings(), by: admin, at: clock.now())
        return try APIJSON.response(SeasonPlanBody(plan, today: today))
    }

    func act(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let admin = try context.require(.admin)
        let year = try year(context)
        let input = try await JSONBody.decode(SeasonTransitionInput.self, from: request, context: context, limit: 2048)
        guard let action = SeasonAction(rawValue: input.action) else {
            throw APIError.validation("action must be one of \(SeasonAction.allCases.map(\.rawValue).joined(separator: ", "))", field: "action")
        }
        let settings = try SettingsInput(
            applicationsOpenOn: input.applicationsOpenOn, applicationsCloseOn: input.applicationsCloseOn, maxPreferences: nil, noticeDays: nil,
            renewalMinShare: nil, offerHours: nil
        ).settings()
        let plan = try await workflow.act(year: year, action: action, settings: settings, by: admin, at: clock.now())
        return try APIJSON.response(SeasonPlanBody(plan, today: today))
    }

    func answer(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let admin = try context.require(.admin)
        let number = try context.parameters.require("objection_no").uppercased()
        let input = try await JSONBody.decode(AnswerInput.self, from: request, context: context, limit: 4096)
        let objection = try await workflow.answer(objection: number, uphold: input.uphold, answer: input.answer, by: admin, at: clock.now())
        return try APIJSON.response(ObjectionBody(objection))
    }
}

/// The list's query, read outside the async route (as the permits' filter is).
struct ApplicationListQuery {
    let season: Int
    let district: String?
    let states: Set<ApplicationState>?
    let page: PageRequest

    init(_ request: Request, nextYear: Int) throws {
        let query = Query(request)
        season = try query.int("season", in: 2000...2100) ?? nextYear
        district = try query.string("district", maxLength: 10)?.uppercased()
        if let raw = try query.string("status", maxLength: 20) {
            guard let state = ApplicationState(rawValue: raw.lowercased()) else {
                throw APIError.validation(
                    "status must be one of \(ApplicationState.allCases.map(\.rawValue).joined(separator: ", "))", field: "status")
            }
            states = [state]
        } else {
            states = nil
        }
        page = try query.page()
    }
}

/// A page of applications; built outside the async route (Swift 6.3.1's optimiser crashes
/// splitting the route's coroutine when the paging is done inside it).
struct ApplicationListBody: Encodable {
    let items: [ApplicationBody]
    let total: Int
    let page: Int
    let perPage: Int

    init(_ all: [ApplicationRecord], page request: PageRequest) {
        items = all.dropFirst((request.page - 1) * request.perPage).prefix(request.perPage).map(ApplicationBody.init)
        total = all.count
        page = request.page
        perPage = request.perPage
    }
}
