import Foundation
import GuatanAPI
import GuatanCore
import GuatanPostgres
import GuatanSQL
import GuatanServices
import GuatanStoreInterface
import GuatanTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

/// Two instances of the service on one PostgreSQL database, as behind a load balancer: what
/// one is told, the other shows at once.
@Suite("Several instances on PostgreSQL")
struct InstancesTests {
    /// Two routers over two stores (two pools, two listeners) on one database, seeded, with
    /// 张三丰's permit for CG-001-01 issued and an officer of CG.
    struct Pair {
        let folder: TemporaryDataFolder
        let database: TestPostgresDatabase
        let second: PostgresStore
        let a: GuatanRouter
        let b: GuatanRouter

        init() async throws {
            folder = try TemporaryDataFolder()
            database = try await TestPostgresDatabase.make(dataDirectory: folder.url)
            second = TestPostgres.store(database.store.location, connections: 4, dataDirectory: folder.url)
            let workflows = GuatanWorkflows(store: database.store)
            try await workflows.registry.loadSeedIfNeeded(from: Repo.seed, now: TestService.midSeason)
            let hash = try await TestService.passwords.hash(TestService.password)
            _ = try await workflows.accounts.registerVendor(
                VendorDraft(
                    name: "张三丰", phone: "13912345678", idCardNo: "11010519491231002X", origin: "榆中县青城镇", vehiclePlate: "甘A12345",
                    produce: ["白兰瓜"]),
                idCardHash: "card-1", username: "zhangsan", passwordHash: hash, actor: "test", at: TestService.midSeason)
            _ = try await workflows.accounts.createAccount(
                username: "cg.li", passwordHash: hash, role: .officer, district: "CG", vendorId: nil, actor: "test", at: TestService.midSeason)
            _ = try await workflows.permits.create(
                vendorId: "V000001", slotId: "CG-001-01", season: 2026, produce: [], state: .issued, by: .testAdmin, at: TestService.midSeason)
            var logger = Logger(label: "guatan.test")
            logger.logLevel = .warning
            // Both instances share the data folder: its personal-data key and its photos.
            let configuration = GuatanServiceConfiguration(
                publicDirectory: Repo.publicDirectory, clock: .fixed(TestService.midSeason), passwords: TestService.passwords,
                personalDataKey: try PersonalDataKey.loadOrCreate(in: folder.url), reportRatePerHour: 3)
            var unlimited = configuration
            unlimited.minimumFreeBytes = 0
            await database.store.listenForChanges()
            await second.listenForChanges()
            a = buildRouter(configuration: unlimited, stores: GuatanStores(postgres: database.store), logger: logger)
            b = buildRouter(configuration: unlimited, stores: GuatanStores(postgres: second), logger: logger)
        }

        func run(_ test: @escaping @Sendable (any TestClientProtocol, any TestClientProtocol) async throws -> Void) async throws {
            let appA = Application(router: a.router, logger: Logger(label: "guatan.test.a"))
            let appB = Application(router: b.router, logger: Logger(label: "guatan.test.b"))
            try await appA.test(.router) { clientA in
                try await appB.test(.router) { clientB in try await test(clientA, clientB) }
            }
            await second.shutdown()
        }
    }

    /// Polls `read` until `done` holds, for at most a few seconds (a notification crosses the server).
    static func eventually(_ read: () async throws -> [String: Any], _ done: ([String: Any]) -> Bool) async throws -> [String: Any] {
        var last = try await read()
        for _ in 0..<50 where !done(last) {
            try await Task.sleep(for: .milliseconds(100))
            last = try await read()
        }
        return last
    }

    @Test("a check-in on instance A shows on instance B's stall page and map at once, though B had the page cached")
    func checkInCrossesInstances() async throws {
        let pair = try await Pair()
        try await pair.run { a, b in
            // B has the stall page (and the map) cached, the stall assigned but not open.
            let before = try await b.get("/api/v1/stalls/CG-001-01").json()
            #expect((before["status_today"] as? String) == "assigned", "\(before)")
            _ = try await b.get("/api/v1/map.geojson")
            let vendor = try await a.signIn("zhangsan")
            let response = try await Scene.checkIn(a, vendor)
            #expect(response.status == .created, "\(response.text)")
            let after = try await Self.eventually({ try await b.get("/api/v1/stalls/CG-001-01").json() }) {
                $0["status_today"] as? String == "open"
            }
            #expect(after["status_today"] as? String == "open", "B still shows \(after)")
            // The map's site shows the stall open too.
            let map = try await Self.eventually({ try await b.get("/api/v1/map.geojson?district=CG").json() }) { map in
                let site = (map["features"] as? [[String: Any]])?.first { $0["id"] as? String == "CG-001" }
                return (site?["properties"] as? [String: Any])?["open_count"] as? Int == 1
            }
            let site = (map["features"] as? [[String: Any]])?.first { $0["id"] as? String == "CG-001" }
            #expect((site?["properties"] as? [String: Any])?["open_count"] as? Int == 1)
        }
    }

