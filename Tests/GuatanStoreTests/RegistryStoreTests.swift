import Foundation
import GRDB
import GuatanCore
import GuatanSQLite
import GuatanServices
import GuatanStoreInterface
import Testing

@Suite("Registry store")
struct RegistryStoreTests {
    @Test("the seed loads 390 sites and 2,059 slots in the published district shape", arguments: StoreBackend.allCases)
    func seedLoads(backend: StoreBackend) async throws {
        let store = try await backend.empty()
        let database = store.stores.registry
        #expect(try await database.registryState(today: Fixtures.today).sites.isEmpty)
        let loaded = try #require(try await store.workflows.registry.loadSeedIfNeeded(from: Fixtures.seedDirectory, now: Fixtures.now))
        #expect(loaded.sitesCreated == 390)
        #expect(loaded.slotsCreated == 2059)
        let districts = try await database.registryState(today: Fixtures.today).districtSummaries
        let shape = Dictionary(uniqueKeysWithValues: districts.map { ($0.district.code, [$0.siteCount, $0.slotCount]) })
        #expect(shape == ["CG": [181, 707], "QLH": [75, 460], "XG": [119, 330], "AN": [15, 562]])
        #expect(districts.map(\.district.name) == ["城关区", "七里河区", "西固区", "安宁区"])
        #expect(try await store.auditTrail(entity: "registry", id: "seed").map(\.action) == ["registry.seed"])
        #expect(try await store.workflows.registry.loadSeedIfNeeded(from: Fixtures.seedDirectory, now: Fixtures.now) == nil, "never twice")
    }

    @Test("reopening the same folder keeps the registry and never loads the seed twice")
    func seedLoadsOnce() async throws {
        let folder = try TemporaryDataFolder()
        do {
            _ = try await Fixtures.seededDatabase(in: folder)
        }
        let reopened = try GuatanDatabase(dataDirectory: folder.url)
        #expect(try await reopened.registryIsEmpty() == false)
        #expect(try await reopened.workflows.registry.loadSeedIfNeeded(from: Fixtures.seedDirectory, now: Fixtures.now) == nil)
        let total = try await reopened.registryState(today: Fixtures.today).districtSummaries.map(\.slotCount).reduce(0, +)
        #expect(total == 2059)
        #expect(
            try reopened.appliedMigrations() == [
                "2026-11-29-registry", "2026-11-29-accounts", "2026-11-29-vendors", "2026-11-29-permits", "2026-11-29-checkins",
                "2026-11-29-applications", "2026-11-29-reports", "2026-11-29-inspections", "2026-11-29-permit-issued-at",
                "2026-11-29-statistics-indexes",
                "2026-12-03-private-inspection-photos", "2026-12-03-login-pairs", "2026-12-04-number-sequences", "2026-12-04-request-limits",
                "2026-12-04-registry-version-shards", "2026-12-05-allocation", "2026-12-06-retired-places", "2026-12-06-feedback",
                "2026-12-07-voice-notes", "2026-12-07-feedback-retention",
            ])
        #expect(try reopened.integrityProblems().isEmpty)
        #expect(try await reopened.auditTrail(entity: "registry", id: "seed").map(\.action) == ["registry.seed"])
    }

    @Test("sites filter by district and by text in name, address or street office, a page at a time", arguments: StoreBackend.allCases)
    func siteQueries(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let database = store.stores.registry
        let anning = try await database.sites(district: "AN", text: nil, page: PageRequest(perPage: 100))
        #expect(anning.total == 15)
        #expect(anning.items.allSatisfy { $0.site.district == "AN" })
        #expect(anning.items.map(\.slotCount).reduce(0, +) == 562)
        #expect(anning.items.map(\.site.id) == anning.items.map(\.site.id).sorted())

        let page1 = try await database.sites(district: nil, text: nil, page: PageRequest(page: 1, perPage: 50))
        let page8 = try await database.sites(district: nil, text: nil, page: PageRequest(page: 8, perPage: 50))
        let page9 = try await database.sites(district: nil, text: nil, page: PageRequest(page: 9, perPage: 50))
        #expect(page1.total == 390 && page1.items.count == 50)
        #expect(page8.items.count == 40)
        #expect(page9.items.isEmpty && page9.total == 390)

        let zhangye = try await database.sites(district: nil, text: "张掖路街道", page: PageRequest())
        #expect(zhangye.total > 0)
        #expect(zhangye.items.allSatisfy { $0.site.streetOffice == "张掖路街道" || $0.site.address.contains("张掖路街道") })
        let none = try await database.sites(district: nil, text: "%", page: PageRequest())
        #expect(none.total == 0, "wildcards are plain text")
        let both = try await database.sites(district: "QLH", text: "张掖路", page: PageRequest())
        #expect(both.total == 0)
    }

    @Test("a site comes with its slots in order; unknown IDs give nil", arguments: StoreBackend.allCases)
    func siteDetail(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let database = store.stores.registry
        let site = try #require(try await database.site(id: "AN-001", today: Fixtures.today))
        #expect(site.districtName == "安宁区")
        #expect(site.slots.map(\.slot.number) == Array(1...site.slots.count))
        #expect(site.slots.allSatisfy { $0.statusToday == .vacant })
        #expect(try await database.site(id: "AN-999", today: Fixtures.today) == nil)
        let stall = try #require(try await database.stall(slotId: "CG-001-02", today: Fixtures.today))
        #expect(stall.site.id == "CG-001" && stall.slot.slot.number == 2)
        #expect(try await database.stall(slotId: "CG-001-99", today: Fixtures.today) == nil)
    }

    @Test("nearby search through the R*Tree finds exactly what a full scan finds, nearest first", arguments: StoreBackend.allCases)
    func nearbyMatchesScan(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let database = store.stores.registry
        let all = try await database.registryState(today: Fixtures.today).sites.flatMap(\.slots)
        for center in [Coordinate(lat: 36.0605, lng: 103.83), Coordinate(lat: 36.10, lng: 103.73), Coordinate(lat: 36.097, lng: 103.625)] {
            for radius in [150.0, 800.0, 3000.0] {
                let found = try await database.stallsNearby(center: center, radiusMetres: radius, limit: 5000, today: Fixtures.today)
                let expected = all.filter { Geodesy.distance(center, $0.slot.position) <= radius }.map(\.slot.id)
                #expect(Set(found.map(\.stall.slot.slot.id)) == Set(expected))
                #expect(found.map(\.distanceMetres) == found.map(\.distanceMetres).sorted())
            }
        }
        let limited = try await database.stallsNearby(
            center: Coordinate(lat: 36.0605, lng: 103.83), radiusMetres: 5000, limit: 7, today: Fixtures.today)
        #expect(limited.count == 7)
        let far = try await database.stallsNearby(center: Coordinate(lat: 39.9, lng: 116.4), radiusMetres: 5000, limit: 10, today: Fixtures.today)
        #expect(far.isEmpty)
    }

    @Test("the season falls back to the programme's standard dates", arguments: StoreBackend.allCases)
    func seasonFallback(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let database = store.stores.registry
        #expect(try await database.season(year: 2027) == Season.standard(year: 2027))
    }
}

