import Foundation
import GuatanCore
import GuatanStoreInterface

extension SQLStore {
    public func countAttempt(address: String, hour: Int64, maxAttempts: Int, maxBytes: Int) async throws -> Bool {
        // One statement: counted only while under both limits; over them, the upsert's
        // condition fails and nothing changes.
        try await sqlWrite { db in
            (try db.value(
                """
                INSERT INTO request_limit (address, hour, attempts, bytes) VALUES (?, ?, 1, 0)
                ON CONFLICT (address, hour) DO UPDATE SET attempts = request_limit.attempts + 1
                WHERE request_limit.attempts < ? AND request_limit.bytes < ?
                RETURNING attempts
                """, [address, hour, maxAttempts, maxBytes]) as Int?) != nil
        }
    }

    public func countBytes(address: String, hour: Int64, bytes: Int, maxBytes: Int) async throws -> Bool {
        try await sqlWrite { db in
            try db.run(
                "UPDATE request_limit SET bytes = bytes + ? WHERE address = ? AND hour = ? AND bytes + ? <= ?",
                [bytes, address, hour, bytes, maxBytes]) > 0
        }
    }

    public func forgetLimits(before hour: Int64) async throws {
        _ = try await sqlWrite { db in try db.run("DELETE FROM request_limit WHERE hour < ?", [hour]) }
    }
}
