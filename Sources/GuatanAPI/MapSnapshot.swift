import CompressNIO
import Crypto
import Foundation
import GuatanCore
import GuatanStore
import Hummingbird
import Synchronization

/// One GeoJSON feature per site (RFC 7946: WGS-84, `[lng, lat]`, at most 6 decimals).
struct MapFeature: Encodable, Sendable {
    struct Geometry: Encodable, Sendable {
        let type = "Point"
        let coordinates: [Double]
    }

    struct SlotProperties: Encodable, Sendable {
        let slotId: String
        let number: Int
        let status: String
        let produce: [String]
    }

    struct Properties: Encodable, Sendable {
        let siteId: String
        let name: String
        let district: String
        let districtName: String
        let address: String
        let openingHours: HoursBody
        let slotCount: Int
        let assignedCount: Int
        let openCount: Int
        let slots: [SlotProperties]
    }

    let type = "Feature"
    let id: String
    let geometry: Geometry
    let properties: Properties

    /// Kept beside the JSON for filtering; not encoded.
    let position: Coordinate

    enum CodingKeys: String, CodingKey {
        case type, id, geometry, properties
    }

    init(_ detail: SiteDetail) {
        let site = detail.site
        position = site.position
        id = site.id
        geometry = Geometry(coordinates: [PositionBody.round6(site.position.lng), PositionBody.round6(site.position.lat)])
        // Assigned: a permit holds the slot (whether or not it is open now).
        let assigned = detail.slots.filter { $0.statusToday != .vacant }.count
        let open = detail.slots.filter { $0.statusToday == .open }.count
        properties = Properties(
            siteId: site.id, name: site.name, district: site.district, districtName: detail.districtName,
            address: site.address,
            openingHours: HoursBody(opensAt: site.opensAt.description, closesAt: site.closesAt.description),
            slotCount: detail.slots.count, assignedCount: assigned, openCount: open,
            slots: detail.slots.map {
                SlotProperties(slotId: $0.slot.id, number: $0.slot.number, status: $0.statusToday.rawValue, produce: $0.produce)
            })
    }
}

struct FeatureCollection: Encodable {
    let type = "FeatureCollection"
    let features: [MapFeature]
}

/// A GeoJSON body ready to send: plain and gzip bytes with their strong ETags.
struct RenderedMap: Sendable {
    let plain: ByteBuffer
    let gzip: ByteBuffer
    let etag: String
    let gzipEtag: String
    let featureCount: Int

    init(features: [MapFeature]) throws {
        let data = try APIJSON.encoder().encode(FeatureCollection(features: features))
        var plain = ByteBuffer(bytes: data)
        self.plain = plain
        self.gzip = try plain.compress(with: .gzip())
        // A strong validator from the content; the gzip representation gets its own.
        let digest = SHA256.hash(data: data).prefix(16).map { String(format: "%02x", $0) }.joined()
        self.etag = "\"\(digest)\""
        self.gzipEtag = "\"\(digest)-gzip\""
        self.featureCount = features.count
    }
}

/// The whole map as of one registry version and business day, rendered once.
struct MapSnapshot: Sendable {
    let version: Int64
    let date: LocalDate
    let features: [MapFeature]
    let all: RenderedMap
    let byDistrict: [String: RenderedMap]

    init(version: Int64, date: LocalDate, sites: [SiteDetail]) throws {
        self.version = version
        self.date = date
        let features = sites.map(MapFeature.init)
        self.features = features
        self.all = try RenderedMap(features: features)
        var byDistrict: [String: RenderedMap] = [:]
        for (district, group) in Dictionary(grouping: features, by: \.properties.district) {
            byDistrict[district] = try RenderedMap(features: group)
        }
        self.byDistrict = byDistrict
    }
}

/// Serves the map from a snapshot rebuilt only when what it shows changes: when the
/// registry version moves (checked at most once a second, so changes made by another
/// process such as `guatan import-sites` appear within a second), when the business
/// day turns, or at once after `invalidate()` from a write in this process.
final class MapSnapshotCache: Sendable {
    static let recheckInterval: Duration = .seconds(1)

    private struct State {
        var snapshot: MapSnapshot?
        var checkedAt: ContinuousClock.Instant?
    }

    private let store: any RegistryStore
    private let clock: ServiceClock
    private let state = Mutex(State())
    private let builder = Builder()

    init(store: any RegistryStore, clock: ServiceClock) {
        self.store = store
        self.clock = clock
    }

    func current() async throws -> MapSnapshot {
        let today = BusinessTime.localDate(of: clock.now())
        let now = ContinuousClock.now
        let fresh = state.withLock { state -> MapSnapshot? in
            guard let snapshot = state.snapshot, snapshot.date == today, let checkedAt = state.checkedAt,
                now - checkedAt < Self.recheckInterval
            else { return nil }
            return snapshot
        }
        if let fresh { return fresh }
        return try await builder.refresh(cache: self, today: today)
    }

    /// Forces the next request to check the store (call after a write that changes the map).
    func invalidate() {
        state.withLock { $0.checkedAt = nil }
    }

    fileprivate func peek() -> MapSnapshot? {
        state.withLock { $0.snapshot }
    }

    fileprivate func store(_ snapshot: MapSnapshot, checkedAt: ContinuousClock.Instant) {
        state.withLock {
            $0.snapshot = snapshot
            $0.checkedAt = checkedAt
        }
    }

    /// Serialises refreshes so a burst of requests after a change rebuilds once.
    private actor Builder {
        private var inFlight: Task<MapSnapshot, any Error>?

        func refresh(cache: MapSnapshotCache, today: LocalDate) async throws -> MapSnapshot {
            if let inFlight { return try await inFlight.value }
            let task = Task { try await Self.rebuild(cache: cache, today: today) }
            inFlight = task
            defer { inFlight = nil }
            return try await task.value
        }

        private static func rebuild(cache: MapSnapshotCache, today: LocalDate) async throws -> MapSnapshot {
            let started = ContinuousClock.now
            let version = try await cache.store.registryVersion()
            if let snapshot = cache.peek(), snapshot.date == today, snapshot.version == version {
                cache.store(snapshot, checkedAt: started)
                return snapshot
            }
            let (readVersion, sites) = try await cache.store.mapSites(today: today)
            let snapshot = try MapSnapshot(version: readVersion, date: today, sites: sites)
            cache.store(snapshot, checkedAt: started)
            return snapshot
        }
    }
}
