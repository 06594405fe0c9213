import CompressNIO
import Foundation
import GuatanCore
import GuatanStoreInterface
import Hummingbird
import Prometheus
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

/// A GeoJSON body ready to send: plain and gzip bytes with their strong ETags.
struct RenderedMap: Sendable {
    let plain: ByteBuffer
    let gzip: ByteBuffer
    let etag: String
    let gzipEtag: String

    /// From features encoded one by one (once per snapshot): a viewport's map is then a
    /// concatenation, not a fresh encoding. The bytes are what JSONEncoder would make of the
    /// collection with sorted keys: `{"features":[…],"type":"FeatureCollection"}`.
    init(encoded features: [Data]) throws {
        var data = Data("{\"features\":[".utf8)
        data.reserveCapacity(features.reduce(64) { $0 + $1.count + 1 })
        for (index, feature) in features.enumerated() {
            if index > 0 { data.append(UInt8(ascii: ",")) }
            data.append(feature)
        }
        data.append(contentsOf: Array("],\"type\":\"FeatureCollection\"}".utf8))
        var plain = ByteBuffer(bytes: data)
        self.plain = plain
        self.gzip = try plain.compress(with: .gzip())
        // A strong validator from the content; the gzip representation gets its own.
        let etag = Digest.etag(data)
        self.etag = etag
        self.gzipEtag = String(etag.dropLast()) + "-gzip\""
    }
}

/// Viewport maps (`bbox`) of one snapshot, as rendered: many phones open the same view.
final class ViewportCache: Sendable {
    static let capacity = 512
    /// Bounded in bytes too: 512 whole-city views would be hundreds of megabytes.
    static let maxBytes = 64 << 20
    private let maps = Mutex((entries: [String: RenderedMap](), bytes: 0))
    private let hits = GuatanMetrics.cache("viewports", hit: true)
    private let misses = GuatanMetrics.cache("viewports", hit: false)

    func map(_ key: String, render: () throws -> RenderedMap) rethrows -> RenderedMap {
        if let map = maps.withLock({ $0.entries[key] }) {
            hits.increment()
            return map
        }
        misses.increment()
        let map = try render()
        let size = map.plain.readableBytes + map.gzip.readableBytes
        guard size <= Self.maxBytes / 8 else { return map }
        maps.withLock { maps in
            if maps.entries.count >= Self.capacity || maps.bytes + size > Self.maxBytes {
                maps = ([:], 0)
            }
            if maps.entries.updateValue(map, forKey: key) == nil { maps.bytes += size }
        }
        return map
    }
}

/// The public registry as of one registry version and business day: the districts with
/// their counts, and the whole map rendered once (plain and gzip, whole and per district).
struct RegistrySnapshot: Sendable {
    let version: Int64
    let date: LocalDate
    let districts: [DistrictSummary]
    /// `/api/v1/districts` as sent: it changes only with the registry.
    let districtsBody: ByteBuffer
    /// The features with their JSON by longitude: a viewport (`bbox`) is found by binary
    /// search, not a scan of every site (39,000 at national scale), and sent without
    /// encoding anything again.
    let byLongitude: [(feature: MapFeature, json: Data)]
    let all: RenderedMap
    let byDistrict: [String: RenderedMap]
    let viewports = ViewportCache()
    /// Every slot by its place: nearby search is answered from memory, no query per request.
    let slots: SlotGrid
    let nearbyAnswers = NearbyAnswers()

    init(state: RegistryState, date: LocalDate) throws {
        self.version = state.version
        self.date = date
        self.districts = state.districtSummaries
        self.districtsBody = ByteBuffer(bytes: try APIJSON.encoder().encode(ListBody(items: districts.map(DistrictBody.init))))
        let encoder = APIJSON.encoder()
        let encoded = try state.sites.map(MapFeature.init).map { (feature: $0, json: try encoder.encode($0)) }
        self.byLongitude = encoded.sorted { $0.feature.position.lng < $1.feature.position.lng }
        self.all = try RenderedMap(encoded: encoded.map(\.json))
        let grouped = Dictionary(grouping: encoded, by: \.feature.properties.district)
        var byDistrict: [String: RenderedMap] = [:]
        for summary in districts {
            byDistrict[summary.district.code] = try RenderedMap(encoded: (grouped[summary.district.code] ?? []).map(\.json))
        }
        self.byDistrict = byDistrict
        self.slots = SlotGrid(state.sites)
    }

