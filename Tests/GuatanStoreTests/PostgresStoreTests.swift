import Foundation
import GuatanCore
import GuatanStoreInterface
import GuatanTestSupport
import PostgresNIO
import Testing

@testable import GuatanPostgres

@Suite("PostgreSQL store: location, migrations, errors")
struct PostgresStoreTests {
    @Test("a database URL is read as libpq writes it; anything else is a clear error")
    func location() throws {
        let plain = try PostgresLocation(url: "postgres://guatan@127.0.0.1:54329/guatan")
        #expect(plain.host == "127.0.0.1" && plain.port == 54329 && plain.username == "guatan" && plain.database == "guatan")
        #expect(plain.tls == .disable, "loopback needs no TLS")
        let remote = try PostgresLocation(url: "postgresql://app:s%40cret@db.lanzhou.internal/guatan?sslmode=require")
        #expect(remote.port == 5432 && remote.password == "s@cret" && remote.tls == .require)
        #expect(remote.description == "postgres://app@db.lanzhou.internal:5432/guatan", "the password never shows")
        #expect(try PostgresLocation(url: "postgres://app@db.example/guatan").tls == .prefer)
        for bad in ["", "guatan.sqlite", "mysql://app@db/guatan", "postgres://db/guatan", "postgres://app@db/", "postgres://app@db/x?sslmode=maybe"] {
            #expect(throws: ValidationError.self, "\(bad)") { try PostgresLocation(url: bad) }
        }
    }

    @Test("migrations split into statements outside quotes and comments")
    func statements() {
        let migration = PostgresMigration(
            "test",
            """
            -- a comment; with a semicolon
            CREATE TABLE a (x text DEFAULT 'a;b');
            INSERT INTO a VALUES ('it''s; fine');
            -- the end
            """)
        #expect(
            migration.statements == [
                "-- a comment; with a semicolon\nCREATE TABLE a (x text DEFAULT 'a;b')", "INSERT INTO a VALUES ('it''s; fine')",
            ])
        let starts = PostgresMigration.schema.sql.split(separator: "\n").filter {
            let line = $0.trimmingCharacters(in: .whitespaces)
            return line.hasPrefix("CREATE ") || line.hasPrefix("INSERT ")
        }
        #expect(PostgresMigration.schema.statements.count == starts.count, "one statement per CREATE or INSERT")
    }

    @Test("an empty database is migrated once, even by two instances starting together")
    func migratesOnce() async throws {
        try await TestPostgres.withDatabase { location in
            let first = TestPostgres.store(location, connections: 2)
            let second = TestPostgres.store(location, connections: 2)
            async let a = first.migrate()
            async let b = second.migrate()
            let applied = try await [a, b]
            #expect(
                applied.flatMap { $0 }.sorted() == [
                    "0001-schema", "0002-request-limits", "0003-registry-version-shards", "0004-allocation", "0005-retired-places", "0006-feedback",
                    "0007-voice-notes", "0008-feedback-retention",
                ],
                "each applied once, by one or the other")
            #expect(try await first.migrate() == [])
            #expect(
                try await second.appliedMigrations() == [
                    "0001-schema", "0002-request-limits", "0003-registry-version-shards", "0004-allocation", "0005-retired-places", "0006-feedback",
                    "0007-voice-notes", "0008-feedback-retention",
                ])
            let tables = try await first.blockingTransaction { connection in
                try connection.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")
                    .map { try $0.decode(String.self) }
            }
            #expect(tables.count == 44, "\(tables)")
            #expect(tables.contains("number_sequence") && tables.contains("schema_migration") && !tables.contains("slot_rtree"))
            await first.shutdown()
            await second.shutdown()
        }
    }

    @Test("a broken uniqueness rule is a conflict and the transaction leaves nothing behind")
    func conflictRollsBack() async throws {
        try await TestPostgres.withStore { store in
            try await store.blockingTransaction { connection in
                try connection.execute("INSERT INTO district (code, adcode, name, name_en) VALUES ('CG', '620102', '城关区', 'Chengguan')")
            }
            await #expect(throws: StoreError.self) {
                try await store.blockingTransaction { connection in
                    try connection.execute("INSERT INTO district (code, adcode, name, name_en) VALUES ('XG', '620104', '西固区', 'Xigu')")
                    try connection.execute("INSERT INTO district (code, adcode, name, name_en) VALUES ('CG', '620199', '城关区', 'Chengguan')")
                }
            }
            do {
                try await store.blockingTransaction { connection in
                    try connection.execute("INSERT INTO district (code, adcode, name, name_en) VALUES ('CG', '620199', 'x', 'x')")
                }
                Issue.record("the second CG was accepted")
            } catch let error as StoreError {
                guard case .conflict(let words) = error else {
                    Issue.record("expected a conflict, got \(error)")
                    return
                }
                #expect(words.contains("district_pkey"))
            }
            let codes = try await store.blockingTransaction { connection in
                try connection.query("SELECT code FROM district ORDER BY code").map { try $0.decode(String.self) }
            }
            #expect(codes == ["CG"], "XG went with the failed transaction")
        }
    }

    @Test("a server that cannot be reached is unavailable (503), soon, not a hang")
    func unreachable() async throws {
        let location = try PostgresLocation(url: "postgres://guatan@127.0.0.1:1/guatan")
        let store = PostgresStore(location: location, logger: TestPostgres.logger, connections: 2, leaseTimeout: .seconds(2))
        let started = ContinuousClock.now
        do {
            try await store.blockingTransaction { connection in try connection.execute("SELECT 1") }
            Issue.record("a query on port 1 succeeded")
        } catch let error as StoreError {
            guard case .unavailable = error else {
                Issue.record("expected unavailable, got \(error)")
                return
            }
        }
        // Without the lease timeout the pool waits about 67 s for its circuit breaker; the bound
        // is loose because the whole suite, running beside it, keeps Swift's threads busy.
        #expect(ContinuousClock.now - started < .seconds(40))
        await store.shutdown()
    }

    @Test("commits are durable: synchronous_commit is on for the store's connections")
    func synchronousCommit() async throws {
        try await TestPostgres.withStore { store in
            let setting = try await store.blockingTransaction { connection in
                try connection.query("SHOW synchronous_commit").map { try $0.decode(String.self) }.first
            }
            #expect(setting == "on")
        }
    }
}