@Suite("Site import")
struct SiteImportTests {
    static let header = "site_id,district,name,address,street_office,lat,lng,opens_at,closes_at,slots\n"

    @Test("a good file creates new sites with their slots and updates known ones", arguments: StoreBackend.allCases)
    func importCreatesAndUpdates(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let database = store.stores.registry
        let before = try await database.registryVersion()
        let existing = try #require(try await database.site(id: "CG-001", today: Fixtures.today))
        let csv =
            Self.header + """
                CG-500,CG,新建小区北门外瓜果摊点,兰州市城关区酒泉路街道金塔巷5号,酒泉路街道,36.0551,103.8352,07:00,21:00,3
                CG-001,CG,更名后的摊点,\(existing.site.address),东岗街道,\(existing.site.position.lat),\(existing.site.position.lng),06:00,22:00,\(existing.slots.count + 2)

                """
        let summary = try await store.workflows.registry.importSites(csv: Data(csv.utf8), file: "new.csv", actor: "test", now: Fixtures.now)
        #expect(summary.sitesCreated == 1 && summary.sitesUpdated == 1 && summary.slotsCreated == 5)
        let created = try #require(try await database.site(id: "CG-500", today: Fixtures.today))
        #expect(created.slots.map(\.slot.id) == ["CG-500-01", "CG-500-02", "CG-500-03"])
        #expect(created.site.opensAt == LocalTime("07:00"))
        let updated = try #require(try await database.site(id: "CG-001", today: Fixtures.today))
        #expect(updated.site.name == "更名后的摊点")
        #expect(updated.slots.count == existing.slots.count + 2)
        #expect(try await database.registryVersion() > before)
        let createdTrail = try await store.auditTrail(entity: "site", id: "CG-500")
        #expect(createdTrail.map(\.action) == ["site.create"])
        #expect(createdTrail.first?.actor == "test")
        #expect(createdTrail.first?.after?.contains("\"slots\":\"3\"") == true)
        let updatedTrail = try #require(try await store.auditTrail(entity: "site", id: "CG-001").first)
        #expect(updatedTrail.action == "site.update")
        #expect(updatedTrail.before?.contains(existing.site.name) == true)
        #expect(updatedTrail.after?.contains("更名后的摊点") == true)
        let nearby = try await database.stallsNearby(
            center: Coordinate(lat: 36.0551, lng: 103.8352), radiusMetres: 1, limit: 10, today: Fixtures.today)
        #expect(nearby.map(\.stall.slot.slot.id).sorted() == ["CG-500-01", "CG-500-02", "CG-500-03"], "new slots are in the spatial index")
    }

