import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird

/// The daily check-in (出摊打卡): the vendor taps at his stall, the server's clock and the
/// rules decide; 收摊 closes the day; an officer can check in a vendor whose phone failed.
struct CheckInRoutes {
    let checkIns: any CheckInStore
    let workflow: CheckInService
    let snapshots: RegistrySnapshotCache
    let clock: ServiceClock

    struct CheckInInput: Decodable {
        let lat: Double
        let lng: Double
        let accuracyM: Double?
        let crs: String?
    }

    struct OnBehalfInput: Decodable {
        let permitNo: String
        let reason: String
    }

    func register(on routes: RouteTable<GuatanRequestContext>) {
        routes.post("/api/v1/checkins") { request, context in try await checkIn(request, context) }
        routes.post("/api/v1/checkins/today/checkout") { _, context in try await checkOut(context) }
        routes.get("/api/v1/me/checkins") { request, context in
            let filter = try HistoryFilter(request)
            return try await history(filter, context)
        }
        routes.post("/api/v1/officer/checkins") { request, context in try await onBehalf(request, context) }
        routes.get("/api/v1/officer/checkins") { request, context in
            let filter = try DistrictDayFilter(request)
            return try await district(filter, context)
        }
    }

    /// A district's check-ins of a day for its officers (administrators: any district), with
    /// those implying implausible travel flagged for review.
    func district(_ filter: DistrictDayFilter, _ context: GuatanRequestContext) async throws -> Response {
        let actor = try context.require(.officer, .admin)
        let district = try Access.districtScope(actor, asked: filter.district)
        let day = filter.date ?? BusinessTime.localDate(of: clock.now())
        let page = try await checkIns.checkIns(district: district, on: day, flaggedOnly: filter.flaggedOnly, page: filter.page)
        return try APIJSON.response(StaffCheckInListBody(page), headers: [.cacheControl: "no-store"])
    }

    func checkIn(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let vendorId = try Self.vendorId(context)
        let input = try await JSONBody.decode(CheckInInput.self, from: request, context: context, limit: 4096)
        let crs = try Self.coordinateSystem(input.crs)
        let position = ReportedPosition(
            coordinate: try PositionInput.parse(lat: input.lat, lng: input.lng, crs: input.crs), accuracyM: input.accuracyM)
        let outcome = try await workflow.checkIn(vendorId: vendorId, position: position, inputCRS: crs, at: clock.now())
        return try respond(outcome)
    }

    func checkOut(_ context: GuatanRequestContext) async throws -> Response {
        let vendorId = try Self.vendorId(context)
        let closed = try await workflow.checkOut(vendorId: vendorId, at: clock.now())
        return try APIJSON.response(CheckInBody(closed), headers: [.cacheControl: "no-store"])
    }

    func history(_ filter: HistoryFilter, _ context: GuatanRequestContext) async throws -> Response {
        let vendorId = try Self.vendorId(context)
        let page = try await checkIns.checkIns(vendorId: vendorId, from: filter.from, to: filter.to, page: filter.page)
        return try APIJSON.response(CheckInListBody(page), headers: [.cacheControl: "no-store"])
    }

    func onBehalf(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let officer = try context.require(.officer)
        let input = try await JSONBody.decode(OnBehalfInput.self, from: request, context: context, limit: 4096)
        let reason = input.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else {
            throw APIError.validation("say why the vendor could not check in himself", field: "reason")
        }
        guard reason.count <= 500 else {
            throw APIError.validation("reason must have at most 500 characters", field: "reason")
        }
        let number = input.permitNo.trimmingCharacters(in: .whitespaces).uppercased()
        let outcome = try await workflow.checkIn(permitNumber: number, onBehalfBy: officer, reason: reason, at: clock.now())
        return try respond(outcome)
    }

    private func respond(_ outcome: CheckInOutcome) throws -> Response {
        switch outcome {
        case .created: GuatanMetrics.checkIn(outcome: "checked_in").increment()
        case .repeated: GuatanMetrics.checkIn(outcome: "repeat").increment()
        case .refused(let refusal, _, _): GuatanMetrics.checkIn(outcome: refusal.rawValue).increment()
        }
        switch outcome {
        case .created(let checkIn):
            return try APIJSON.response(CheckInBody(checkIn), status: .created, headers: [.cacheControl: "no-store"])
        case .repeated(let checkIn):
            return try APIJSON.response(CheckInBody(checkIn), headers: [.cacheControl: "no-store"])
        case .refused(let refusal, let distance, let limits):
            var message = refusal.message
            var details: [String: APIError.Detail] = [:]
            switch refusal {
            case .tooFar:
                if let distance {
                    message += String(format: " (%.0f m away)", distance)
                    details["distance_m"] = .number((distance * 10).rounded() / 10)
                }
                if let allowed = limits?.allowedDistanceM { details["allowed_m"] = .number((allowed * 10).rounded() / 10) }
            case .outsideHours:
                if let limits {
                    message += " (open \(limits.opensAt)–\(limits.closesAt))"
                    details["opens_at"] = .text(limits.opensAt.description)
                    details["closes_at"] = .text(limits.closesAt.description)
                }
            default:
                break
            }
            throw APIError(.unprocessableContent, code: refusal.rawValue, message: message, details: details.isEmpty ? nil : details)
        }
    }

