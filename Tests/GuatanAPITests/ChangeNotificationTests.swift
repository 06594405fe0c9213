import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import GuatanAPI
@testable import GuatanSQLite

/// A gate a test opens when it is ready: the code behind it waits until then.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>], arrived: Int)>((false, [], 0))

    func wait() async {
        await withCheckedContinuation { continuation in
            let resume = state.withLock { state -> Bool in
                state.arrived += 1
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resume { continuation.resume() }
        }
    }

    func open() {
        for waiter in state.withLock({ state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }) { waiter.resume() }
    }

    /// Waits until someone stands at the gate.
    func untilArrived() async {
        while state.withLock({ $0.arrived }) == 0 { await Task.yield() }
    }
}

/// The registry as the database has it, with `afterWholeRead` run after each read of the whole
/// registry: a gate there makes the slow read a write overtakes; a counter shows whether a
/// change was applied without one.
struct HookedRegistry: RegistryStore {
    let database: GuatanDatabase
    let afterWholeRead: @Sendable () async -> Void

    func sites(district: String?, text: String?, page: PageRequest) async throws -> Page<SiteSummary> {
        try await database.sites(district: district, text: text, page: page)
    }
    func site(id: String, today: LocalDate) async throws -> SiteDetail? { try await database.site(id: id, today: today) }
    func stall(slotId: String, today: LocalDate) async throws -> StallView? { try await database.stall(slotId: slotId, today: today) }
    func stallsNearby(center: Coordinate, radiusMetres: Double, limit: Int, today: LocalDate) async throws -> [NearbyStall] {
        try await database.stallsNearby(center: center, radiusMetres: radiusMetres, limit: limit, today: today)
    }
    func registryState(today: LocalDate) async throws -> RegistryState {
        let state = try await database.registryState(today: today)
        await afterWholeRead()
        return state
    }
    func stallHoldings(slotIds: [String], today: LocalDate) async throws -> StallHoldings {
        try await database.stallHoldings(slotIds: slotIds, today: today)
    }
    func season(year: Int) async throws -> Season { try await database.season(year: year) }
    func registryVersion() async throws -> Int64 { try await database.registryVersion() }
}

@Suite("Change notification: every write drops what it changed, and no read begun before it puts back the old")
struct ChangeNotificationTests {
    @Test("a cached answer produced while an invalidation happened is not kept; one produced undisturbed is")
    func microCacheGeneration() async throws {
        let cache = MicroCache(name: "test_lists", capacity: 10)
        let gate = Gate()
        let slow = Task {
            try await cache.body(for: "k") {
                await gate.wait()
                return ByteBuffer(string: "old")
            }
        }
        await gate.untilArrived()
        cache.removeAll()  // a write committed while the read was under way
        gate.open()
        #expect(String(buffer: try await slow.value) == "old", "the reader that began before the write gets what it read")
        #expect(cache.body(for: "k") == nil, "but its older answer is not stored for the readers after the write")

        _ = try await cache.body(for: "k") { ByteBuffer(string: "new") }
        #expect(cache.body(for: "k").map { String(buffer: $0) } == "new")
    }

    @Test("a map snapshot read before a check-in never stands for the registry after it")
    func snapshotGeneration() async throws {
        let service = try await Scene.permitIssued()
        let database = service.database
        let gate = Gate()
        let cache = RegistrySnapshotCache(
            store: HookedRegistry(database: database, afterWholeRead: { await gate.wait() }), clock: .fixed(TestService.midSeason))
        database.changes.subscribe { cache.apply($0) }

        let stall = try #require(try await database.stall(slotId: "CG-001-01", today: LocalDate("2026-07-15")!))
        let slow = Task { try await cache.current() }
        await gate.untilArrived()
        // The vendor checks in while the snapshot of before is still being built.
        let outcome = try await database.workflows.checkIns.checkIn(
            vendorId: "V000001", position: ReportedPosition(coordinate: stall.slot.slot.position, accuracyM: 10), inputCRS: .wgs84,
            at: TestService.midSeason)
        guard case .created = outcome else {
            Issue.record("the check-in was not accepted: \(outcome)")
            return
        }
        gate.open()
        func status(_ snapshot: RegistrySnapshot) -> StallStatus? {
            snapshot.slots.place(of: "CG-001-01").map { snapshot.slots.sites[$0.site].slots[$0.slot].statusToday }
        }
        #expect(status(try await slow.value) == .assigned)
        let after = try await cache.current()
        #expect(status(after) == .open, "the next request sees the check-in at once, not the snapshot read before it")
    }

