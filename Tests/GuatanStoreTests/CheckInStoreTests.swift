import Foundation
import GuatanCore
import GuatanSQLite
import GuatanServices
import GuatanStoreInterface
import Testing

@Suite("Check-in store: group commit, uniqueness, per-site geofence")
struct CheckInStoreTests {
    /// `count` vendors, each with an issued permit on his own slot of CG; returns (vendor, slot position).
    static func issued(_ store: SeededStore, count: Int) async throws -> [(vendorId: String, position: Coordinate)] {
        let vendors = try await Fixtures.vendors(store.workflows, count: count)
        let slots =
            try await store.stores.registry.site(id: "CG-001", today: Fixtures.today)!.slots.map(\.slot)
            + store.stores.registry.site(id: "CG-002", today: Fixtures.today)!.slots.map(\.slot)
        var result: [(String, Coordinate)] = []
        for (vendorId, slot) in zip(vendors, slots) {
            _ = try await store.workflows.permits.create(
                vendorId: vendorId, slotId: slot.id, season: 2026, produce: [], state: .issued, by: .testAdmin, at: Fixtures.now)
            result.append((vendorId, slot.position))
        }
        return result
    }

    @Test("concurrent check-ins of many vendors are all stored, each once, each attempt recorded", arguments: StoreBackend.allCases)
    func concurrentVendors(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let vendors = try await Self.issued(store, count: 8)
        // Every vendor taps five times at once: one check-in each, the other taps repeats of it.
        let outcomes = try await withThrowingTaskGroup(of: (String, CheckInOutcome).self) { group in
            for (vendorId, position) in vendors {
                for _ in 0..<5 {
                    group.addTask {
                        (
                            vendorId,
                            try await store.workflows.checkIns.checkIn(
                                vendorId: vendorId, position: ReportedPosition(coordinate: position, accuracyM: 10), inputCRS: .wgs84,
                                at: Fixtures.now)
                        )
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for (vendorId, _) in vendors {
            let mine = outcomes.filter { $0.0 == vendorId }.map(\.1)
            let created = mine.compactMap { if case .created(let c) = $0 { c.id } else { nil } }
            let repeated = mine.compactMap { if case .repeated(let c) = $0 { c.id } else { nil } }
            #expect(created.count == 1, "\(vendorId): \(mine)")
            #expect(repeated.count == 4 && Set(repeated) == Set(created))
            #expect(try await store.count("SELECT COUNT(*) FROM checkin_attempt WHERE vendor_id = '\(vendorId)'") == 5)
        }
        let stored = try await store.count("SELECT COUNT(*) FROM checkin")
        #expect(stored == vendors.count)
    }

    @Test("a write that fails in a batch does not undo the others", arguments: StoreBackend.allCases)
    func failureIsolated(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let vendors = try await Self.issued(store, count: 3)
        // The middle vendor checks out without having checked in: his write fails (404), the others' stand.
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for (index, vendor) in vendors.enumerated() {
                group.addTask {
                    do {
                        if index == 1 {
                            _ = try await store.workflows.checkIns.checkOut(vendorId: vendor.vendorId, at: Fixtures.now)
                        } else {
                            _ = try await store.workflows.checkIns.checkIn(
                                vendorId: vendor.vendorId, position: ReportedPosition(coordinate: vendor.position, accuracyM: 5), inputCRS: .wgs84,
                                at: Fixtures.now)
                        }
                        return (index, true)
                    } catch {
                        return (index, false)
                    }
                }
            }
            return await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        #expect(results == [0: true, 1: false, 2: true])
        let stored = try await store.count("SELECT COUNT(*) FROM checkin")
        #expect(stored == 2)
    }

    @Test("a site's own geofence radius overrides the season's", arguments: StoreBackend.allCases)
    func siteGeofence(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let vendor = try await Self.issued(store, count: 1)[0]
        try await store.execute("UPDATE site SET geofence_radius_m = 30 WHERE id = 'CG-001'")
        let fifty = Coordinate(lat: vendor.position.lat + 50 / 111_194.93, lng: vendor.position.lng)
        let refused = try await store.workflows.checkIns.checkIn(
            vendorId: vendor.vendorId, position: ReportedPosition(coordinate: fifty, accuracyM: 5), inputCRS: .wgs84, at: Fixtures.now)
        guard case .refused(.tooFar, let distance, _) = refused else {
            Issue.record("expected TOO_FAR within the site's 30 m: \(refused)")
            return
        }
        #expect(abs((distance ?? 0) - 50) < 0.5)
        // A season-wide radius of 200 m, and no site override: accepted.
        try await store.execute("UPDATE site SET geofence_radius_m = NULL")
        try await store.execute(
            """
            INSERT INTO season (year, starts_on, ends_on, opens_at, closes_at, geofence_radius_m)
            VALUES (2026, '2026-06-15', '2026-10-15', '06:00', '22:00', 200)
            ON CONFLICT (year) DO UPDATE SET geofence_radius_m = excluded.geofence_radius_m
            """)
        let far = Coordinate(lat: vendor.position.lat + 180 / 111_194.93, lng: vendor.position.lng)
        let accepted = try await store.workflows.checkIns.checkIn(
            vendorId: vendor.vendorId, position: ReportedPosition(coordinate: far, accuracyM: 5), inputCRS: .wgs84, at: Fixtures.now)
        if case .created = accepted {} else { Issue.record("expected a check-in within the season's 200 m: \(accepted)") }
    }
}