    static func vendorId(_ context: GuatanRequestContext) throws -> String {
        let vendor = try context.require(.vendor)
        guard let vendorId = vendor.vendorId else { throw AccessError.forbidden("this account has no vendor record") }
        return vendorId
    }

    static func coordinateSystem(_ raw: String?) throws -> CoordinateSystem {
        guard let raw, !raw.isEmpty else { return .wgs84 }
        guard let crs = CoordinateSystem(rawValue: raw.lowercased()) else {
            throw APIError.validation("crs must be wgs84 or gcj02", field: "crs")
        }
        return crs
    }
}

/// `from`, `to` (business dates) and paging, read before the async route body.
struct HistoryFilter {
    let from: LocalDate?
    let to: LocalDate?
    let page: PageRequest

    init(_ request: Request) throws {
        let query = Query(request)
        from = try Self.date(query, "from")
        to = try Self.date(query, "to")
        page = try query.page()
        if let from, let to, to < from {
            throw APIError.validation("to must not be before from", field: "to")
        }
    }

    private static func date(_ query: Query, _ name: String) throws -> LocalDate? {
        guard let raw = try query.string(name, maxLength: 10) else { return nil }
        guard let date = LocalDate(raw) else { throw APIError.validation("\(name) must be a date YYYY-MM-DD", field: name) }
        return date
    }
}

/// `district`, `date`, `flagged` and paging, read before the async route body.
struct DistrictDayFilter {
    let district: String?
    let date: LocalDate?
    let flaggedOnly: Bool
    let page: PageRequest

    init(_ request: Request) throws {
        let query = Query(request)
        district = try query.string("district", maxLength: 10)?.uppercased()
        if let raw = try query.string("date", maxLength: 10) {
            guard let date = LocalDate(raw) else { throw APIError.validation("date must be a date YYYY-MM-DD", field: "date") }
            self.date = date
        } else {
            date = nil
        }
        switch try query.string("flagged", maxLength: 5)?.lowercased() {
        case nil, "false", "0": flaggedOnly = false
        case "true", "1": flaggedOnly = true
        default: throw APIError.validation("flagged must be true or false", field: "flagged")
        }
        page = try query.page()
    }
}

/// A check-in as officers and administrators see it: whose, and whether it needs a look.
struct StaffCheckInBody: Encodable {
    let checkin: CheckInBody
    let vendorId: String
    let district: String
    let accuracyM: Double?
    let flaggedForReview: Bool

    init(_ checkIn: CheckIn) {
        checkin = CheckInBody(checkIn)
        vendorId = checkIn.vendorId
        district = checkIn.district
        accuracyM = checkIn.accuracyM
        flaggedForReview = checkIn.flaggedForReview
    }

    func encode(to encoder: any Encoder) throws {
        try checkin.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(vendorId, forKey: .vendorId)
        try container.encode(district, forKey: .district)
        try container.encode(accuracyM, forKey: .accuracyM)
        try container.encode(flaggedForReview, forKey: .flaggedForReview)
    }

    enum CodingKeys: String, CodingKey {
        case vendorId, district, accuracyM, flaggedForReview
    }
}

struct StaffCheckInListBody: Encodable {
    let items: [StaffCheckInBody]
    let total: Int
    let page: Int
    let perPage: Int

    init(_ page: Page<CheckIn>) {
        items = page.items.map(StaffCheckInBody.init)
        total = page.total
        self.page = page.request.page
        perPage = page.request.perPage
    }
}

/// A check-in as the vendor and officers see it.
struct CheckInBody: Encodable {
    let checkinId: Int64
    let permitNo: String
    let slotId: String
    let businessDate: String
    let checkedInAt: String
    let checkedOutAt: String?
    let distanceM: Double?
    let status: String
    let method: String

    init(_ checkIn: CheckIn) {
        checkinId = checkIn.id
        permitNo = checkIn.permitNumber
        slotId = checkIn.slotId
        businessDate = checkIn.businessDate.description
        checkedInAt = BusinessTime.rfc3339(checkIn.checkedInAt)
        checkedOutAt = checkIn.checkedOutAt.map(BusinessTime.rfc3339)
        // A metre is what a phone's fix is worth.
        distanceM = checkIn.distanceM.map { ($0 * 10).rounded() / 10 }
        status = checkIn.status.rawValue
        method = checkIn.method.rawValue
    }

    func encode(to encoder: any Encoder) throws {
        // distance_m and checked_out_at are always present (null when not applicable).
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(checkinId, forKey: .checkinId)
        try container.encode(permitNo, forKey: .permitNo)
        try container.encode(slotId, forKey: .slotId)
        try container.encode(businessDate, forKey: .businessDate)
        try container.encode(checkedInAt, forKey: .checkedInAt)
        try container.encode(checkedOutAt, forKey: .checkedOutAt)
        try container.encode(distanceM, forKey: .distanceM)
        try container.encode(status, forKey: .status)
        try container.encode(method, forKey: .method)
    }

    enum CodingKeys: String, CodingKey {
        case checkinId, permitNo, slotId, businessDate, checkedInAt, checkedOutAt, distanceM, status, method
    }
}

struct CheckInListBody: Encodable {
    let items: [CheckInBody]
    let total: Int
    let page: Int
    let perPage: Int

    init(_ page: Page<CheckIn>) {
        items = page.items.map(CheckInBody.init)
        total = page.total
        self.page = page.request.page
        perPage = page.request.perPage
    }
}