    /// The map of the sites inside `box` (and `district`), in site order like the whole map.
    func map(in box: BoundingBox, district: String?) throws -> RenderedMap {
        let key = "\(box.minLng),\(box.minLat),\(box.maxLng),\(box.maxLat)|\(district ?? "")"
        return try viewports.map(key) {
            var low = 0
            var high = byLongitude.count
            while low < high {
                let middle = (low + high) / 2
                if byLongitude[middle].feature.position.lng < box.minLng { low = middle + 1 } else { high = middle }
            }
            var found: [(feature: MapFeature, json: Data)] = []
            var index = low
            while index < byLongitude.count, byLongitude[index].feature.position.lng <= box.maxLng {
                let entry = byLongitude[index]
                if box.contains(entry.feature.position), district == nil || entry.feature.properties.district == district { found.append(entry) }
                index += 1
            }
            found.sort { $0.feature.properties.siteId < $1.feature.properties.siteId }
            return try RenderedMap(encoded: found.map(\.json))
        }
    }

    /// The code of the district a filter names (case-insensitive), or a 400 naming the field.
    func districtCode(_ raw: String?) throws -> String? {
        guard let raw else { return nil }
        let codes = districts.map(\.district.code)
        guard let code = codes.first(where: { $0.caseInsensitiveCompare(raw) == .orderedSame }) else {
            throw APIError.validation("unknown district '\(raw)'; one of \(codes.joined(separator: ", "))", field: "district")
        }
        return code
    }
}

/// The snapshot's slots in cells of a fixed size in degrees, so that a nearby search looks
/// only at the cells its circle's bounding box touches (a handful at a 1 km radius, out of
/// 205,900 slots at national scale) and measures each slot found there exactly.
struct SlotGrid: Sendable {
    /// About 1.1 km of latitude: a default search (1 km) touches 9 to 12 cells.
    static let cellDegrees = 0.01

    private struct Cell: Hashable {
        let lat: Int32
        let lng: Int32
    }

    private struct Entry {
        let site: Int32
        let slot: Int32
        let position: Coordinate
    }

    private let sites: [SiteDetail]
    private let cells: [Cell: [Entry]]

    init(_ sites: [SiteDetail]) {
        var cells: [Cell: [Entry]] = [:]
        for (siteIndex, site) in sites.enumerated() {
            for (slotIndex, slot) in site.slots.enumerated() {
                cells[Self.cell(slot.slot.position), default: []].append(
                    Entry(site: Int32(siteIndex), slot: Int32(slotIndex), position: slot.slot.position))
            }
        }
        self.sites = sites
        self.cells = cells
    }

    private static func cell(_ position: Coordinate) -> Cell {
        Cell(lat: Int32((position.lat / cellDegrees).rounded(.down)), lng: Int32((position.lng / cellDegrees).rounded(.down)))
    }

    /// A slot found by a search, and how far it is.
    struct Found {
        fileprivate let site: Int32
        fileprivate let slot: Int32
        let distance: Double
        /// Which slot of the snapshot, for the fragment cache.
        var key: Int { Int(site) << 20 | Int(slot) }
    }

    /// The stalls within `radiusMetres` of `center`, nearest first (ties by slot ID), at most
    /// `limit`: what `RegistryStore.stallsNearby` answers, from the snapshot's day and version.
    func nearby(center: Coordinate, radiusMetres: Double, limit: Int) -> [NearbyStall] {
        find(center: center, radiusMetres: radiusMetres, limit: limit).map(stall)
    }

    func stall(_ found: Found) -> NearbyStall {
        let site = sites[Int(found.site)]
        return NearbyStall(
            stall: StallView(slot: site.slots[Int(found.slot)], site: site.site, districtName: site.districtName), distanceMetres: found.distance)
    }

    func find(center: Coordinate, radiusMetres: Double, limit: Int) -> [Found] {
        let box = Geodesy.boundingBox(around: center, radius: radiusMetres)
        let low = Self.cell(Coordinate(lat: box.minLat, lng: box.minLng))
        let high = Self.cell(Coordinate(lat: box.maxLat, lng: box.maxLng))
        var near: [(entry: Entry, distance: Double)] = []
        for lat in low.lat...high.lat {
            for lng in low.lng...high.lng {
                for entry in cells[Cell(lat: lat, lng: lng)] ?? [] where box.contains(entry.position) {
                    let distance = Geodesy.distance(center, entry.position)
                    if distance <= radiusMetres { near.append((entry, distance)) }
                }
            }
        }
        func slotId(_ entry: Entry) -> String { sites[Int(entry.site)].slots[Int(entry.slot)].slot.id }
        near.sort { ($0.distance, slotId($0.entry)) < ($1.distance, slotId($1.entry)) }
        return near.prefix(limit).map { Found(site: $0.entry.site, slot: $0.entry.slot, distance: $0.distance) }
    }
}

