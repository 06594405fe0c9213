import CMemory
import CompressNIO
import Foundation
import GuatanCore
import GuatanStoreInterface
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
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
    /// Past this many plain bytes (the whole map at national scale is 35 MB) a map is compressed
    /// with zlib's level 3, a third of level 6's time for a quarter more bytes, and its plain
    /// bytes are not kept: they are put together again for a client that does not take gzip.
    static let bigMapBytes = 8 << 20
    private let keptPlain: ByteBuffer?
    private let features: [[UInt8]]
    let gzip: ByteBuffer
    let etag: String
    let gzipEtag: String

    /// From features encoded one by one (once per snapshot): a viewport's map is then a
    /// concatenation, not a fresh encoding. The bytes are what JSONEncoder would make of the
    /// collection with sorted keys: `{"features":[…],"type":"FeatureCollection"}`.
    init(encoded features: [[UInt8]]) throws {
        var plain = Self.concatenate(features)
        let big = plain.readableBytes > Self.bigMapBytes
        // A strong validator from the content; the gzip representation gets its own.
        let etag = Digest.etag(plain.readableBytesView)
        self.etag = etag
        self.gzipEtag = String(etag.dropLast()) + "-gzip\""
        self.keptPlain = big ? nil : plain
        self.features = big ? features : []
        let level: ZlibConfiguration.CompressionLevel = big ? .compressionLevel3 : .defaultCompressionLevel
        self.gzip = try plain.compress(with: .gzip(configuration: ZlibConfiguration(compressionLevel: level)))
    }

    var plain: ByteBuffer { keptPlain ?? Self.concatenate(features) }

    /// What this map holds in memory.
    var heldBytes: Int { (keptPlain?.readableBytes ?? 0) + gzip.readableBytes }

    private static func concatenate(_ features: [[UInt8]]) -> ByteBuffer {
        var plain = ByteBuffer()
        plain.reserveCapacity(features.reduce(64) { $0 + $1.count + 1 })
        plain.writeStaticString(#"{"features":["#)
        for (index, feature) in features.enumerated() {
            if index > 0 { plain.writeInteger(UInt8(ascii: ",")) }
            plain.writeBytes(feature)
        }
        plain.writeStaticString(#"],"type":"FeatureCollection"}"#)
        return plain
    }
}

/// Viewport maps (`bbox`) of one snapshot, as rendered: many phones open the same view.
final class ViewportCache: Sendable {
    static let capacity = 512
    /// Bounded in bytes too: 512 whole-city views would be hundreds of megabytes.
    static let maxBytes = 32 << 20
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
        let size = map.heldBytes
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

/// One site on the map as the snapshot keeps it: enough to filter by place and district, and
/// its feature's JSON, made once.
struct MapEntry: Sendable {
    let siteId: String
    let district: String
    let position: Coordinate
    let json: [UInt8]

    init(_ detail: SiteDetail) throws {
        siteId = detail.site.id
        district = detail.site.district
        position = detail.site.position
        json = try MapFeatureJSON.encode(detail)
    }
}

/// A map of many sites, rendered (concatenated and compressed) when first asked for and then
/// kept with its snapshot: at national scale the whole map is 20 MB of JSON that most
/// snapshots are never asked for, and a status change renders only its district's again.
final class LazyMap: Sendable {
    private let features: [[UInt8]]
    private let rendered = Mutex<RenderedMap?>(nil)

    init(_ features: [[UInt8]]) {
        self.features = features
    }

    func map() throws -> RenderedMap {
        // Rendered under the lock: a crowd asking at once waits for one rendering.
        try rendered.withLock { rendered in
            if let rendered { return rendered }
            let made = try RenderedMap(encoded: features)
            rendered = made
            return made
        }
    }
}

/// The public registry as of one registry version and business day: the districts with
/// their counts, and every site's feature for the maps (whole, per district, per viewport).
/// Built whole when the registry changes or the day turns; a stall's status change (a check-in,
/// a permit's step) is applied to the sites it touches (`applying`).
struct RegistrySnapshot: Sendable {
    let version: Int64
    let date: LocalDate
    let districts: [DistrictSummary]
    /// `/api/v1/districts` as sent: it changes only with the registry.
    let districtsBody: ByteBuffer
    /// Every site's entry in site order.
    let entries: [MapEntry]
    /// Positions in `entries` by longitude: a viewport (`bbox`) is found by binary search, not
    /// a scan of every site (39,000 at national scale), and sent without encoding anything again.
    let byLongitude: [Int32]
    let all: LazyMap
    let byDistrict: [String: LazyMap]
    let viewports = ViewportCache()
    /// Every slot by its place: nearby search is answered from memory, no query per request.
    let slots: SlotGrid
    let nearbyAnswers: NearbyAnswers

    /// Built whole, the features written on every core (39,000 at national scale) while the
    /// nearby grid is laid out.
    static func build(state: RegistryState, date: LocalDate) async throws -> RegistrySnapshot {
        let sites = state.sites
        let chunk = max(256, sites.count / (ProcessInfo.processInfo.activeProcessorCount * 4) + 1)
        async let grid = SlotGrid(sites)
        let entries = try await withThrowingTaskGroup(of: (Int, [MapEntry]).self) { group in
            for start in stride(from: 0, to: sites.count, by: chunk) {
                group.addTask { (start, try sites[start..<min(start + chunk, sites.count)].map(MapEntry.init)) }
            }
            var parts: [Int: [MapEntry]] = [:]
            for try await (start, part) in group { parts[start] = part }
            return parts.keys.sorted().flatMap { parts[$0]! }
        }
        return try RegistrySnapshot(state: state, date: date, entries: entries, slots: await grid)
    }

    private init(state: RegistryState, date: LocalDate, entries: [MapEntry], slots: SlotGrid) throws {
        let districts = state.districtSummaries
        self.init(
            version: state.version, date: date, districts: districts,
            districtsBody: ByteBuffer(bytes: try APIJSON.encoder().encode(ListBody(items: districts.map(DistrictBody.init)))),
            entries: entries,
            byLongitude: entries.indices.sorted { entries[$0].position.lng < entries[$1].position.lng }.map { Int32($0) },
            all: LazyMap(entries.map(\.json)), byDistrict: Self.districtMaps(entries, districts.map(\.district.code)),
            slots: slots, nearbyAnswers: NearbyAnswers())
    }

    private init(
        version: Int64, date: LocalDate, districts: [DistrictSummary], districtsBody: ByteBuffer, entries: [MapEntry], byLongitude: [Int32],
        all: LazyMap, byDistrict: [String: LazyMap], slots: SlotGrid, nearbyAnswers: NearbyAnswers
    ) {
        self.version = version
        self.date = date
        self.districts = districts
        self.districtsBody = districtsBody
        self.entries = entries
        self.byLongitude = byLongitude
        self.all = all
        self.byDistrict = byDistrict
        self.slots = slots
        self.nearbyAnswers = nearbyAnswers
    }

    private static func districtMaps(
        _ entries: [MapEntry], _ codes: [String], only: Set<String>? = nil, keeping old: [String: LazyMap] = [:]
    )
        -> [String: LazyMap]
    {
        var features: [String: [[UInt8]]] = [:]
        for entry in entries where only?.contains(entry.district) ?? true { features[entry.district, default: []].append(entry.json) }
        var maps: [String: LazyMap] = [:]
        for code in codes {
            // A district no change touched keeps its map (rendered or not).
            if let only, !only.contains(code), let kept = old[code] {
                maps[code] = kept
            } else {
                maps[code] = LazyMap(features[code] ?? [])
            }
        }
        return maps
    }

    /// This snapshot with the given slots' holdings as read now (a slot missing from
    /// `holdings` is vacant): their sites' features are written again, and the maps of their
    /// districts and of the whole registry rendered again when asked for. The registry
    /// (sites, slots, districts) is the same; `version` is the one read with the holdings.
    func applying(_ holdings: [String: SlotHolding], to slotIds: Set<String>, version: Int64) throws -> RegistrySnapshot {
        var sites = slots.sites
        var entries = self.entries
        var changedSites: Set<Int> = []
        for slotId in slotIds {
            guard let place = slots.place(of: slotId) else { continue }
            let view = sites[place.site].slots[place.slot]
            sites[place.site].slots[place.slot] = SlotView(slot: view.slot, holding: holdings[slotId])
            changedSites.insert(place.site)
        }
        guard !changedSites.isEmpty else {
            return RegistrySnapshot(
                version: version, date: date, districts: districts, districtsBody: districtsBody, entries: entries, byLongitude: byLongitude,
                all: all, byDistrict: byDistrict, slots: slots, nearbyAnswers: nearbyAnswers)
        }
        var changedDistricts: Set<String> = []
        var changedSlots: Set<Int> = []
        for index in changedSites {
            entries[index] = try MapEntry(sites[index])
            changedDistricts.insert(entries[index].district)
            for slot in sites[index].slots.indices { changedSlots.insert(SlotGrid.key(site: index, slot: slot)) }
        }
        return RegistrySnapshot(
            version: version, date: date, districts: districts, districtsBody: districtsBody, entries: entries, byLongitude: byLongitude,
            all: LazyMap(entries.map(\.json)),
            byDistrict: Self.districtMaps(entries, districts.map(\.district.code), only: changedDistricts, keeping: byDistrict),
            slots: slots.with(sites: sites), nearbyAnswers: NearbyAnswers(keeping: nearbyAnswers, except: changedSlots))
    }

    /// The map of the sites inside `box` (and `district`), in site order like the whole map.
    func map(in box: BoundingBox, district: String?) throws -> RenderedMap {
        let key = "\(box.minLng),\(box.minLat),\(box.maxLng),\(box.maxLat)|\(district ?? "")"
        return try viewports.map(key) {
            var low = 0
            var high = byLongitude.count
            while low < high {
                let middle = (low + high) / 2
                if entries[Int(byLongitude[middle])].position.lng < box.minLng { low = middle + 1 } else { high = middle }
            }
            var found: [Int] = []
            var index = low
            while index < byLongitude.count, entries[Int(byLongitude[index])].position.lng <= box.maxLng {
                let entry = entries[Int(byLongitude[index])]
                if box.contains(entry.position), district == nil || entry.district == district { found.append(Int(byLongitude[index])) }
                index += 1
            }
            // Site order, as the whole map: entries are in site order.
            found.sort()
            return try RenderedMap(encoded: found.map { entries[$0].json })
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

    /// Every site with its slots as today, in site order.
    let sites: [SiteDetail]
    private let cells: [Cell: [Entry]]
    /// Where each slot is in `sites`, for applying a status change: made at the first change,
    /// not while the server starts, and shared by the snapshots a change makes (same places).
    private let places: SlotPlaces

    init(_ sites: [SiteDetail]) {
        var cells: [Cell: [Entry]] = [:]
        for siteIndex in sites.indices {
            for slotIndex in sites[siteIndex].slots.indices {
                let position = sites[siteIndex].slots[slotIndex].slot.position
                cells[Self.cell(position), default: []].append(Entry(site: Int32(siteIndex), slot: Int32(slotIndex), position: position))
            }
        }
        self.sites = sites
        self.cells = cells
        self.places = SlotPlaces()
    }

    private init(sites: [SiteDetail], cells: [Cell: [Entry]], places: SlotPlaces) {
        self.sites = sites
        self.cells = cells
        self.places = places
    }

    /// The same grid over the same places, with the slots' views as given (statuses changed).
    func with(sites: [SiteDetail]) -> SlotGrid {
        SlotGrid(sites: sites, cells: cells, places: places)
    }

    func place(of slotId: String) -> (site: Int, slot: Int)? {
        places.place(of: slotId, in: sites)
    }

    /// A slot's key in the nearby answers' cache.
    static func key(site: Int, slot: Int) -> Int { site << 20 | slot }

    private static func cell(_ position: Coordinate) -> Cell {
        Cell(lat: Int32((position.lat / cellDegrees).rounded(.down)), lng: Int32((position.lng / cellDegrees).rounded(.down)))
    }

    /// A slot found by a search, and how far it is.
    struct Found {
        fileprivate let site: Int32
        fileprivate let slot: Int32
        let distance: Double
        /// Which slot of the snapshot, for the fragment cache.
        var key: Int { SlotGrid.key(site: Int(site), slot: Int(slot)) }
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
        // Slot IDs are read only to order equal distances.
        near.sort { $0.distance != $1.distance ? $0.distance < $1.distance : slotId($0.entry) < slotId($1.entry) }
        return near.prefix(limit).map { Found(site: $0.entry.site, slot: $0.entry.slot, distance: $0.distance) }
    }
}

/// Each slot's place in a snapshot's sites, by slot ID.
final class SlotPlaces: Sendable {
    private let index = Mutex<[String: (site: Int32, slot: Int32)]?>(nil)

    func place(of slotId: String, in sites: [SiteDetail]) -> (site: Int, slot: Int)? {
        index.withLock { index in
            if index == nil {
                var made: [String: (site: Int32, slot: Int32)] = [:]
                made.reserveCapacity(sites.reduce(0) { $0 + $1.slots.count })
                for siteIndex in sites.indices {
                    for slotIndex in sites[siteIndex].slots.indices {
                        made[sites[siteIndex].slots[slotIndex].slot.id] = (Int32(siteIndex), Int32(slotIndex))
                    }
                }
                index = made
            }
            return index?[slotId].map { (Int($0.site), Int($0.slot)) }
        }
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

    private let pieces: Mutex<[Int: (head: Data, tail: Data)]>

    init() {
        pieces = Mutex([:])
    }

    /// The pieces of `old` but those of the given slots (keys as `SlotGrid.key`), whose
    /// status changed.
    init(keeping old: NearbyAnswers, except slots: Set<Int>) {
        pieces = Mutex(old.pieces.withLock { $0.filter { !slots.contains($0.key >> 1) } })
    }

    func body(
        _ found: [SlotGrid.Found], in grid: SlotGrid, limit: Int, radiusM: Double, center: Coordinate, crs: CoordinateSystem
    ) throws
        -> ByteBuffer
    {
        let envelope = try Self.envelope(total: found.count, limit: limit, radiusM: radiusM, center: PositionBody(center, crs: crs), crs: crs)
        guard let range = envelope.range(of: Data(#""items":[]"#.utf8)) else { throw NearbyAnswerError() }
        var body = ByteBuffer()
        body.reserveCapacity(envelope.count + found.count * 340)
        body.writeBytes(envelope[..<range.lowerBound])
        body.writeStaticString(#""items":["#)
        for (index, stall) in found.enumerated() {
            if index > 0 { body.writeInteger(UInt8(ascii: ",")) }
            let (head, tail) = try piecesOf(stall, in: grid, crs: crs)
            body.writeBytes(head)
            body.writeString(Self.number((stall.distance * 10).rounded() / 10))
            body.writeBytes(tail)
        }
        body.writeStaticString("]")
        body.writeBytes(envelope[range.upperBound...])
        return body
    }

    private func piecesOf(_ stall: SlotGrid.Found, in grid: SlotGrid, crs: CoordinateSystem) throws -> (head: Data, tail: Data) {
        let key = stall.key << 1 | (crs == .wgs84 ? 0 : 1)
        if let kept = pieces.withLock({ $0[key] }) { return kept }
        var marked = grid.stall(stall)
        marked.distanceMetres = Self.marker
        let json = try APIJSON.encoder().encode(NearbyStallBody(marked, crs: crs))
        guard let range = json.range(of: Data(#""distance_m":\#(Self.number(Self.marker))"#.utf8)) else { throw NearbyAnswerError() }
        let made = (head: Data(json[..<range.lowerBound]) + Data(#""distance_m":"#.utf8), tail: Data(json[range.upperBound...]))
        pieces.withLock { if $0.count < Self.capacity { $0[key] = made } }
        return made
    }

    /// The answer around its items, `{"center":…,"crs":…,"items":[],"limit":…,"radius_m":…,"total":…}`:
    /// written here (Foundation's encoder took a third of a search's time), through the encoder
    /// only for a number Swift would print with an exponent.
    static func envelope(total: Int, limit: Int, radiusM: Double, center: PositionBody, crs: CoordinateSystem) throws -> Data {
        let numbers = [center.lat, center.lng, radiusM].map(number)
        guard numbers.allSatisfy({ !$0.utf8.contains(UInt8(ascii: "e")) && !$0.utf8.contains(UInt8(ascii: "n")) }) else {
            return try APIJSON.encoder().encode(
                NearbyBody(items: [], total: total, limit: limit, radiusM: radiusM, center: center, crs: crs.rawValue))
        }
        return Data(
            #"{"center":{"lat":\#(numbers[0]),"lng":\#(numbers[1])},"crs":"\#(crs.rawValue)","items":[],"limit":\#(limit),"radius_m":\#(numbers[2]),"total":\#(total)}"#
                .utf8)
    }

    /// A number as Foundation's JSON encoder writes a Double: the shortest form that reads
    /// back the same, without a trailing ".0".
    static func number(_ value: Double) -> String {
        let text = value.description
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}

struct NearbyAnswerError: Error {}

/// Serves the snapshot, made again only when what it shows changes. A stall's status change
/// (announced on the store's feed, other instances' too) is applied to that stall's site alone;
/// a change to the registry, a new business day, or a registry version moved by a process that
/// announces nothing here (`guatan import-sites` beside a running SQLite server: checked at most
/// once a second) builds it whole.
final class RegistrySnapshotCache: Sendable {
    static let recheckInterval: Duration = .seconds(1)
    /// Past this many stalls waiting to be applied, the snapshot is built whole instead: the
    /// set is bounded, and one read of everything is then the cheaper.
    static let maxPendingStalls = 5_000

    private struct State {
        var snapshot: RegistrySnapshot?
        var checkedAt: ContinuousClock.Instant?
        var refreshing = false
        /// Moves with every change heard: readers after it never get a snapshot from before it.
        var generation: UInt64 = 0
        /// The generation whose changes `snapshot` holds.
        var snapshotGeneration: UInt64 = 0
        /// Stalls whose status changed since the snapshot was read.
        var pendingStalls: Set<String> = []
        /// The registry itself changed (or more than can be named): the next refresh builds whole.
        var rebuild = false
    }

    /// What one refresh takes on: the changes heard up to `generation`.
    fileprivate struct Work {
        let generation: UInt64
        let rebuild: Bool
        let stalls: Set<String>
        let base: RegistrySnapshot?
    }

    private let store: any RegistryStore
    private let clock: ServiceClock
    private let state = Mutex(State())
    private let builder = Builder()
    /// Stall pages, kept for a second and dropped by the writes that change them.
    let stallPages = StallPageCache()
    /// Public lists of cases, likewise (any report's step drops them all).
    let reportLists = MicroCache(name: "report_lists", capacity: 2_000, maxBytes: 16 << 20)

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
                // meanwhile rather than queue behind it (no change heard since).
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

    /// The registry changed: the next request builds the snapshot whole.
    func invalidate() {
        state.withLock {
            $0.rebuild = true
            $0.pendingStalls = []
            $0.checkedAt = nil
            $0.generation &+= 1
        }
    }

    /// A stall's status changed: the next request applies it (with any others heard meanwhile).
    func stallStatusChanged(_ slotId: String) {
        state.withLock {
            if !$0.rebuild {
                $0.pendingStalls.insert(slotId)
                if $0.pendingStalls.count > Self.maxPendingStalls {
                    $0.rebuild = true
                    $0.pendingStalls = []
                }
            }
            $0.generation &+= 1
        }
    }

    /// Takes the changes heard so far; a refresh that fails gives them back.
    fileprivate func takeWork() -> Work {
        state.withLock { state in
            defer {
                state.rebuild = false
                state.pendingStalls = []
            }
            return Work(generation: state.generation, rebuild: state.rebuild, stalls: state.pendingStalls, base: state.snapshot)
        }
    }

    fileprivate func giveBack(_ work: Work) {
        state.withLock { state in
            if work.rebuild { state.rebuild = true }
            if !state.rebuild { state.pendingStalls.formUnion(work.stalls) }
            state.checkedAt = nil
            state.generation &+= 1
        }
    }

    /// Keeps a snapshot that holds the changes heard up to `generation` (refreshes run one at a
    /// time, so it is always newer than the one it replaces); if more were heard since, the
    /// next request applies them.
    @discardableResult
    fileprivate func store(_ snapshot: RegistrySnapshot, checkedAt: ContinuousClock.Instant, generation: UInt64) -> RegistrySnapshot? {
        state.withLock { state in
            defer {
                state.snapshot = snapshot
                state.checkedAt = checkedAt
                state.snapshotGeneration = generation
            }
            return state.snapshot
        }
    }

    /// Runs one refresh at a time, so a burst of requests after a change refreshes once.
    private actor Builder {
        private var inFlight: (task: Task<RegistrySnapshot, any Error>, generation: UInt64)?

        func refresh(cache: RegistrySnapshotCache, today: LocalDate, generation: UInt64) async throws -> RegistrySnapshot {
            // A refresh that took the changes up to this generation or later answers this
            // request too; one that began before a later change does not: it is let finish,
            // then a new one runs.
            if let running = inFlight {
                if running.generation >= generation { return try await running.task.value }
                _ = try? await running.task.value
                if let still = inFlight, still.generation >= generation { return try await still.task.value }
            }
            let work = cache.takeWork()
            let task = Task { try await Self.refresh(cache: cache, today: today, work: work) }
            inFlight = (task, work.generation)
            defer { if inFlight?.generation == work.generation { inFlight = nil } }
            return try await task.value
        }

        private static func refresh(cache: RegistrySnapshotCache, today: LocalDate, work: Work) async throws -> RegistrySnapshot {
            let started = ContinuousClock.now
            do {
                let (snapshot, whole) = try await make(cache: cache, today: today, work: work)
                let replacedWhole = cache.store(snapshot, checkedAt: started, generation: work.generation) != nil && whole
                // A whole snapshot was let go (a hundred megabytes at national scale): its memory
                // goes back to the system rather than staying with the process.
                if replacedWhole { trimMemory() }
                return snapshot
            } catch {
                cache.giveBack(work)
                throw error
            }
        }

        /// The snapshot that holds the work's changes, and whether it was built whole.
        private static func make(cache: RegistrySnapshotCache, today: LocalDate, work: Work) async throws -> (RegistrySnapshot, Bool) {
            let started = ContinuousClock.now
            if let base = work.base, base.date == today, !work.rebuild {
                if work.stalls.isEmpty {
                    if try await cache.store.registryVersion() == base.version { return (base, false) }
                } else {
                    let read = try await cache.store.stallHoldings(slotIds: work.stalls.sorted(), today: today)
                    // The same registry (no change unheard): the stalls alone are applied.
                    if read.version == base.version {
                        let snapshot = try base.applying(read.holdings, to: work.stalls, version: read.version)
                        GuatanMetrics.snapshotUpdates.record(ContinuousClock.now - started)
                        return (snapshot, false)
                    }
                }
            }
            let state = try await cache.store.registryState(today: today)
            let snapshot = try await RegistrySnapshot.build(state: state, date: today)
            GuatanMetrics.snapshotRebuilds.record(ContinuousClock.now - started)
            return (snapshot, true)
        }
    }

    /// Applies what a committed write changed to every cache of the public pages: the one
    /// place invalidation happens, fed by the store's change feed (never by the routes).
    func apply(_ changes: Set<StoreChange>) {
        for change in changes {
            switch change {
            case .registry: invalidate()
            case .stallStatus(let slotId): stallStatusChanged(slotId)
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

/// Gives freed memory back to the system (glibc keeps it otherwise).
func trimMemory() {
    _ = guatan_trim_memory()
}

/// Builds the map's snapshot and renders the whole map as the server starts, so that the
/// first map or nearby request does not wait for them (about a second at national scale).
struct SnapshotWarmUp: Service {
    let snapshots: RegistrySnapshotCache
    let logger: Logger

    func run() async throws {
        let started = ContinuousClock.now
        do {
            let snapshot = try await snapshots.current()
            _ = try snapshot.all.map()
            logger.info(
                "map snapshot ready",
                metadata: ["sites": "\(snapshot.entries.count)", "took": "\(ContinuousClock.now - started)"])
        } catch {
            logger.warning("map snapshot not built at start; the first request builds it", metadata: ["error": "\(error)"])
        }
        try? await gracefulShutdown()
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
    /// 16 MB: some six thousand pages, far more than a crowd looks at within a second.
    private let pages = MicroCache(name: "stall_pages", capacity: 20_000, maxBytes: 16 << 20)

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
