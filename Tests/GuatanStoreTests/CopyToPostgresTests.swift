import Foundation
import GuatanCore
import GuatanSQL
import GuatanServices
import GuatanStoreInterface
import GuatanTestSupport
import Testing

@testable import GuatanPostgres
@testable import GuatanSQLite

@Suite("copy-to-postgres: a generated season moved into PostgreSQL reads the same")
struct CopyToPostgresTests {
    @Test("maps, stall pages, lists, statistics and exports answer the same from the copy; new numbers continue after the copied ones")
    func sameAnswers() async throws {
        let (folder, sqlite, generated) = try await SeasonGeneratorTests.season(scale: 1, permits: 40, through: "2026-06-20")
        #expect(generated.checkIns > 0 && generated.reports > 0 && generated.inspections > 0)
        let database = try await TestPostgresDatabase.make(dataDirectory: folder.url)
        let postgres = database.store
        let report = try await postgres.copy(from: sqlite, batch: 300)
        #expect(report.rows.first { $0.table == "checkin" }?.count == generated.checkIns)
        #expect(report.sampled > 20)

        let day = LocalDate("2026-06-20")!
        let a = GuatanStores(database: sqlite)
        let b = GuatanStores(postgres: postgres)
        let stateA = try await a.registry.registryState(today: day)
        let stateB = try await b.registry.registryState(today: day)
        #expect(stateA.version == stateB.version)
        #expect(stateA.districts == stateB.districts)
        #expect(stateA.sites == stateB.sites, "the map's sites and their stalls' status")
        for slotId in ["CG-001-01", "CG-001-02", "CG-002-01", "AN-001-01"] {
            let stallA = try await a.registry.stall(slotId: slotId, today: day)
            let stallB = try await b.registry.stall(slotId: slotId, today: day)
            #expect(stallA == stallB, "stall \(slotId)")
        }
        let center = try #require(stateA.sites.first { $0.site.id == "CG-001" }).site.position
        let nearA = try await a.registry.stallsNearby(center: center, radiusMetres: 800, limit: 30, today: day)
        let nearB = try await b.registry.stallsNearby(center: center, radiusMetres: 800, limit: 30, today: day)
        #expect(nearA.map(\.stall) == nearB.map(\.stall) && nearA.map(\.distanceMetres) == nearB.map(\.distanceMetres))
        let sitesA = try await a.registry.sites(district: "CG", text: "路", page: PageRequest(perPage: 20))
        let sitesB = try await b.registry.sites(district: "CG", text: "路", page: PageRequest(perPage: 20))
        #expect(sitesA.total == sitesB.total && sitesA.items == sitesB.items)

        let reportsA = try await a.reports.reports(matching: ReportFilter(), page: PageRequest(perPage: 100))
        let reportsB = try await b.reports.reports(matching: ReportFilter(), page: PageRequest(perPage: 100))
        #expect(reportsA.total == reportsB.total && reportsA.items == reportsB.items)
        let first = try #require(reportsA.items.first)
        #expect(try await a.reports.report(id: first.id) == (try await b.reports.report(id: first.id)), "a case with its timeline")
        #expect(try await a.inspections.queue(district: "CG") == (try await b.inspections.queue(district: "CG")))
        let inspectionsA = try await a.inspections.inspections(slotId: nil, district: "CG", from: nil, to: nil, page: PageRequest(perPage: 50))
        let inspectionsB = try await b.inspections.inspections(slotId: nil, district: "CG", from: nil, to: nil, page: PageRequest(perPage: 50))
        #expect(inspectionsA.total == inspectionsB.total && inspectionsA.items == inspectionsB.items)
        #expect(
            try await a.inspections.coverageGaps(district: "CG", since: day) == (try await b.inspections.coverageGaps(district: "CG", since: day)))

        let from = LocalDate("2026-06-15")!
        let statisticsA = try await a.statistics.statistics(from: from, to: day)
        let statisticsB = try await b.statistics.statistics(from: from, to: day)
        #expect(statisticsA.checkInRates == statisticsB.checkInRates)
        #expect(statisticsA.reports == statisticsB.reports)
        #expect(statisticsA.casesWithLimit == statisticsB.casesWithLimit && statisticsA.closedWithinLimit == statisticsB.closedWithinLimit)
        #expect(statisticsA.inspectionsByDistrict == statisticsB.inspectionsByDistrict)
        #expect(statisticsA.hotspots.map(\.siteId) == statisticsB.hotspots.map(\.siteId))
        if let medianA = statisticsA.medianHandlingMinutes, let medianB = statisticsB.medianHandlingMinutes {
            #expect(abs(medianA - medianB) < 0.01, "handling time from julianday and from timestamps")
        } else {
            #expect(statisticsA.medianHandlingMinutes == nil && statisticsB.medianHandlingMinutes == nil)
        }
        #expect(try await a.statistics.idlePermits(on: day, minimumDays: 1) == (try await b.statistics.idlePermits(on: day, minimumDays: 1)))
        for kind in ExportKind.allCases {
            let exportA = try await a.statistics.export(kind, from: from, to: day)
            let exportB = try await b.statistics.export(kind, from: from, to: day)
            #expect(exportA == exportB, "export \(kind)")
            #expect(exportA.count > 1 || kind == .permits, "export \(kind) has rows")
        }

        // The copy is a working store: the next case and check-in are numbered after the copied ones.
        let before = try await b.reports.reports(matching: ReportFilter(), page: PageRequest(perPage: 1)).items.first?.id
        let submitted = try await GuatanWorkflows(store: postgres).reports.submit(
            ReportIntake(category: .hygiene, description: "垃圾未清理", subject: .slot("CG-001-01"), contactPhone: nil), photos: [],
            trackingHash: "copy-test", at: BusinessTime.parseInstant("2026-06-20T10:00:00+08:00")!)
        #expect(submitted.id != before && submitted.id > (before ?? ""))
    }
}
