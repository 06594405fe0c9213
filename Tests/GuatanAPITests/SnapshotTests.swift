import CompressNIO
import Foundation
import GuatanCore
import GuatanSQL
import GuatanSQLite
import GuatanStoreInterface
import Hummingbird
import Synchronization
import Testing

@testable import GuatanAPI

/// A count shared with a hook.
final class Counter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

@Suite("The map's snapshot: features written straight into bytes, status changes applied stall by stall")
struct SnapshotTests {
    static let today = LocalDate("2026-07-15")!

    /// The seed registry with the demo population: most slots held, some open, some suspended.
    static func demo() async throws -> TestService {
        let service = try await TestService()
        let key = try PersonalDataKey.loadOrCreate(in: service.folder.url)
        _ = try service.database.loadDemo(
            vendors: DemoPopulation.vendors(count: 2059, key: key), passwordHash: "not used", season: 2026, now: TestService.midSeason)
        return service
    }

    static func site(_ name: String, produce: [String], position: Coordinate = Coordinate(lat: 36.06, lng: 103.83)) -> SiteDetail {
        let site = Site(
            id: "CG-900", district: "CG", name: name, address: "城关区 \"东岗\"/西路 \\ 1号", streetOffice: "东岗街道", position: position,
            opensAt: LocalTime(hour: 8, minute: 0)!, closesAt: LocalTime(hour: 21, minute: 30)!)
        let slot = Slot(id: "CG-900-01", siteId: "CG-900", number: 1, position: position)
        let permit = PublicPermit(number: "LZ-2026-0001", holderMasked: "张*", produce: produce, origin: "榆中县")
        return SiteDetail(
            site: site, districtName: "城关区",
            slots: [
                SlotView(slot: slot, statusToday: .open, permit: permit),
                SlotView(slot: Slot(id: "CG-900-02", siteId: "CG-900", number: 2, position: position), statusToday: .vacant),
            ])
    }

    @Test("every site's feature written by hand is byte for byte what the JSON encoder makes; text it cannot write goes to the encoder")
    func featureBytes() async throws {
        let service = try await Self.demo()
        let state = try await service.database.registryState(today: Self.today)
        let encoder = APIJSON.encoder()
        let statuses = Set(state.sites.flatMap { $0.slots.map(\.statusToday) })
        #expect(statuses.isSuperset(of: [.open, .assigned, .vacant]), "the demo shows the statuses: \(statuses)")
        for site in state.sites {
            let written = try #require(MapFeatureJSON.write(site), "\(site.site.id) is written by hand")
            #expect(Data(written) == (try encoder.encode(MapFeature(site))), "\(site.site.id)")
        }
        // Quotes, backslashes, slashes, emoji and Chinese: by hand, equal.
        let quoted = Self.site("瓜摊 \"甜\" 🍉 a/b \\ c", produce: ["白兰瓜", "say \"hi\"", ""])
        #expect(try MapFeatureJSON.encode(quoted) == Array(try encoder.encode(MapFeature(quoted))))
        #expect(MapFeatureJSON.write(quoted) != nil)
        // A control character, or a coordinate Swift prints with an exponent: the encoder's bytes.
        for odd in [
            Self.site("tab\there", produce: []), Self.site("new\nline", produce: ["x"]),
            Self.site("near zero", produce: [], position: Coordinate(lat: 0.000001, lng: -0.00002)),
        ] {
            #expect(MapFeatureJSON.write(odd) == nil)
            #expect(try MapFeatureJSON.encode(odd) == Array(try encoder.encode(MapFeature(odd))))
        }
    }

