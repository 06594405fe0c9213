import Foundation
import GuatanStoreInterface
import Testing

@Suite("Request limits shared by instances: attempts and bytes per address and hour")
struct RequestLimitStoreTests {
    @Test("attempts count up to the limit; one more is refused and writes nothing; the next hour starts afresh", arguments: StoreBackend.allCases)
    func attempts(backend: StoreBackend) async throws {
        let store = try await backend.empty()
        let limits = try #require(store.stores.workflow as? any RequestLimitStore)
        for _ in 0..<3 {
            #expect(try await limits.countAttempt(address: "203.0.113.7", hour: 490_000, maxAttempts: 3, maxBytes: 1000))
        }
        #expect(try await !limits.countAttempt(address: "203.0.113.7", hour: 490_000, maxAttempts: 3, maxBytes: 1000))
        #expect(try await store.count("SELECT attempts FROM request_limit WHERE address = '203.0.113.7' AND hour = 490000") == 3)
        // Another address, another hour: their own counts.
        #expect(try await limits.countAttempt(address: "2001:db8::/64", hour: 490_000, maxAttempts: 3, maxBytes: 1000))
        #expect(try await limits.countAttempt(address: "203.0.113.7", hour: 490_001, maxAttempts: 3, maxBytes: 1000))
        try await limits.forgetLimits(before: 490_001)
        #expect(try await store.count("SELECT COUNT(*) FROM request_limit") == 1)
    }

    @Test("photo bytes add up to the budget; bytes past it are refused, and then attempts too", arguments: StoreBackend.allCases)
    func bytes(backend: StoreBackend) async throws {
        let store = try await backend.empty()
        let limits = try #require(store.stores.workflow as? any RequestLimitStore)
        #expect(try await limits.countAttempt(address: "a", hour: 1, maxAttempts: 10, maxBytes: 1000))
        #expect(try await limits.countBytes(address: "a", hour: 1, bytes: 600, maxBytes: 1000))
        #expect(try await !limits.countBytes(address: "a", hour: 1, bytes: 600, maxBytes: 1000))
        #expect(try await store.count("SELECT bytes FROM request_limit WHERE address = 'a'") == 600)
        #expect(try await limits.countBytes(address: "a", hour: 1, bytes: 400, maxBytes: 1000))
        #expect(try await !limits.countAttempt(address: "a", hour: 1, maxAttempts: 10, maxBytes: 1000), "the hour's bytes are spent")
    }

    @Test("many attempts at once from one address: exactly the limit gets through", arguments: StoreBackend.allCases)
    func concurrent(backend: StoreBackend) async throws {
        let store = try await backend.empty()
        let limits = try #require(store.stores.workflow as? any RequestLimitStore)
        let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<30 {
                group.addTask { try await limits.countAttempt(address: "b", hour: 7, maxAttempts: 10, maxBytes: 1000) }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 10)
    }
}
