import Foundation
import GuatanCore
import GuatanStoreInterface
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GuatanAPI

@Suite("Nearby search from the registry snapshot in memory")
struct NearbyTests {
    @Test("the snapshot's grid answers exactly what the store's spatial query answers, for circles all over Lanzhou")
    func sameAsTheStore() async throws {
        let service = try await Scene.permitIssued()
        let database = service.database
        let today = LocalDate("2026-07-15")!
        let stall = try #require(try await database.stall(slotId: "CG-001-01", today: today))
        _ = try await database.workflows.checkIns.checkIn(
            vendorId: "V000001", position: ReportedPosition(coordinate: stall.slot.slot.position, accuracyM: 10), inputCRS: .wgs84,
            at: TestService.midSeason)
        let snapshot = try await RegistrySnapshot.build(state: try await database.registryState(today: today), date: today)
        var random = SplitMix(seed: 20_261_203)
        var found = 0
        // Stalls' own places (ties and zero distances) and random points, with radii and limits across their ranges.
        var centers = [stall.slot.slot.position, Coordinate(lat: 36.0605, lng: 103.83)]
        for site in ["CG-001", "CG-050", "QLH-010", "XG-020", "AN-005"] {
            centers += try #require(try await database.site(id: site, today: today)).slots.prefix(2).map(\.slot.position)
        }
        for _ in 0..<150 {
            centers.append(Coordinate(lat: Double.random(in: 35.95...36.2, using: &random), lng: Double.random(in: 103.5...104.1, using: &random)))
        }
        for center in centers {
            let radius = [1.0, 50, 300, 1000, 2500, 5000].randomElement(using: &random)!
            let limit = [1, 5, 20, 200].randomElement(using: &random)!
            let fromStore = try await database.stallsNearby(center: center, radiusMetres: radius, limit: limit, today: today)
            let fromMemory = snapshot.slots.nearby(center: center, radiusMetres: radius, limit: limit)
            #expect(fromMemory == fromStore, "\(center) within \(radius) m, limit \(limit)")
            found += fromStore.count
        }
        #expect(found > 200, "the circles found stalls, not only empty answers")
        let open = snapshot.slots.nearby(center: stall.slot.slot.position, radiusMetres: 1, limit: 1)
        #expect(open.first?.stall.slot.statusToday == .open && open.first?.distanceMetres == 0)
    }

    @Test("the answer made of pieces is byte for byte what the JSON encoder makes of it, in both coordinate systems")
    func piecesMakeTheSameBytes() async throws {
        let service = try await Scene.permitIssued()
        let today = LocalDate("2026-07-15")!
        let snapshot = try await RegistrySnapshot.build(state: try await service.database.registryState(today: today), date: today)
        var random = SplitMix(seed: 7)
        var compared = 0
        for round in 0..<120 {
            let center = Coordinate(lat: Double.random(in: 36.0...36.12, using: &random), lng: Double.random(in: 103.6...103.95, using: &random))
            let radius = [1.0, 250, 1000, 1234.5, 5000].randomElement(using: &random)!
            let limit = [1, 20, 200].randomElement(using: &random)!
            let crs: CoordinateSystem = round.isMultiple(of: 2) ? .wgs84 : .gcj02
            let found = snapshot.slots.find(center: center, radiusMetres: radius, limit: limit)
            let pieces = try snapshot.nearbyAnswers.body(found, in: snapshot.slots, limit: limit, radiusM: radius, center: center, crs: crs)
            let whole = try APIJSON.encoder().encode(
                NearbyBody(
                    items: found.map { NearbyStallBody(snapshot.slots.stall($0), crs: crs) }, total: found.count, limit: limit, radiusM: radius,
                    center: PositionBody(center, crs: crs), crs: crs.rawValue))
            #expect(Data(pieces.readableBytesView) == whole, "\(center) \(radius) m \(limit) \(crs)")
            compared += found.count
        }
        #expect(compared > 200)
    }

    @Test("a check-in shows at once in the nearby answer, though no query runs per search")
    func checkInShowsAtOnce() async throws {
        try await Scene.permitIssued().run { client in
            let position = try await Scene.slotPosition(client)
            let uri = "/api/v1/stalls/nearby?lat=\(position.lat)&lng=\(position.lng)&radius_m=1&limit=1"
            let before = try await client.get(uri).json()
            let first = try #require((before["items"] as? [[String: Any]])?.first)
            #expect(first["slot_id"] as? String == "CG-001-01" && first["status_today"] as? String == "assigned")
            let vendor = try await client.signIn("zhangsan")
            let checkedIn = try await client.post(
                "/api/v1/checkins", json: #"{"lat": \#(position.lat), "lng": \#(position.lng), "accuracy_m": 10}"#, headers: vendor)
            #expect(checkedIn.status == .created, "\(checkedIn.text)")
            let after = try await client.get(uri).json()
            #expect((after["items"] as? [[String: Any]])?.first?["status_today"] as? String == "open")
        }
    }
}

/// A seeded generator, so that a failure can be run again with the same circles.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