    @Test("one bad row refuses the whole file, reporting every bad row with its line", arguments: StoreBackend.allCases)
    func importIsAllOrNothing(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let database = store.stores.registry
        let before = try await database.registryVersion()
        let csv =
            Self.header + """
                CG-501,CG,好摊点,兰州市城关区永昌路1号,张掖路街道,36.0605,103.8300,06:00,22:00,2
                CG-502,CG,,兰州市城关区永昌路2号,张掖路街道,36.0605,103.8300,06:00,22:00,2
                CG-503,ZZ,摊点,兰州市城关区永昌路3号,张掖路街道,36.0605,103.8300,06:00,22:00,2
                CG-504,CG,摊点,兰州市城关区永昌路4号,张掖路街道,0,0,06:00,22:00,2
                CG-501,CG,重复,兰州市城关区永昌路1号,张掖路街道,36.0605,103.8300,06:00,22:00,2
                CG-002,CG,少了摊位,兰州市城关区永昌路5号,张掖路街道,36.0605,103.8300,06:00,22:00,1
                CG-505,CG,摊点,地址,街道,36.06,103.83,06:00

                """
        do {
            _ = try await store.workflows.registry.importSites(csv: Data(csv.utf8), file: "bad.csv", actor: "test", now: Fixtures.now)
            Issue.record("the import should have been refused")
        } catch let error as RegistryImportError {
            #expect(Set(error.problems.map(\.line)) == [3, 4, 5, 6, 7, 8])
            #expect(error.problems.contains { $0.line == 3 && $0.field == "name" })
            #expect(error.problems.contains { $0.line == 4 && $0.field == "district" })
            #expect(error.problems.contains { $0.line == 5 && $0.field == "lat" })
            #expect(error.problems.contains { $0.line == 6 && $0.message.contains("first on line 2") })
            #expect(error.problems.contains { $0.line == 7 && $0.field == "slots" })
            #expect(error.problems.contains { $0.line == 8 && $0.message.contains("fields") })
        }
        #expect(try await database.site(id: "CG-501", today: Fixtures.today) == nil, "nothing was written")
        #expect(try await store.auditTrail(entity: "site", id: "CG-501").isEmpty)
        #expect(try await database.registryVersion() == before)
        #expect(try await database.registryState(today: Fixtures.today).districtSummaries.map(\.slotCount).reduce(0, +) == 2059)
    }

    @Test("files that are not CSV UTF-8 with the expected columns are refused on line 1", arguments: StoreBackend.allCases)
    func importRefusesWrongFiles(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let cases: [Data] = [
            Data([0xB3, 0xC7, 0xB9, 0xD8, 0x2C, 0x0A]),  // GBK bytes, as some spreadsheets save
            Data("site_id,name\nCG-600,x\n".utf8),
            Data(),
        ]
        for data in cases {
            await #expect(throws: RegistryImportError.self) {
                _ = try await store.workflows.registry.importSites(csv: data, file: "odd.csv", actor: "test", now: Fixtures.now)
            }
        }
        // A spreadsheet's byte-order mark is fine.
        let withBOM = Data([0xEF, 0xBB, 0xBF]) + Data((Self.header + "CG-601,CG,摊点,地址,街道,36.06,103.83,,,1\n").utf8)
        #expect(try await store.workflows.registry.importSites(csv: withBOM, file: "bom.csv", actor: "test", now: Fixtures.now).sitesCreated == 1)
    }

    @Test("a file with only the header changes nothing", arguments: StoreBackend.allCases)
    func emptyImport(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let database = store.stores.registry
        let before = try await database.registryVersion()
        let summary = try await store.workflows.registry.importSites(
            csv: Data(Self.header.utf8), file: "empty.csv", actor: "test", now: Fixtures.now)
        #expect(summary == RegistryImportSummary())
        #expect(try await database.registryVersion() == before)
    }
}