    @Test("signing out on instance A ends the session on instance B, which had it cached")
    func signOutCrossesInstances() async throws {
        let pair = try await Pair()
        try await pair.run { a, b in
            let officer = try await a.signIn("cg.li")
            #expect(try await b.get("/api/v1/me", headers: officer).status == .ok)
            #expect(try await a.post("/api/v1/auth/logout", json: "{}", headers: officer).status == .noContent)
            var status = try await b.get("/api/v1/me", headers: officer).status
            for _ in 0..<50 where status != .unauthorized {
                try await Task.sleep(for: .milliseconds(100))
                status = try await b.get("/api/v1/me", headers: officer).status
            }
            #expect(status == .unauthorized)
        }
    }

    @Test("instances starting at once on an empty shared folder end up with one personal-data key")
    func oneKeyForAll() async throws {
        let folder = try TemporaryDataFolder()
        let hashes = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 {
                group.addTask { try PersonalDataKey.loadOrCreate(in: folder.url).idCardHash("11010519491231002X") }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(hashes.count == 1, "\(hashes.count) different keys")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.url.path)
        #expect(files == [PersonalDataKey.fileName], "\(files)")
    }

    @Test("an address's reports are counted across instances: with a limit of 3, two on A and one on B, the next is refused on both")
    func reportLimitCrossesInstances() async throws {
        let pair = try await Pair()
        try await pair.run { a, b in
            let report = #"{"category": "hygiene", "description": "瓜皮没清理", "slot_id": "CG-001-01"}"#
            #expect(try await a.post("/api/v1/reports", json: report).status == .created)
            #expect(try await a.post("/api/v1/reports", json: report).status == .created)
            #expect(try await b.post("/api/v1/reports", json: report).status == .created)
            let refused = try await b.post("/api/v1/reports", json: report)
            try refused.expectError(.tooManyRequests, code: "RATE_LIMITED")
            #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 > 0)
            try await a.post("/api/v1/reports", json: report).expectError(.tooManyRequests, code: "RATE_LIMITED")
        }
    }

    @Test("an instance hears what another's transaction changed once it commits, and nothing of one rolled back")
    func notificationsFollowCommits() async throws {
        let pair = try await Pair()
        let heard = HeardChanges()
        pair.second.changes.subscribe { heard.add($0) }
        let workflows = GuatanWorkflows(store: pair.database.store)
        // A transaction that writes CG-001-02's permit and then fails: rolled back, never announced.
        struct Abandoned: Error {}
        await #expect(throws: Abandoned.self) {
            try await pair.database.store.transaction { tx in
                try tx.insertPermit(
                    NewPermit(
                        number: "CG-2026-9999", season: 2026, vendorId: "V000001", slotId: "CG-001-02", district: "CG", state: .rejected,
                        produce: [], vehiclePlate: "甘A99999", expectedKg: nil, certificatePhoto: nil, at: TestService.midSeason))
                throw Abandoned()
            }
        }
        _ = try await workflows.checkIns.checkIn(
            vendorId: "V000001", position: ReportedPosition(coordinate: try #require(await pair.slotPosition()), accuracyM: 10), inputCRS: .wgs84,
            at: TestService.midSeason)
        var changes = heard.all
        for _ in 0..<50 where !changes.contains(.stall(slotId: "CG-001-01")) {
            try await Task.sleep(for: .milliseconds(100))
            changes = heard.all
        }
        #expect(changes.contains(.stall(slotId: "CG-001-01")) && changes.contains(.stallStatus(slotId: "CG-001-01")), "\(changes)")
        #expect(
            !changes.contains(.stall(slotId: "CG-001-02")) && !changes.contains(.stallStatus(slotId: "CG-001-02")),
            "a rolled-back write was announced")
        await pair.second.shutdown()
    }
}

/// What a feed announced, collected across threads.
final class HeardChanges: Sendable {
    private let changes = Mutex<Set<StoreChange>>([])

    func add(_ more: Set<StoreChange>) { changes.withLock { $0.formUnion(more) } }

    var all: Set<StoreChange> { changes.withLock { $0 } }
}

extension InstancesTests.Pair {
    func slotPosition() async throws -> Coordinate? {
        try await GuatanStores(postgres: database.store).registry.stall(slotId: "CG-001-01", today: LocalDate("2026-07-15")!)?.slot.slot.position
    }
}
