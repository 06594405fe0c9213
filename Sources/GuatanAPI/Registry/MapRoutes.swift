import Foundation
import GuatanCore
import Hummingbird

/// `/api/v1/map.geojson`: every site as a GeoJSON Point, from the cached snapshot.
struct MapRoutes {
    static let contentType = "application/geo+json"
    /// Short: the map shows today's open stalls, and a 304 makes revalidation cheap.
    static let cacheControl = "public, max-age=30"

    let snapshots: RegistrySnapshotCache

    func register(on routes: RouteTable<GuatanRequestContext>) {
        routes.get("/api/v1/map.geojson") { request, _ in try await map(request) }
    }

    func map(_ request: Request) async throws -> Response {
        let query = Query(request)
        let districtFilter = try query.string("district", maxLength: 20)
        let bbox = try query.string("bbox", maxLength: 200).map { raw -> BoundingBox in
            guard let box = BoundingBox.parse(raw) else {
                throw APIError.validation("bbox must be minLng,minLat,maxLng,maxLat in WGS-84 degrees, min before max", field: "bbox")
            }
            return box
        }
        let snapshot = try await snapshots.current()
        let district = try snapshot.districtCode(districtFilter)
        let rendered: RenderedMap
        switch (district, bbox) {
        case (nil, nil):
            rendered = try snapshot.all.map()
        case (let district?, nil):
            rendered = try snapshot.byDistrict[district]!.map()
        case (_, let box?):
            // A viewport is rendered once per snapshot and kept with it (bounded: ViewportCache).
            rendered = try snapshot.map(in: box, district: district)
        }
        return HTTPCaching.respond(
            to: request, plain: rendered.plain, gzip: rendered.gzip, etag: rendered.etag, gzipEtag: rendered.gzipEtag,
            contentType: Self.contentType, cacheControl: Self.cacheControl)
    }
}
