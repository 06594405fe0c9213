import Foundation
import GuatanPostgres
import Logging
import PostgresNIO

/// The tests' PostgreSQL server: `GUATAN_TEST_POSTGRES` when it is set (`make test` starts
/// one), otherwise the repository's throwaway server, started by `tests/postgres.sh start`.
public enum TestPostgres {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static let server = Task<PostgresLocation, any Error> {
        if let url = ProcessInfo.processInfo.environment["GUATAN_TEST_POSTGRES"], !url.isEmpty {
            return try PostgresLocation(url: url)
        }
        let process = Process()
        process.executableURL = repository.appendingPathComponent("tests/postgres.sh")
        process.arguments = ["start"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestPostgresError(message: "tests/postgres.sh start failed (status \(process.terminationStatus)); see its message above")
        }
        return try PostgresLocation(url: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    public static var logger: Logger {
        var logger = Logger(label: "guatan.test.postgres")
        logger.logLevel = .error
        return logger
    }

    /// A new, empty database of its own on the test server, dropped when `body` is done.
    public static func withDatabase<T>(_ body: (PostgresLocation) async throws -> T) async throws -> T {
        let server = try await server.value
        let name = "guatan_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await administer(server, "CREATE DATABASE \(name)")
        do {
            let result = try await body(server.database(name))
            try await administer(server, "DROP DATABASE \(name) WITH (FORCE)")
            return result
        } catch {
            try? await administer(server, "DROP DATABASE \(name) WITH (FORCE)")
            throw error
        }
    }

    /// A fresh store on a database of its own, migrated, shut down after `body`.
    public static func withStore<T>(_ body: (PostgresStore) async throws -> T) async throws -> T {
        try await withDatabase { location in
            let store = store(location, connections: 8)
            do {
                try await store.migrate()
                let result = try await body(store)
                await store.shutdown()
                return result
            } catch {
                await store.shutdown()
                throw error
            }
        }
    }

    /// A store for a test. The whole Swift suite runs at once on two cores and keeps Swift's
    /// threads busy, the connection pool's among them: a connection may take longer than the
    /// service's 5 s to come, which is not what these tests are about.
    public static func store(
        _ location: PostgresLocation, connections: Int, dataDirectory: URL = FileManager.default.temporaryDirectory
    ) -> PostgresStore {
        PostgresStore(location: location, dataDirectory: dataDirectory, logger: logger, connections: connections, leaseTimeout: .seconds(60))
    }

    /// One statement on the server's own database, outside any transaction (CREATE DATABASE).
    public static func administer(_ server: PostgresLocation, _ sql: String) async throws {
        let connection = try await PostgresConnection.connect(
            configuration: PostgresConnection.Configuration(
                host: server.host, port: server.port, username: server.username, password: server.password, database: server.database,
                tls: .disable),
            id: 1, logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

public struct TestPostgresError: Error, CustomStringConvertible {
    let message: String
    public var description: String { message }
}

/// A migrated PostgreSQL database of a test's own on the test server; its pool is shut down
/// and the database dropped when the test lets go of it.
public final class TestPostgresDatabase: Sendable {
    public let store: PostgresStore
    public let name: String
    public let server: PostgresLocation

    private init(store: PostgresStore, name: String, server: PostgresLocation) {
        self.store = store
        self.name = name
        self.server = server
    }

    public static func make(dataDirectory: URL) async throws -> TestPostgresDatabase {
        let server = try await TestPostgres.server.value
        let name = "guatan_s_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await TestPostgres.administer(server, "CREATE DATABASE \(name)")
        let store = TestPostgres.store(server.database(name), connections: 4, dataDirectory: dataDirectory)
        try await store.migrate()
        return TestPostgresDatabase(store: store, name: name, server: server)
    }

    deinit {
        let (store, name, server) = (store, name, server)
        Task {
            await store.shutdown()
            try? await TestPostgres.administer(server, "DROP DATABASE \(name) WITH (FORCE)")
        }
    }
}
