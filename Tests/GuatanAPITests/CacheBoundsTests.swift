import NIOCore
import Testing

@testable import GuatanAPI

@Suite("Security review: caches bounded in bytes and keyed by the parsed filter")
struct CacheBoundsTests {
    @Test("a micro-cache never holds more bytes than its bound, however many keys a crawler tries")
    func microCacheBytes() {
        let cache = MicroCache(name: "test_bounds", capacity: 100_000, maxBytes: 1 << 20)
        let body = ByteBuffer(bytes: [UInt8](repeating: 7, count: 100_000))
        for n in 0..<500 {
            cache.store(body, for: "key-\(n)", readAt: cache.generation)
            #expect(cache.byteCount <= 1 << 20)
        }
        // A body larger than an eighth of the bound is not kept at all.
        cache.removeAll()
        cache.store(ByteBuffer(bytes: [UInt8](repeating: 1, count: 200_000)), for: "big", readAt: cache.generation)
        #expect(cache.byteCount == 0)
    }
}