    @Test("each kind of write shows at once on the pages it changes: permit steps on the map and the stall, reports on the lists")
    func everyWriteShows() async throws {
        let service = try await Scene.people()
        let vendorId = "V000001"
        try await service.run { client in
            let admin = try await client.signIn("admin")
            func stallStatus() async throws -> String? {
                try await client.get("/api/v1/stalls/CG-001-01").json()["status_today"] as? String
            }
            func mapHolds() async throws -> Bool {
                let map = try await client.get("/api/v1/map.geojson?district=CG").json()
                let features = try #require(map["features"] as? [[String: Any]])
                let site = try #require(features.first { $0["id"] as? String == "CG-001" })
                return ((site["properties"] as? [String: Any])?["assigned_count"] as? Int ?? 0) > 0
            }
            // Read first, so the caches hold the state before each write.
            #expect(try await stallStatus() == "vacant")
            #expect(try await mapHolds() == false)
            let created = try await client.post(
                "/api/v1/admin/permits", json: #"{"vendor_id": "\#(vendorId)", "slot_id": "CG-001-01", "issue": true}"#, headers: admin)
            #expect(created.status == .created)
            #expect(try await stallStatus() == "assigned", "an issued permit shows on the stall at once")
            #expect(try await mapHolds(), "and on the map")
            let number = try #require(try created.json()["permit_no"] as? String)
            #expect(
                try await client.post("/api/v1/permits/\(number)/transitions", json: #"{"action": "revoke", "reason": "test"}"#, headers: admin)
                    .status == .ok)
            #expect(try await stallStatus() == "vacant", "a revocation shows at once")
            #expect(try await mapHolds() == false)

            #expect(try await client.get("/api/v1/reports").json()["total"] as? Int == 0)
            #expect(
                try await client.post("/api/v1/reports", json: #"{"category": "hygiene", "description": "垃圾", "slot_id": "CG-001-01"}"#).status
                    == .created)
            #expect(try await client.get("/api/v1/reports").json()["total"] as? Int == 1, "a new report shows on the public list at once")
        }
    }

    @Test("an expired permit offers staff no action that would be refused")
    func allowedActionsAfterSeason() async throws {
        let service = try await Scene.permitIssued()
        let record = try #require(try await service.database.permit(number: "LZ2026-CG-000001"))
        let admin = Account(id: 1, username: "a", role: .admin, district: nil, vendorId: nil)
        #expect(PermitBody(record, today: LocalDate("2026-07-15")!, actor: admin).allowedActions?.contains("suspend") == true)
        #expect(PermitBody(record, today: LocalDate("2026-10-20")!, actor: admin).allowedActions == [])
    }

    @Test("a stall's season inspections count the season's days, not the calendar year")
    func seasonInspections() async throws {
        let service = try await Scene.permitIssued()
        let inspections = service.database.workflows.inspections
        let officer = Account(id: 1, username: "a", role: .admin, district: nil, vendorId: nil)
        let input = InspectionInput(
            slotId: "CG-001-01", result: .compliant, violations: [], note: nil, position: nil, resolvesReports: [], photos: [])
        _ = try await inspections.inspect(input, by: officer, at: BusinessTime.parseInstant("2026-05-20T10:00:00+08:00")!)
        _ = try await inspections.inspect(input, by: officer, at: TestService.midSeason)
        let stall = try #require(try await service.database.stall(slotId: "CG-001-01", today: LocalDate("2026-07-15")!))
        #expect(stall.seasonInspections[.compliant] == 1, "May's inspection was before the season")
    }
}
