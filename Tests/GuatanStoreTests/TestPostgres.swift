import Foundation
import Logging
import PostgresNIO

@testable import GuatanPostgres

/// The tests' PostgreSQL server: `GUATAN_TEST_POSTGRES` when it is set (`make test` starts
/// one), otherwise the repository's throwaway server, started by `tests/postgres.sh start`.
enum TestPostgres {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let server = Task<PostgresLocation, any Error> {
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

    static var logger: Logger {
        var logger = Logger(label: "guatan.test.postgres")
        logger.logLevel = .error
        return logger
    }

    /// A new, empty database of its own on the test server, dropped when `body` is done.
    static func withDatabase<T>(_ body: (PostgresLocation) async throws -> T) async throws -> T {
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
    static func withStore<T>(_ body: (PostgresStore) async throws -> T) async throws -> T {
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
    static func store(
        _ location: PostgresLocation, connections: Int, dataDirectory: URL = FileManager.default.temporaryDirectory
    ) -> PostgresStore {
        PostgresStore(location: location, dataDirectory: dataDirectory, logger: logger, connections: connections, leaseTimeout: .seconds(60))
    }

    /// One statement on the server's own database, outside any transaction (CREATE DATABASE).
    static func administer(_ server: PostgresLocation, _ sql: String) async throws {
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

struct TestPostgresError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