/// The JSON of the nearby answer, made from pieces: each stall's fields are encoded once per
/// snapshot and coordinate system (everything but its distance, which is written between
/// them), so a search costs the search, not an encoding of every field of every stall
/// (Foundation's encoder took 58% of the time of a search). The bytes are what
/// `APIJSON.encoder()` makes of `NearbyBody`; a test holds them to that.
final class NearbyAnswers: Sendable {
    /// At most this many stalls' pieces are kept (about 300 bytes each); past it they are
    /// encoded for each answer.
    static let capacity = 20_000
    /// Written as a stall's distance while its pieces are made, then cut out: a negative
    /// distance with one decimal (it survives the body's rounding) that no other field holds.
    private static let marker = -987_654.3

    private let pieces = Mutex([Int: (head: Data, tail: Data)]())

    func body(
        _ found: [SlotGrid.Found], in grid: SlotGrid, limit: Int, radiusM: Double, center: Coordinate, crs: CoordinateSystem
    ) throws
        -> ByteBuffer
    {
        let encoder = APIJSON.encoder()
        var items = Data()
        items.reserveCapacity(found.count * 320)
        for (index, stall) in found.enumerated() {
            if index > 0 { items.append(UInt8(ascii: ",")) }
            let (head, tail) = try piecesOf(stall, in: grid, crs: crs, encoder: encoder)
            items.append(head)
            items.append(contentsOf: Array(Self.number((stall.distance * 10).rounded() / 10).utf8))
            items.append(tail)
        }
        let envelope = try encoder.encode(
            NearbyBody(items: [], total: found.count, limit: limit, radiusM: radiusM, center: PositionBody(center, crs: crs), crs: crs.rawValue))
        let empty = Data(#""items":[]"#.utf8)
        guard let range = envelope.range(of: empty) else { throw NearbyAnswerError() }
        var body = ByteBuffer()
        body.reserveCapacity(envelope.count + items.count)
        body.writeBytes(envelope[..<range.lowerBound])
        body.writeBytes(Data(#""items":["#.utf8))
        body.writeBytes(items)
        body.writeBytes(Data("]".utf8))
        body.writeBytes(envelope[range.upperBound...])
        return body
    }

    private func piecesOf(_ stall: SlotGrid.Found, in grid: SlotGrid, crs: CoordinateSystem, encoder: JSONEncoder) throws -> (head: Data, tail: Data)
    {
        let key = stall.key << 1 | (crs == .wgs84 ? 0 : 1)
        if let kept = pieces.withLock({ $0[key] }) { return kept }
        var marked = grid.stall(stall)
        marked.distanceMetres = Self.marker
        let json = try encoder.encode(NearbyStallBody(marked, crs: crs))
        guard let range = json.range(of: Data(#""distance_m":\#(Self.number(Self.marker))"#.utf8)) else { throw NearbyAnswerError() }
        let made = (head: Data(json[..<range.lowerBound]) + Data(#""distance_m":"#.utf8), tail: Data(json[range.upperBound...]))
        pieces.withLock { if $0.count < Self.capacity { $0[key] = made } }
        return made
    }

    /// A number as Foundation's JSON encoder writes a Double: the shortest form that reads
    /// back the same, without a trailing ".0".
    static func number(_ value: Double) -> String {
        let text = value.description
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}

struct NearbyAnswerError: Error {}

/// Serves the snapshot, rebuilt only when what it shows changes: when the
/// registry version moves (checked at most once a second, so changes made by another
/// process such as `guatan import-sites` appear within a second) or when the business
/// day turns.
final class RegistrySnapshotCache: Sendable {
    static let recheckInterval: Duration = .seconds(1)

    private struct State {
        var snapshot: RegistrySnapshot?
        var checkedAt: ContinuousClock.Instant?
        var refreshing = false
        /// Moves with every invalidation: a rebuild that began before one cannot pass its
        /// result off as current, and readers after it never get the older snapshot.
        var generation: UInt64 = 0
        /// The generation at which `snapshot` was last confirmed current.
        var snapshotGeneration: UInt64 = 0
    }

    private let store: any RegistryStore
    private let clock: ServiceClock
    private let state = Mutex(State())
    private let builder = Builder()
    /// Stall pages, kept for a second and dropped by the writes that change them.
    let stallPages = StallPageCache()
    /// Public lists of cases, likewise (any report's step drops them all).
    let reportLists = MicroCache(name: "report_lists", capacity: 2_000)

    init(store: any RegistryStore, clock: ServiceClock) {
        self.store = store
        self.clock = clock
    }

    func current() async throws -> RegistrySnapshot {
        let today = BusinessTime.localDate(of: clock.now())
        let now = ContinuousClock.now
        enum Plan {
            case serve(RegistrySnapshot)
            case refresh(generation: UInt64)
        }
        let plan = state.withLock { state -> Plan in
            if let snapshot = state.snapshot, snapshot.date == today, state.snapshotGeneration == state.generation {
                if let checkedAt = state.checkedAt, now - checkedAt < Self.recheckInterval { return .serve(snapshot) }
                // Another request is already rechecking: readers get the snapshot they had
                // meanwhile rather than queue behind it (no write of this process since).
                if state.refreshing { return .serve(snapshot) }
            }
            state.refreshing = true
            return .refresh(generation: state.generation)
        }
        switch plan {
        case .serve(let snapshot):
            return snapshot
        case .refresh(let generation):
            defer { state.withLock { $0.refreshing = false } }
            return try await builder.refresh(cache: self, today: today, generation: generation)
        }
    }

    /// A write changed what the snapshot shows: the next request reads the registry again,
    /// and a rebuild already under way cannot store what it read before.
    func invalidate() {
        state.withLock {
            $0.checkedAt = nil
            $0.generation &+= 1
        }
    }

    fileprivate func peek() -> RegistrySnapshot? {
        state.withLock { $0.snapshot }
    }

    fileprivate var generation: UInt64 { state.withLock { $0.generation } }

    /// Keeps a snapshot read at `generation`; confirmed current only if nothing was invalidated since.
    fileprivate func store(_ snapshot: RegistrySnapshot, checkedAt: ContinuousClock.Instant, generation: UInt64) {
        state.withLock {
            guard $0.generation == generation else { return }
            $0.snapshot = snapshot
            $0.checkedAt = checkedAt
            $0.snapshotGeneration = generation
        }
    }

    /// Serialises refreshes so a burst of requests after a change rebuilds once.
    private actor Builder {
        private var inFlight: (task: Task<RegistrySnapshot, any Error>, generation: UInt64)?

        func refresh(cache: RegistrySnapshotCache, today: LocalDate, generation: UInt64) async throws -> RegistrySnapshot {
            // A rebuild that began at this generation or later answers this request too; one
            // that began before a later write does not: it is let finish, then a new one runs.
            if let running = inFlight {
                if running.generation >= generation { return try await running.task.value }
                _ = try? await running.task.value
                if let still = inFlight, still.generation >= generation { return try await still.task.value }
            }
            let started = cache.generation
            let task = Task { try await Self.rebuild(cache: cache, today: today, generation: started) }
            inFlight = (task, started)
            defer { if inFlight?.generation == started { inFlight = nil } }
            return try await task.value
        }

        private static func rebuild(cache: RegistrySnapshotCache, today: LocalDate, generation: UInt64) async throws -> RegistrySnapshot {
            let started = ContinuousClock.now
            let version = try await cache.store.registryVersion()
            if let snapshot = cache.peek(), snapshot.date == today, snapshot.version == version {
                cache.store(snapshot, checkedAt: started, generation: generation)
                return snapshot
            }
            let state = try await cache.store.registryState(today: today)
            let snapshot = try RegistrySnapshot(state: state, date: today)
            cache.store(snapshot, checkedAt: started, generation: generation)
            GuatanMetrics.snapshotRebuilds.record(ContinuousClock.now - started)
            return snapshot
        }
    }

    /// Applies what a committed write changed to every cache of the public pages: the one
    /// place invalidation happens, fed by the store's change feed (never by the routes).
    func apply(_ changes: Set<StoreChange>) {
        for change in changes {
            switch change {
            case .registry: invalidate()
            case .stall(let slotId): stallPages.invalidate(slotId: slotId)
            case .reportLists: reportLists.removeAll()
            case .sessions, .session: break
            case .everything:
                invalidate()
                stallPages.invalidateAll()
                reportLists.removeAll()
            }
        }
    }
}

/// Answers kept for a moment: when a crowd asks the same thing, the database is read once
/// a second instead of once a request. Writes that change an answer drop it at once.
final class MicroCache: Sendable {
    let lifetime: Duration
    let capacity: Int
    /// The bodies' bytes at most, whatever their number.
    let maxBytes: Int
    private let state = Mutex((entries: [String: (body: ByteBuffer, at: ContinuousClock.Instant)](), bytes: 0, generation: UInt64(0)))
    private let hits: Prometheus.Counter
    private let misses: Prometheus.Counter

    init(name: String, lifetime: Duration = .seconds(1), capacity: Int, maxBytes: Int = 32 << 20) {
        self.lifetime = lifetime
        self.capacity = capacity
        self.maxBytes = maxBytes
        self.hits = GuatanMetrics.cache(name, hit: true)
        self.misses = GuatanMetrics.cache(name, hit: false)
    }

    func body(for key: String) -> ByteBuffer? {
        let now = ContinuousClock.now
        let found = state.withLock { state -> ByteBuffer? in
            guard let entry = state.entries[key], now - entry.at < lifetime else { return nil }
            return entry.body
        }
        (found == nil ? misses : hits).increment()
        return found
    }

    /// The cached answer, or `produce`'s, kept unless an invalidation happened while it was
    /// being produced: a read begun before a write never puts its older answer back.
    func body(for key: String, produce: @Sendable () async throws -> ByteBuffer) async throws -> ByteBuffer {
        if let found = body(for: key) { return found }
        let generation = self.generation
        let body = try await produce()
        store(body, for: key, readAt: generation)
        return body
    }

    /// Moves with every invalidation.
    var generation: UInt64 { state.withLock { $0.generation } }

    func store(_ body: ByteBuffer, for key: String, readAt generation: UInt64) {
        let now = ContinuousClock.now
        let size = body.readableBytes
        guard size <= maxBytes / 8 else { return }
        state.withLock { state in
            guard state.generation == generation else { return }
            // Bounded in entries and bytes: a crawler walking every stall or filter must not
            // grow this without end. Expired entries go first; if that is not enough, all.
            if state.entries.count >= capacity || state.bytes + size > maxBytes {
                state.entries = state.entries.filter { now - $0.value.at < lifetime }
                state.bytes = state.entries.values.reduce(0) { $0 + $1.body.readableBytes }
                if state.entries.count >= capacity || state.bytes + size > maxBytes {
                    state.entries = [:]
                    state.bytes = 0
                }
            }
            if let old = state.entries.updateValue((body, now), forKey: key) { state.bytes -= old.body.readableBytes }
            state.bytes += size
        }
    }

    /// Bytes held now (for tests and the bound's proof).
    var byteCount: Int { state.withLock { $0.bytes } }

    func remove(_ keys: [String]) {
        state.withLock { state in
            state.generation &+= 1
            for key in keys {
                if let old = state.entries.removeValue(forKey: key) { state.bytes -= old.body.readableBytes }
            }
        }
    }

    func removeAll() {
        state.withLock { state in
            state.generation &+= 1
            state.entries = [:]
            state.bytes = 0
        }
    }
}

/// Stall pages as sent, for a second: when a news story sends thousands to one stall, the
/// page is read from the database once a second instead of once a request. A write that
/// changes a stall (a check-in, a report, an inspection, a permit's move) drops that stall's
/// page at once; anything else (a registry edit, another process's write) shows within the
/// second, as the map's registry check does.
final class StallPageCache: Sendable {
    private let pages = MicroCache(name: "stall_pages", capacity: 20_000)

    private static func key(_ slotId: String, _ crs: CoordinateSystem) -> String {
        slotId.uppercased() + "|" + crs.rawValue
    }

    func page(slotId: String, crs: CoordinateSystem, produce: @Sendable () async throws -> ByteBuffer) async throws -> ByteBuffer {
        try await pages.body(for: Self.key(slotId, crs), produce: produce)
    }

    func invalidate(slotId: String?) {
        guard let slotId else { return }
        pages.remove(CoordinateSystem.allCases.map { Self.key(slotId, $0) })
    }

    func invalidateAll() {
        pages.removeAll()
    }
}
