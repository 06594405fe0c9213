import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird
import NIOPosix

extension PermitRoutes {
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
        produce = try ProduceField.parse(form)
        expectedKg = try ProduceField.expectedKg(form)
        vehiclePlate = try ProduceField.plate(form)
    }
}

/// The fields a permit application and a season's application share: what the vendor will
/// sell, how much, and the vehicle.
enum ProduceField {
    /// `produce` repeated, or separated by commas or 、.
    static func parse(_ form: MultipartForm) throws -> [String] {
        let separators = CharacterSet(charactersIn: ",，、;；")
        let kinds = (form.fields["produce"] ?? []).flatMap { $0.components(separatedBy: separators) }
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        guard !kinds.isEmpty else { throw APIError.validation("list the kinds of fruit you will sell", field: "produce") }
        guard kinds.count <= 10, kinds.allSatisfy({ $0.count <= 20 }) else {
            throw APIError.validation("produce lists at most 10 kinds of at most 20 characters each", field: "produce")
        }
        return kinds
    }

    static func expectedKg(_ form: MultipartForm) throws -> Double {
        guard let raw = form.field("expected_kg"), let kg = Double(raw), kg.isFinite, kg > 0, kg <= 100_000 else {
            throw APIError.validation("expected_kg must be the expected amount in kilograms, more than 0 and at most 100000", field: "expected_kg")
        }
        return kg
    }

    /// The vehicle named, or nil for the vendor's registered one.
    static func plate(_ form: MultipartForm) throws -> String? {
        guard let raw = form.field("vehicle_plate"), !raw.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        let plate = raw.uppercased().filter { !$0.isWhitespace && $0 != "·" && $0 != "-" }
        guard VendorRules.isVehiclePlate(plate) else {
            throw APIError.validation("vehicle_plate must be a mainland plate such as 甘A12345", field: "vehicle_plate")
        }
        return plate
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
