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