    @Test("check-ins, check-outs and permit steps are applied to their stalls without reading the registry again, and equal a snapshot built whole")
    func appliedEqualsBuilt() async throws {
        let service = try await Self.demo()
        let database = service.database
        let wholeReads = Counter()
        let cache = RegistrySnapshotCache(
            store: HookedRegistry(database: database, afterWholeRead: { wholeReads.add() }), clock: .fixed(TestService.midSeason))
        database.changes.subscribe { cache.apply($0) }
        let first = try await cache.current()
        #expect(wholeReads.value == 1)

        // Vendors holding issued permits, not yet checked in today.
        let held: [SQLRow] = try await database.sqlRead { db in
            try db.rows(
                """
                SELECT p.vendor_id, p.slot_id, p.permit_no, s.lat, s.lng FROM permit p JOIN slot s ON s.id = p.slot_id
                WHERE p.season = 2026 AND p.state = 'issued'
                  AND NOT EXISTS (SELECT 1 FROM checkin c WHERE c.permit_no = p.permit_no AND c.business_date = '2026-07-15')
                ORDER BY p.slot_id LIMIT 30
                """)
        }
        #expect(held.count == 30)
        var changed: Set<String> = []
        for (index, row) in held.enumerated() {
            let vendorId: String = row["vendor_id"]
            let slotId: String = row["slot_id"]
            let permitNo: String = row["permit_no"]
            let place = Coordinate(lat: row["lat"], lng: row["lng"])
            switch index % 3 {
            case 0:
                let outcome = try await database.workflows.checkIns.checkIn(
                    vendorId: vendorId, position: ReportedPosition(coordinate: place, accuracyM: 5), inputCRS: .wgs84, at: TestService.midSeason)
                guard case .created = outcome else {
                    Issue.record("\(vendorId) was not checked in: \(outcome)")
                    continue
                }
            case 1:
                _ = try await database.workflows.checkIns.checkIn(
                    vendorId: vendorId, position: ReportedPosition(coordinate: place, accuracyM: 5), inputCRS: .wgs84, at: TestService.midSeason)
                _ = try await database.workflows.checkIns.checkOut(vendorId: vendorId, at: TestService.midSeason.addingTimeInterval(600))
            default:
                _ = try await database.workflows.permits.transition(
                    number: permitNo, action: .suspend, by: .testAdmin, reason: "test", at: TestService.midSeason)
            }
            changed.insert(slotId)
        }

        let applied = try await cache.current()
        #expect(wholeReads.value == 1, "the changes were applied stall by stall")
        let built = try await RegistrySnapshot.build(state: try await database.registryState(today: Self.today), date: Self.today)
        #expect(try applied.all.map().plain == built.all.map().plain, "the whole map equals one built whole")
        #expect(try applied.all.map().plain != first.all.map().plain)
        for district in built.districts.map(\.district.code) {
            #expect(try applied.byDistrict[district]!.map().plain == built.byDistrict[district]!.map().plain, "\(district)")
        }
        let box = BoundingBox(minLng: 103.6, minLat: 36.0, maxLng: 103.9, maxLat: 36.1)
        #expect(try applied.map(in: box, district: nil).plain == built.map(in: box, district: nil).plain)
        for row in held {
            let center = Coordinate(lat: row["lat"], lng: row["lng"])
            // The nearby answer (pieces kept from before the change are not reused for these stalls).
            let fromApplied = applied.slots.find(center: center, radiusMetres: 300, limit: 20)
            let fromBuilt = built.slots.find(center: center, radiusMetres: 300, limit: 20)
            #expect(
                try applied.nearbyAnswers.body(fromApplied, in: applied.slots, limit: 20, radiusM: 300, center: center, crs: .wgs84)
                    == built.nearbyAnswers.body(fromBuilt, in: built.slots, limit: 20, radiusM: 300, center: center, crs: .wgs84))
        }
        #expect(changed.count == 30)

        // A change to the registry itself builds it whole again.
        let csv =
            "site_id,district,name,address,street_office,lat,lng,opens_at,closes_at,slots\nXG-900,XG,新摊点,兰州市西固区福利路1号,福利路街道,36.1010,103.6380,,,4\n"
        _ = try await database.workflows.registry.importSites(csv: Data(csv.utf8), file: "new.csv", actor: "test", now: TestService.midSeason)
        let rebuilt = try await cache.current()
        #expect(wholeReads.value == 2)
        #expect(String(buffer: try rebuilt.byDistrict["XG"]!.map().plain).contains("新摊点"))
    }

    @Test("a map past 8 MB keeps only its gzip bytes, and a client without gzip still gets the same map")
    func bigMapKeepsGzipOnly() throws {
        let feature = Array(#"{"geometry":{"coordinates":[103.8,36.06],"type":"Point"},"id":"X","properties":{},"type":"Feature"}"#.utf8)
        let small = try RenderedMap(encoded: Array(repeating: feature, count: 100))
        let big = try RenderedMap(encoded: Array(repeating: feature, count: RenderedMap.bigMapBytes / feature.count + 10))
        #expect(small.heldBytes == small.plain.readableBytes + small.gzip.readableBytes)
        #expect(big.plain.readableBytes > RenderedMap.bigMapBytes)
        #expect(big.heldBytes == big.gzip.readableBytes, "the plain bytes are not held")
        var gzip = big.gzip
        let unzipped = try gzip.decompress(with: .gzip())
        #expect(unzipped == big.plain)
        #expect(big.etag == "\"" + Digest.sha256Hex(big.plain.readableBytesView, bytes: 16) + "\"")
    }

    @Test("the nearby answer's envelope, written by hand, is the encoder's bytes, exponents included")
    func nearbyEnvelope() throws {
        for (center, radius) in [
            (Coordinate(lat: 36.0605, lng: 103.83), 1000.0), (Coordinate(lat: -33.9, lng: 18.4), 1234.5),
            (Coordinate(lat: 0.000001, lng: 0.0000001), 1.0),
        ] {
            for crs in CoordinateSystem.allCases {
                let position = PositionBody(center, crs: crs)
                let written = try NearbyAnswers.envelope(total: 3, limit: 20, radiusM: radius, center: position, crs: crs)
                let encoded = try APIJSON.encoder().encode(
                    NearbyBody(items: [], total: 3, limit: 20, radiusM: radius, center: position, crs: crs.rawValue))
                #expect(written == encoded, "\(center) \(crs)")
            }
        }
    }
}
