import Foundation
import GuatanCore
import GuatanSQLite
import GuatanServices
import GuatanStoreInterface
import Testing

@Suite("Permit store")
struct PermitStoreTests {
    @Test("many vendors racing for one slot: exactly one permit, the others a conflict", arguments: StoreBackend.allCases)
    func raceForOneSlot(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let vendorIds = try await Fixtures.vendors(store.workflows, count: 12)
        let outcomes = await withTaskGroup(of: Result<String, any Error>.self) { group in
            for vendorId in vendorIds {
                group.addTask {
                    do {
                        let record = try await store.workflows.permits.create(
                            vendorId: vendorId, slotId: "AN-001-01", season: 2026, produce: [], state: .issued, by: .testAdmin, at: Fixtures.now)
                        return .success(record.permit.number)
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var results: [Result<String, any Error>] = []
            for await result in group { results.append(result) }
            return results
        }
        let numbers = outcomes.compactMap { try? $0.get() }
        #expect(numbers == ["LZ2026-AN-000001"])
        for outcome in outcomes {
            if case .failure(let error) = outcome {
                #expect(error as? StoreError != nil, "a refusal, not a crash: \(error)")
            }
        }
    }

    @Test("one vendor racing for many slots: one permit", arguments: StoreBackend.allCases)
    func oneVendorManySlots(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let vendorId = try await Fixtures.vendors(store.workflows, count: 1)[0]
        let slots = (1...10).map { Slot.id(siteId: "AN-002", number: $0) }
        let created = await withTaskGroup(of: Bool.self) { group in
            for slot in slots {
                group.addTask {
                    (try? await store.workflows.permits.create(
                        vendorId: vendorId, slotId: slot, season: 2026, produce: [], state: .issued, by: .testAdmin, at: Fixtures.now)) != nil
                }
            }
            var count = 0
            for await ok in group where ok { count += 1 }
            return count
        }
        #expect(created == 1)
        #expect(try await store.stores.permits.permits(vendorId: vendorId).count == 1)
    }
}
