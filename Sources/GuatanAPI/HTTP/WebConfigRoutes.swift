import Foundation
import GuatanCore
import Hummingbird

/// How the deployment's pages draw their map. A city with a licensed tile service (AMap,
/// Tianditu, its own) names it here; without one the stalls are drawn on a plain background.
public struct WebMapConfiguration: Sendable {
    /// Where the pages load Leaflet from when the machine has it.
    static let leafletPath = "/lib/leaflet"

    /// A tile URL template such as `https://tiles.example.cn/{z}/{x}/{y}.png`; nil draws no tiles.
    public var tileURL: String?
    public var tileAttribution: String
    /// The datum of the tiles: GCJ-02 for Chinese commercial maps, so the pages ask for converted positions.
    public var tileCoordinateSystem: CoordinateSystem
    public var maxZoom: Int
    /// Debian's `libjs-leaflet` folder when it exists (`/usr/share/javascript/leaflet`).
    public var leafletDirectory: URL?

    public init(
        tileURL: String? = nil, tileAttribution: String = "", tileCoordinateSystem: CoordinateSystem = .wgs84, maxZoom: Int = 18,
        leafletDirectory: URL? = nil
    ) {
        self.tileURL = tileURL
        self.tileAttribution = tileAttribution
        self.tileCoordinateSystem = tileCoordinateSystem
        self.maxZoom = maxZoom
        self.leafletDirectory = leafletDirectory
    }

    /// The Leaflet folder if it holds Leaflet; nil otherwise, and the pages draw without it.
    public static func leafletDirectory(at path: String) -> URL? {
        let url = URL(fileURLWithPath: path, isDirectory: true)
        return FileManager.default.fileExists(atPath: url.appendingPathComponent("leaflet.js").path) ? url : nil
    }
}

/// `GET /api/v1/web-config`: what the pages need to know about this deployment.
struct WebConfigRoutes {
    let map: WebMapConfiguration

    struct Body: Encodable {
        struct Tiles: Encodable {
            let url: String
            let attribution: String
            let crs: String
            let maxZoom: Int
        }
        struct Library: Encodable {
            let script: String
            let stylesheet: String
            let clusterScript: String?
            let clusterStylesheets: [String]
        }
        let tiles: Tiles?
        let leaflet: Library?
    }

    func register(on routes: RouteTable<GuatanRequestContext>) {
        let body = Body(
            tiles: map.tileURL.map {
                Body.Tiles(url: $0, attribution: map.tileAttribution, crs: map.tileCoordinateSystem.rawValue, maxZoom: map.maxZoom)
            },
            leaflet: map.leafletDirectory.map { folder in
                let base = WebMapConfiguration.leafletPath
                let cluster = FileManager.default.fileExists(atPath: folder.appendingPathComponent("leaflet.markercluster.js").path)
                return Body.Library(
                    script: base + "/leaflet.js", stylesheet: base + "/leaflet.css",
                    clusterScript: cluster ? base + "/leaflet.markercluster.js" : nil,
                    clusterStylesheets: cluster ? [base + "/MarkerCluster.css", base + "/MarkerCluster.Default.css"] : [])
            })
        routes.get("/api/v1/web-config") { _, _ in
            try APIJSON.response(body, headers: [.cacheControl: "no-cache"])
        }
    }
}
