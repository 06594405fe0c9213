import Foundation
import GRDB
import GuatanCore
import GuatanStoreInterface
import Testing

@testable import GuatanSQLite

@Suite("generate-season: a scaled registry and a season's history that the service reads as its own")
struct SeasonGeneratorTests {
    static let eve = BusinessTime.parseInstant("2026-06-14T18:00:00+08:00")!

    /// A seeded database scaled `scale` times, with issued permits on the first `permits` slots of CG-001…
    static func season(
        scale: Int, permits: Int, through: String, seed: UInt64 = 7
    ) async throws -> (TemporaryDataFolder, GuatanDatabase, GeneratedSeason) {
        let folder = try TemporaryDataFolder()
        let database = try await Fixtures.seededDatabase(in: folder)
        _ = try database.scaleRegistry(by: scale, now: eve)
        let vendors = try await Fixtures.vendors(database.workflows, count: permits)
        let slots = try await database.pool.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM slot WHERE id LIKE 'CG-%' ORDER BY id LIMIT ?", arguments: [permits])
        }
        for (vendorId, slotId) in zip(vendors, slots) {
            _ = try await database.workflows.permits.create(
                vendorId: vendorId, slotId: slotId, season: 2026, produce: ["西瓜"], state: .issued, by: .testAdmin, at: eve)
        }
        let generated = try database.generateSeasonHistory(season: 2026, through: LocalDate(through)!, seed: seed)
        return (folder, database, generated)
    }

    @Test("scale 3 copies every site and slot twice more, with valid IDs, positions beside Lanzhou and the R*Tree in step")
    func scaledRegistry() async throws {
        let folder = try TemporaryDataFolder()
        let database = try await Fixtures.seededDatabase(in: folder)
        let counts = try database.scaleRegistry(by: 3, now: Self.eve)
        #expect(counts.sites == 390 * 3 && counts.slots == 2_059 * 3)
        let state = try await database.registryState(today: Fixtures.today)
        for site in state.sites {
            #expect(RegistryRules.isValidSiteId(site.site.id, district: site.site.district), "\(site.site.id)")
        }
        let original = try #require(state.sites.first { $0.site.id == "CG-001" })
        let copy = try #require(state.sites.first { $0.site.id == "CG-2001" })
        #expect(copy.slots.count == original.slots.count && copy.slots.first?.slot.id == "CG-2001-01")
        #expect(abs(copy.site.position.lng - original.site.position.lng - 0.8) < 1e-9)
        // Nearby search finds the copy's stalls at the copy's place, and only those.
        let found = try await database.stallsNearby(center: copy.site.position, radiusMetres: 50, limit: 100, today: Fixtures.today)
        #expect(!found.isEmpty && found.allSatisfy { $0.stall.site.id == "CG-2001" })
        #expect(throws: StoreError.self) { try database.scaleRegistry(by: 2, now: Self.eve) }
    }

    @Test("a week of season: check-ins within the rules, reports whose timelines end in their state, points never below zero")
    func history() async throws {
        let (_, database, generated) = try await Self.season(scale: 1, permits: 60, through: "2026-06-21")
        #expect(generated.days == 7)
        // Absences: fewer check-ins than permits × days, but most vendors come.
        #expect(generated.checkIns < 60 * 7 && generated.checkIns > 60 * 7 / 2)
        #expect(generated.attempts > generated.checkIns)  // refused attempts too
        try await database.pool.read { db in
            // One check-in per permit and day, within the geofence, inside the hours, on season days.
            let outside = try Int.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) FROM checkin c JOIN permit p ON p.permit_no = c.permit_no
                    WHERE c.distance_m > 100 OR c.business_date < '2026-06-15' OR c.business_date > '2026-06-21'
                       OR substr(c.checked_in_at, 1, 10) <> c.business_date
                    """)
            #expect(outside == 0)
            // Every report's timeline starts with the citizen and ends in the report's state.
            let reports = try Row.fetchAll(db, sql: "SELECT id, state, due_at, closed_at FROM report")
            #expect(reports.count == generated.reports && generated.reports > 0)
            for report in reports {
                let events = try Row.fetchAll(
                    db, sql: "SELECT action, from_state, to_state FROM report_event WHERE report_id = ? ORDER BY id",
                    arguments: [report["id"] as String])
                #expect(events.first?["action"] as String? == "submit")
                #expect(events.last?["to_state"] as String? == report["state"] as String)
                for (previous, next) in zip(events, events.dropFirst()) {
                    #expect(previous["to_state"] as String == next["from_state"] as String)
                }
                if (report["state"] as String) == "closed" { #expect(report["closed_at"] as String? != nil && report["due_at"] as String? != nil) }
            }
            // No permit loses more than its twelve points in a month.
            let worst = try Int.fetchOne(
                db, sql: "SELECT COALESCE(MAX(total), 0) FROM (SELECT SUM(points) AS total FROM point_deduction GROUP BY permit_no, month)")
            #expect((worst ?? 0) < Scoring.monthlyPoints)
        }
        // The service reads it as its own: the statistics count the same check-ins and reports.
        let statistics = try await database.statistics(from: LocalDate("2026-06-15")!, to: LocalDate("2026-06-21")!)
        #expect(statistics.checkInRates.reduce(0) { $0 + $1.checkedIn } == generated.checkIns)
        #expect(statistics.reports.values.flatMap(\.values).reduce(0, +) == generated.reports)
        #expect(statistics.checkInRates.filter { $0.district == "AN" }.allSatisfy { $0.checkedIn == 0 })
    }

    @Test("the same seed makes the same season; another seed another")
    func deterministic() async throws {
        let (_, _, first) = try await Self.season(scale: 1, permits: 20, through: "2026-06-18", seed: 11)
        let (_, _, again) = try await Self.season(scale: 1, permits: 20, through: "2026-06-18", seed: 11)
        let (_, _, other) = try await Self.season(scale: 1, permits: 20, through: "2026-06-18", seed: 12)
        #expect(
            (first.checkIns, first.attempts, first.reports, first.reportEvents, first.inspections)
                == (again.checkIns, again.attempts, again.reports, again.reportEvents, again.inspections))
        #expect((first.checkIns, first.attempts, first.reportEvents) != (other.checkIns, other.attempts, other.reportEvents))
    }
}
