import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Synchronization
import Testing

@Suite("Workflow store: numbers, atomic transactions, announced changes (every backend)")
struct WorkflowStoreTests {
    @Test("reports submitted at once get distinct numbers one after another, none lost", arguments: StoreBackend.allCases)
    func numbersUnderConcurrency(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let reports = store.workflows.reports
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<24 {
                group.addTask {
                    try await reports.submit(
                        ReportIntake(category: .hygiene, description: "垃圾 \(index)", subject: .slot("CG-00\(index % 5 + 1)-01"), contactPhone: nil),
                        photos: [], trackingHash: "hash-\(index)", at: Fixtures.now
                    ).id
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(ids) == Set((1...24).map { "R" + zeroPadded($0, width: 6) }))
    }

    @Test("a transaction that fails writes nothing and announces nothing", arguments: StoreBackend.allCases)
    func failedTransactionLeavesNoTrace(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let seen = Mutex<[Set<StoreChange>]>([])
        store.stores.workflow.changes.subscribe { changes in seen.withLock { $0.append(changes) } }
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await store.stores.workflow.transaction { tx in
                try tx.audit(actor: "test", action: "test.write", entity: "test", entityId: "1", before: nil, after: nil, at: Fixtures.now)
                throw Refused()
            }
        }
        #expect(seen.withLock { $0 }.isEmpty)
        #expect(
            try await store.stores.audit.auditEntries(entity: "test", entityId: nil, actor: nil, page: try PageRequest(page: 1, perPage: 10)).total
                == 0)
    }

    @Test("a committed write announces what it changed: the page and the map status of a new permit's stall", arguments: StoreBackend.allCases)
    func committedChangesAnnounced(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let vendorId = try await Fixtures.vendors(store.workflows, count: 1)[0]
        let seen = Mutex<Set<StoreChange>>([])
        store.stores.workflow.changes.subscribe { changes in seen.withLock { $0.formUnion(changes) } }
        _ = try await store.workflows.permits.create(
            vendorId: vendorId, slotId: "CG-001-01", season: 2026, produce: [], state: .issued, by: .testAdmin, at: Fixtures.now)
        #expect(seen.withLock { $0 } == [.stallStatus(slotId: "CG-001-01"), .stall(slotId: "CG-001-01")])
    }

    @Test("the store never checks access: the services do, before anything is written", arguments: StoreBackend.allCases)
    func servicesCheckDistricts(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let xg = Account(id: 9, username: "xg.sun", role: .officer, district: "XG", vendorId: nil)
        let input = InspectionInput(
            slotId: "CG-001-01", result: .compliant, violations: [], note: nil, position: nil, resolvesReports: [], photos: [])
        await #expect(throws: AccessError.self) { _ = try await store.workflows.inspections.inspect(input, by: xg, at: Fixtures.now) }
        #expect(
            try await store.stores.inspections.inspections(
                slotId: "CG-001-01", district: nil, from: nil, to: nil, page: try PageRequest(page: 1, perPage: 10)
            ).total == 0)
    }
}
