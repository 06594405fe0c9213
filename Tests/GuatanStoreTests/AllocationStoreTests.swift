import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Testing

/// The season's allocation on every backend, through the workflows: the season's own registry,
/// applications and households, tiers from the last season, the draw's outcome and waitlists,
/// permits issued at once, offers that run out.
@Suite("Allocation store: seasons, applications, the draw, waitlists and offers (every backend)")
struct AllocationStoreTests {
    static let officer = Account(id: 8, username: "cg.li", role: .officer, district: "CG", vendorId: nil)

    static func day(_ text: String) -> Date { BusinessTime.parseInstant(text + "T10:00:00+08:00")! }

    static func request(_ sites: [String], renew: Bool = false, household: [String] = []) -> ApplicationRequest {
        ApplicationRequest(
            preferences: sites, asksRenewal: renew, priorityClaim: nil, householdIdCards: household, produce: ["西瓜"], expectedKg: 500,
            vehiclePlate: nil)
    }

    @Test(
        "a season from planning to offers: the registry copied and released, tiers, the draw kept, the waitlist served",
        arguments: StoreBackend.allCases)
    func season(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let allocation = store.workflows.allocation
        let vendors = try await Fixtures.vendors(store.workflows, count: 10)
        // 2026: vendor 0 in good standing at CG-001-01; vendor 1's permit revoked.
        _ = try await store.workflows.permits.create(
            vendorId: vendors[0], slotId: "CG-001-01", season: 2026, produce: [], state: .issued, by: .testAdmin, at: Fixtures.now)
        let revoked = try await store.workflows.permits.create(
            vendorId: vendors[1], slotId: "CG-001-02", season: 2026, produce: [], state: .issued, by: .testAdmin, at: Fixtures.now)
        _ = try await store.workflows.permits.transition(
            number: revoked.permit.number, action: .revoke, by: .testAdmin, reason: "出租摊位", at: Fixtures.now)

        let plan = try await allocation.openSeason(year: 2027, from: 2026, actor: "test", at: Fixtures.now)
        #expect(plan.phase == .planning && plan.season.startsOn.description == "2027-06-15")
        #expect(try await allocation.publicView(season: 2027).slots.count == 2059)
        // The bureau adds a site to 2027's registry: the running season's map does not change.
        try await store.execute(
            """
            INSERT INTO season_site (season, site_id, district, name, address, street_office, lat, lng, opens_at, closes_at)
            VALUES (2027, 'CG-900', 'CG', '新建瓜果摊点', '城关区新建路1号', '', 36.05, 103.85, '06:00', '22:00')
            """)
        try await store.execute(
            "INSERT INTO season_slot (season, slot_id, site_id, number, lat, lng) VALUES (2027, 'CG-900-01', 'CG-900', 1, 36.05, 103.85)")
        #expect(try await store.stores.registry.site(id: "CG-900", today: Fixtures.today) == nil)
        // And drops CG-030 (its six slots) and CG-036's fifth slot: they stay on this season's map.
        try await store.execute("DELETE FROM season_slot WHERE season = 2027 AND (site_id = 'CG-030' OR slot_id = 'CG-036-05')")
        try await store.execute("DELETE FROM season_site WHERE season = 2027 AND site_id = 'CG-030'")
        #expect(try await store.stores.registry.site(id: "CG-030", today: Fixtures.today) != nil)

        _ = try await allocation.configure(
            year: 2027, .init(applicationsOpenOn: LocalDate("2027-03-01"), applicationsCloseOn: LocalDate("2027-03-31"), renewalMinShare: 0),
            by: .testAdmin, at: Fixtures.now)
        _ = try await allocation.act(year: 2027, action: .openApplications, by: .testAdmin, at: Fixtures.now)

        let inWindow = Self.day("2027-03-10")
        var numbers: [String] = []
        numbers.append(
            try await allocation.apply(
                vendorId: vendors[0], season: 2027, Self.request([], renew: true), householdHashes: [], certificate: nil, at: inWindow
            ).number)
        numbers.append(
            try await allocation.apply(
                vendorId: vendors[1], season: 2027, Self.request(["CG-001"], renew: true), householdHashes: [], certificate: nil, at: inWindow
            ).number)
        for index in 2...5 {
            numbers.append(
                try await allocation.apply(
                    vendorId: vendors[index], season: 2027, Self.request(["CG-001", "CG-900"]), householdHashes: [], certificate: nil, at: inWindow
                ).number)
        }
        // Two for CG-020's one slot: one of them waits there.
        for index in [8, 9] {
            _ = try await allocation.apply(
                vendorId: vendors[index], season: 2027, Self.request(["CG-020"]), householdHashes: [], certificate: nil, at: inWindow)
        }
        // Vendor 6 names vendor 2 (card-2) as a member of his household: refused, nothing kept.
        await #expect(throws: AllocationError.self) {
            try await allocation.apply(
                vendorId: vendors[6], season: 2027, Self.request(["CG-002"]), householdHashes: ["card-2"], certificate: nil, at: inWindow)
        }
        #expect(try await store.count("SELECT COUNT(*) FROM application WHERE vendor_id = '\(vendors[6])'") == 0)
        // Two applications of one household at once: the database lets one through.
        let racing = await withTaskGroup(of: Bool.self) { group in
            for index in [6, 7] {
                group.addTask {
                    (try? await allocation.apply(
                        vendorId: vendors[index], season: 2027, Self.request(["CG-002"]), householdHashes: ["card-shared"], certificate: nil,
                        at: inWindow)) != nil
                }
            }
            return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(racing == 1)
        #expect(try await store.count("SELECT COUNT(*) FROM application_household WHERE id_card_hash = 'card-shared'") == 1)

        let afterWindow = Self.day("2027-04-01")
        _ = try await allocation.act(year: 2027, action: .closeApplications, by: .testAdmin, at: afterWindow)
        for record in try await allocation.applications(season: 2027, district: nil, states: [.submitted]) {
            _ = try await allocation.decide(
                number: record.number, action: .review, by: Self.officer, reason: nil, priorityVerified: nil, at: afterWindow)
            _ = try await allocation.decide(
                number: record.number, action: .approve, by: .testAdmin, reason: nil, priorityVerified: nil, at: afterWindow)
        }
        _ = try await allocation.act(year: 2027, action: .publishList, by: .testAdmin, at: afterWindow)
        let tiers = Dictionary(
            uniqueKeysWithValues: try await allocation.applications(season: 2027, district: nil, states: [.qualified]).map { ($0.number, $0.tier) })
        #expect(tiers[numbers[0]] == 1, "good standing: renewal")
        #expect(tiers[numbers[1]] == 3, "revoked last season: drawn with everyone else")
        #expect(try await store.count("SELECT COUNT(*) FROM season_draw WHERE season = 2027 AND drawn_at IS NULL") == 1)

        _ = try await allocation.act(year: 2027, action: .draw, by: .testAdmin, at: afterWindow)
        let file = try #require(try await allocation.publicView(season: 2027).draw?.text)
        let drawn = try Draw.Published.decode(Data(file.utf8))
        let results = try #require(drawn.results)
        #expect(try drawn.run() == results)
        #expect(results.allocation.first { $0.slotId == "CG-001-01" }?.applicationNo == numbers[0])
        // Five general applications for CG-001's two free slots and CG-900's one: two wait.
        let waiting = try #require(results.waitlists["CG-001"])
        let qualified = try await allocation.applications(season: 2027, district: nil, states: [.qualified])
        #expect(waiting.count == 2)
        #expect(
            results.waitlists["CG-900", default: []]
                == waiting.filter { number in qualified.first { $0.number == number }!.preferences.contains("CG-900") })
        let firstView = try await allocation.vendorView(vendorId: try #require(qualified.first { $0.number == waiting[0] }).vendorId, season: 2027)
        #expect(firstView.waitlist.first == WaitlistPlace(siteId: "CG-001", position: 1))
        let stored = try await allocation.applications(season: 2027, district: nil, states: [.qualified])
        #expect(Set(stored.filter { $0.slotId != nil }.map(\.number)) == Set(results.allocation.map(\.applicationNo)))

        _ = try await allocation.act(year: 2027, action: .startNotice, by: .testAdmin, at: afterWindow)
        let issuedDay = Self.day("2027-04-10")
        // A vendor barred since the draw: nothing is issued, and the answer names his application.
        let barredNo = try #require(results.allocation.first { $0.tier == 3 }?.applicationNo)
        let barredVendor = try #require(qualified.first { $0.number == barredNo }?.vendorId)
        try await store.execute(
            "INSERT INTO vendor_bar (vendor_id, season, reason, created_at) VALUES ('\(barredVendor)', 2027, '测试', '2027-04-09T10:00:00+08:00')")
        await #expect(throws: AllocationError.conflict(code: "CONFLICT", message: "application \(barredNo): the vendor is barred from the season")) {
            try await allocation.act(year: 2027, action: .allocate, by: .testAdmin, at: issuedDay)
        }
        #expect(try await store.count("SELECT COUNT(*) FROM permit WHERE season = 2027") == 0)
        try await store.execute("UPDATE vendor_bar SET lifted_at = '2027-04-09T11:00:00+08:00' WHERE vendor_id = '\(barredVendor)'")
        _ = try await allocation.act(year: 2027, action: .allocate, by: .testAdmin, at: issuedDay)
        #expect(try await store.count("SELECT COUNT(*) FROM permit WHERE season = 2027 AND state = 'issued'") == results.allocation.count)
        // Each allocated application names its permit, of its vendor at its slot, numbered on from one, and audited.
        let issuedApplications = try await allocation.applications(season: 2027, district: nil, states: [.qualified]).filter { $0.slotId != nil }
        #expect(issuedApplications.count == results.allocation.count)
        for application in issuedApplications {
            let number = try #require(application.permitNumber)
            let permit = try #require(try await store.stores.permits.permit(number: number))
            #expect(permit.permit.vendorId == application.vendorId && permit.permit.slotId == application.slotId && permit.permit.state == .issued)
        }
        #expect(
            Set(issuedApplications.compactMap(\.permitNumber)) == Set((1...results.allocation.count).map { String(format: "LZ2027-CG-%06d", $0) }))
        #expect(
            try await store.count("SELECT COUNT(*) FROM audit_log WHERE action = 'permit.create' AND entity_id LIKE 'LZ2027-%'")
                == results.allocation.count)
        #expect(try await store.stores.registry.site(id: "CG-900", today: LocalDate("2027-04-10")!) != nil, "the 2027 registry is live")
        // What 2027 no longer offers leaves the live registry: the site, its stalls, the dropped slot; history keeps them.
        let released = LocalDate("2027-04-10")!
        #expect(try await store.stores.registry.site(id: "CG-030", today: released) == nil)
        #expect(try await store.stores.registry.stall(slotId: "CG-030-01", today: released) == nil)
        let shrunk = try #require(try await store.stores.registry.site(id: "CG-036", today: released))
        #expect(shrunk.slots.map(\.slot.id) == ["CG-036-01", "CG-036-02", "CG-036-03", "CG-036-04"])
        let live = try await store.stores.registry.registryState(today: released)
        #expect(!live.sites.contains { $0.site.id == "CG-030" } && live.sites.contains { $0.site.id == "CG-900" })
        #expect(try await store.count("SELECT COUNT(*) FROM site WHERE id = 'CG-030' AND retired_from = 2027") == 1)
        _ = try await allocation.act(year: 2027, action: .startSeason, by: .testAdmin, at: issuedDay)

        // In season: the renewal holder gives up; the first waiting is offered; nobody answers.
        let inSeason = Self.day("2027-07-01")
        let renewed = try #require(
            try await allocation.applications(season: 2027, district: nil, states: [.qualified]).first { $0.number == numbers[0] }?.permitNumber)
        let holder = Account(id: 20, username: "farmer0", role: .vendor, district: nil, vendorId: vendors[0])
        _ = try await allocation.surrender(permitNumber: renewed, by: holder, reason: nil, at: inSeason)
        let offers = try await allocation.offers(season: 2027, district: "CG")
        #expect(offers.count == 1 && offers[0].applicationNo == waiting[0] && offers[0].state == .open)
        #expect(try await allocation.offers(season: 2027, district: "XG").isEmpty)
        #expect(try await allocation.expireOffers(now: inSeason.addingTimeInterval(47 * 3600)) == 0)
        #expect(try await allocation.expireOffers(now: inSeason.addingTimeInterval(49 * 3600)) == 1)
        let after = try await allocation.offers(season: 2027, district: "CG")
        #expect(after.map(\.state).sorted { $0.rawValue < $1.rawValue } == [.expired, .open])
        #expect(after.first { $0.state == .open }?.applicationNo == waiting[1])
        // CG-001's list used up: the slot goes to the district's next in drawn order, who waited at CG-020.
        let atCG020 = try #require(results.waitlists["CG-020"]?.first)
        #expect(try await allocation.expireOffers(now: inSeason.addingTimeInterval(98 * 3600)) == 1)
        let last = try await allocation.offers(season: 2027, district: "CG").first { $0.state == .open }
        #expect(last?.applicationNo == atCG020 && last?.slotId == "CG-001-01")
    }

    @Test(
        "a planned season's registry from a file: the difference first, applied only when asked, IDs never reused for another place",
        arguments: StoreBackend.allCases)
    func seasonImport(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let allocation = store.workflows.allocation
        _ = try await allocation.openSeason(year: 2027, from: 2026, actor: "test", at: Fixtures.now)
        let seed = try String(contentsOf: Fixtures.seedDirectory.appendingPathComponent("sites.csv"), encoding: .utf8)
        var lines = seed.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let header = lines.removeFirst()
        // CG-001 gets five slots and moves ~110 m north; CG-002 is dropped; CG-900 is new.
        lines = lines.compactMap { line in
            var fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let columns = header.split(separator: ",").map(String.init)
            let at = { (name: String) in columns.firstIndex(of: name)! }
            if fields[at("site_id")] == "CG-002" { return nil }
            if fields[at("site_id")] == "CG-001" {
                fields[at("slots")] = "5"
                fields[at("lat")] = String(Double(fields[at("lat")])! + 0.001)
            }
            return fields.joined(separator: ",")
        }
        lines.append("CG-900,CG,新建瓜果摊点,兰州市城关区新建路1号,东岗街道,36.05,103.85,06:00,22:00,2")
        let file = Data(([header] + lines).joined(separator: "\n").utf8)

        let preview = try await allocation.importSeasonSites(csv: file, file: "2027.csv", season: 2027, apply: false, actor: "test", at: Fixtures.now)
        #expect(preview.added == ["CG-900 (2 slots)"] && preview.removed == ["CG-002"] && !preview.applied)
        #expect(preview.resized["CG-001"]! == (3, 5) && (105...120).contains(preview.moved["CG-001"]!))
        #expect(try await allocation.publicView(season: 2027).slots.count == 2059, "nothing written before it is confirmed")

        let applied = try await allocation.importSeasonSites(csv: file, file: "2027.csv", season: 2027, apply: true, actor: "test", at: Fixtures.now)
        #expect(applied.applied && applied.lines == preview.lines)
        let slots = try await allocation.publicView(season: 2027).slots
        let expected = 2059 - 10 + 2 + 2
        #expect(slots.count == expected, "CG-002 gone, CG-001 two more, CG-900 two new")
        #expect(slots.filter { $0.siteId == "CG-001" }.map(\.number) == [1, 2, 3, 4, 5])
        #expect(try await store.stores.registry.site(id: "CG-002", today: Fixtures.today) != nil, "the running season keeps its sites")
        #expect(try await store.stores.registry.site(id: "CG-001", today: Fixtures.today)?.slots.count == 3)
        let again = try await allocation.importSeasonSites(csv: file, file: "2027.csv", season: 2027, apply: false, actor: "test", at: Fixtures.now)
        #expect(again.isEmpty)

        // An ID that named a place elsewhere is not given to another place.
        let reused = Data((header + "\nCG-003,CG,别处,城关区别处,,36.10,103.90,06:00,22:00,2\n").utf8)
        await #expect(throws: RegistryImportError.self) {
            try await allocation.importSeasonSites(csv: reused, file: "bad.csv", season: 2027, apply: true, actor: "test", at: Fixtures.now)
        }
        // Only while the season is planned.
        _ = try await allocation.configure(
            year: 2027, .init(applicationsOpenOn: LocalDate("2027-03-01"), applicationsCloseOn: LocalDate("2027-03-31")), by: .testAdmin,
            at: Fixtures.now)
        _ = try await allocation.act(year: 2027, action: .openApplications, by: .testAdmin, at: Fixtures.now)
        await #expect(throws: AllocationError.self) {
            try await allocation.importSeasonSites(csv: file, file: "2027.csv", season: 2027, apply: true, actor: "test", at: Fixtures.now)
        }
    }
}
