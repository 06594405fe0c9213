import Foundation
import GuatanCore
import GuatanStoreInterface
import Hummingbird

/// The registry as citizens read it: districts, the season, sites, stalls, nearby search.
struct PublicRoutes {
    static let maxNearbyRadius = 5000.0
    static let defaultNearbyRadius = 1000.0
    static let maxNearbyLimit = 200
    static let defaultNearbyLimit = 20

    let registry: any RegistryStore
    let snapshots: RegistrySnapshotCache
    let clock: ServiceClock

    func register(on routes: RouteTable<GuatanRequestContext>) {
        routes.get("/api/v1/districts") { _, _ in try await districts() }
        routes.get("/api/v1/seasons/current") { _, _ in try await currentSeason() }
        routes.get("/api/v1/sites") { request, _ in try await sites(request) }
        routes.get("/api/v1/sites/{site_id}") { request, context in try await site(request, context) }
        // Registered before {slot_id} for readability; the router prefers the constant segment anyway.
        routes.get("/api/v1/stalls/nearby") { request, _ in try await nearby(request) }
        routes.get("/api/v1/stalls/{slot_id}") { request, context in try await stall(request, context) }
    }

    private var today: LocalDate { BusinessTime.localDate(of: clock.now()) }

    func districts() async throws -> Response {
        let body = try await snapshots.current().districtsBody
        return Response(status: .ok, headers: [.contentType: APIJSON.contentType], body: .init(byteBuffer: body))
    }

    func currentSeason() async throws -> Response {
        let now = clock.now()
        let year = BusinessTime.localDate(of: now).year
        let season = try await registry.season(year: year)
        let next = try await registry.season(year: year + 1)
        return try APIJSON.response(SeasonBody(season, next: next, now: now))
    }

    func sites(_ request: Request) async throws -> Response {
        let parameters = try SiteListParameters(request)
        let district = try await snapshots.current().districtCode(parameters.district)
        let page = try await registry.sites(district: district, text: parameters.text, page: parameters.page)
        return try APIJSON.response(SiteListBody(page, crs: parameters.crs))
    }

    func site(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let id = try context.parameters.require("site_id")
        let crs = try Query(request).coordinateSystem()
        guard let detail = try await registry.site(id: id, today: today) else {
            throw APIError.notFound("no site \(id)")
        }
        let slots = detail.slots.map { SlotBody($0, crs: crs) }
        return try APIJSON.response(SiteBody(detail.site, districtName: detail.districtName, slotCount: slots.count, slots: slots, crs: crs))
    }

    func stall(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let id = try context.parameters.require("slot_id")
        let crs = try Query(request).coordinateSystem()
        let today = self.today
        let body = try await snapshots.stallPages.page(slotId: id, crs: crs) { [registry] in
            guard let stall = try await registry.stall(slotId: id, today: today) else {
                throw APIError.notFound("no stall \(id)")
            }
            return ByteBuffer(bytes: try APIJSON.encoder().encode(StallBody(stall, today: today, crs: crs)))
        }
        return Response(status: .ok, headers: [.contentType: APIJSON.contentType], body: .init(byteBuffer: body))
    }

    func nearby(_ request: Request) async throws -> Response {
        let query = Query(request)
        let crs = try query.coordinateSystem()
        let center = try query.position()
        let radius = try query.double("radius_m", in: 1...Self.maxNearbyRadius, default: Self.defaultNearbyRadius)!
        let limit = try query.int("limit", in: 1...Self.maxNearbyLimit, default: Self.defaultNearbyLimit)!
        // From the registry snapshot in memory, as current as the map (every write that changes a
        // stall's status drops it): no database query per search.
        let snapshot = try await snapshots.current()
        let found = snapshot.slots.find(center: center, radiusMetres: radius, limit: limit)
        let body = try snapshot.nearbyAnswers.body(found, in: snapshot.slots, limit: limit, radiusM: radius, center: center, crs: crs)
        return Response(status: .ok, headers: [.contentType: APIJSON.contentType], body: .init(byteBuffer: body))
    }
}
