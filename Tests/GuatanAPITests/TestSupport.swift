import Crypto
import Foundation
import GuatanAPI
import GuatanCore
import GuatanSQLite
import GuatanServices
import GuatanStoreInterface
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

/// A fresh data folder per test, removed afterwards.
final class TemporaryDataFolder: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("guatan-api-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}

enum Repo {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let seed = root.appendingPathComponent("seed", isDirectory: true)
    static let publicDirectory = root.appendingPathComponent("public", isDirectory: true)
}

/// A clock a test moves by hand (the month turns, a season passes).
final class TestTime: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date) {
        current = Mutex(start)
    }

    var now: Date { current.withLock { $0 } }

    func set(_ instant: String) {
        current.withLock { $0 = BusinessTime.parseInstant(instant)! }
    }

    var clock: ServiceClock { ServiceClock { self.now } }
}

/// The real router over a real, seeded SQLite database in a temporary folder.
struct TestService {
    static let midSeason = BusinessTime.parseInstant("2026-07-15T09:00:00+08:00")!
    /// bcrypt's lowest cost keeps the tests quick; the service uses 12.
    /// The tests run side by side: their own pool, with room for all of them.
    static let passwords = PasswordHasher(cost: 4, pool: BcryptPool(threads: 2, maxPending: 100_000))
    static let password = "correct horse battery"

    /// Creates an account straight in the store, as `guatan user add` does.
    @discardableResult
    func addAccount(_ username: String, role: Role, district: String? = nil) async throws -> Account {
        try await database.workflows.accounts.createAccount(
            username: username, passwordHash: try await Self.passwords.hash(Self.password), role: role, district: district,
            vendorId: nil, actor: "test", at: Self.midSeason)
    }

    let folder: TemporaryDataFolder
    let database: GuatanDatabase
    let built: GuatanRouter

    init(
        now: Date = TestService.midSeason, reportRate: Int = 100, clock: ServiceClock? = nil,
        configure: (inout GuatanServiceConfiguration) -> Void = { _ in }
    ) async throws {
        folder = try TemporaryDataFolder()
        if now == Self.midSeason {
            // The seeded registry is built once per run and copied: not imported again per test.
            try FileManager.default.copyItem(at: try await SeededTemplate.file.value, to: folder.url.appendingPathComponent(GuatanDatabase.fileName))
        }
        database = try GuatanDatabase(dataDirectory: folder.url)
        try await database.workflows.registry.loadSeedIfNeeded(from: Repo.seed, now: now)
        var logger = Logger(label: "guatan.test")
        logger.logLevel = .warning
        var configuration = GuatanServiceConfiguration(
            publicDirectory: Repo.publicDirectory, clock: clock ?? .fixed(now), passwords: TestService.passwords,
            personalDataKey: try PersonalDataKey.loadOrCreate(in: folder.url), reportRatePerHour: reportRate)
        // Tests run wherever the temporary folder is; only the tests of the disk limit set one.
        configuration.minimumFreeBytes = 0
        configure(&configuration)
        built = buildRouter(configuration: configuration, stores: GuatanStores(database: database), logger: logger)
    }

    func run(_ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: built.router, logger: Logger(label: "guatan.test"))
        try await app.test(.router) { client in try await test(client) }
    }
}

extension TestClientProtocol {
    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: headers)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    /// The body as a JSON object; records a test issue when it is not one.
    func json(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(buffer: body))
        return try #require(value as? [String: Any], "not a JSON object: \(text)", sourceLocation: sourceLocation)
    }

    /// Asserts the documented error format and returns the error code and field.
    @discardableResult
    func expectError(
        _ status: HTTPResponse.Status, code: String, field: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [String: Any] {
        #expect(self.status == status, "\(self.status) \(text)", sourceLocation: sourceLocation)
        #expect(headers[.contentType]?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
        let error = try #require(try json()["error"] as? [String: Any], "no error object in \(text)", sourceLocation: sourceLocation)
        #expect(error["code"] as? String == code, "\(text)", sourceLocation: sourceLocation)
        #expect((error["message"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
        if let field {
            #expect(error["field"] as? String == field, "\(text)", sourceLocation: sourceLocation)
        }
        return error
    }
}

extension String {
    /// Percent-encodes a query value as a browser would.
    var queryEncoded: String {
        addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~")))!
    }
}

extension TestClientProtocol {
    func post(_ uri: String, json: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = headers
        fields[.contentType] = "application/json"
        return try await execute(uri: uri, method: .post, headers: fields, body: ByteBuffer(string: json))
    }

    /// Signs in and returns the Authorization header for the token.
    func signIn(
        _ username: String, password: String = TestService.password, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> HTTPFields {
        let response = try await post("/api/v1/auth/login", json: #"{"username": "\#(username)", "password": "\#(password)"}"#)
        #expect(response.status == .ok, "\(response.text)", sourceLocation: sourceLocation)
        let token = try #require(try response.json()["token"] as? String, sourceLocation: sourceLocation)
        return [.authorization: "Bearer \(token)"]
    }
}

enum SHA256Hex {
    static func of(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// A `multipart/form-data` body as a browser's form would send it.
struct MultipartBody {
    static let boundary = "----guatan-test-boundary-7d3c"
    var parts: [(name: String, filename: String?, contentType: String?, bytes: [UInt8])] = []

    mutating func field(_ name: String, _ value: String) {
        parts.append((name, nil, nil, Array(value.utf8)))
    }

    mutating func file(_ name: String, filename: String, contentType: String, _ bytes: [UInt8]) {
        parts.append((name, filename, contentType, bytes))
    }

    var buffer: ByteBuffer {
        var out: [UInt8] = []
        for part in parts {
            var head = "--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\""
            if let filename = part.filename { head += "; filename=\"\(filename)\"" }
            head += "\r\n"
            if let type = part.contentType { head += "Content-Type: \(type)\r\n" }
            head += "\r\n"
            out += Array(head.utf8) + part.bytes + Array("\r\n".utf8)
        }
        out += Array("--\(Self.boundary)--\r\n".utf8)
        return ByteBuffer(bytes: out)
    }
}

extension TestClientProtocol {
    func post(_ uri: String, form: MultipartBody, headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = headers
        fields[.contentType] = "multipart/form-data; boundary=\(MultipartBody.boundary)"
        return try await execute(uri: uri, method: .post, headers: fields, body: form.buffer)
    }
}

extension Account {
    /// An administrator for tests that set up data through the workflows.
    static let testAdmin = Account(id: 0, username: "test", role: .admin, district: nil, vendorId: nil)
}

extension GuatanDatabase {
    var workflows: GuatanWorkflows { GuatanWorkflows(store: self) }
}

/// A database with the seed registry loaded at mid-season, made once per test run.
enum SeededTemplate {
    static let file = Task<URL, any Error> {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("guatan-template-\(UUID().uuidString)", isDirectory: true)
        let database = try GuatanDatabase(dataDirectory: folder)
        try await database.workflows.registry.loadSeedIfNeeded(from: Repo.seed, now: TestService.midSeason)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("guatan-template-\(UUID().uuidString).sqlite")
        _ = try database.backup(to: file)
        try? FileManager.default.removeItem(at: folder)
        return file
    }
}
