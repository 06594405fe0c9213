import Foundation
import GuatanCore
import GuatanSQLite
import GuatanStoreInterface
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GuatanAPI

@Suite("Accounts and sign-in")
struct AccountTests {
    @Test("an administrator signs in, sees who he is, and signs out; the token then stops working")
    func signInAndOut() async throws {
        let service = try await TestService()
        try await service.addAccount("admin", role: .admin)
        try await service.run { client in
            let response = try await client.post("/api/v1/auth/login", json: #"{"username": "Admin", "password": "correct horse battery"}"#)
            #expect(response.status == .ok)
            #expect(response.headers[.cacheControl] == "no-store")
            let body = try response.json()
            let token = try #require(body["token"] as? String)
            #expect(token.count >= 43, "at least 256 bits")
            #expect(body["role"] as? String == "admin")
            #expect(body["expires_at"] as? String == "2026-07-22T09:00:00+08:00")
            #expect(!response.text.contains("$2"), "no password hash")
            let auth: HTTPFields = [.authorization: "Bearer \(token)"]

            let me = try await client.get("/api/v1/me", headers: auth).json()
            #expect(me["username"] as? String == "admin")
            #expect(me["role"] as? String == "admin")
            #expect(me["district"] == nil)

            let logout = try await client.execute(uri: "/api/v1/auth/logout", method: .post, headers: auth)
            #expect(logout.status == .noContent)
            try await client.get("/api/v1/me", headers: auth).expectError(.unauthorized, code: "UNAUTHENTICATED")
        }
    }

    @Test("tokens are stored only as hashes")
    func tokensAreHashed() async throws {
        let service = try await TestService()
        try await service.addAccount("admin", role: .admin)
        let folder = service.folder.url
        try await service.run { client in
            let auth = try await client.signIn("admin")
            let token = try #require(auth[.authorization]?.split(separator: " ").last.map(String.init))
            let file = try Data(contentsOf: folder.appendingPathComponent(GuatanDatabase.fileName))
            let wal = (try? Data(contentsOf: folder.appendingPathComponent(GuatanDatabase.fileName + "-wal"))) ?? Data()
            #expect(file.range(of: Data(token.utf8)) == nil && wal.range(of: Data(token.utf8)) == nil)
            #expect(file.range(of: Data(TestService.password.utf8)) == nil && wal.range(of: Data(TestService.password.utf8)) == nil)
        }
    }

    @Test("wrong passwords and unknown names get the same 401; missing or bad tokens get 401")
    func refusals() async throws {
        let service = try await TestService()
        try await service.addAccount("admin", role: .admin)
        try await service.run { client in
            let wrong = try await client.post("/api/v1/auth/login", json: #"{"username": "admin", "password": "not the password"}"#)
            let unknown = try await client.post("/api/v1/auth/login", json: #"{"username": "nobody", "password": "not the password"}"#)
            let a = try wrong.expectError(.unauthorized, code: "UNAUTHENTICATED")
            let b = try unknown.expectError(.unauthorized, code: "UNAUTHENTICATED")
            #expect(a["message"] as? String == b["message"] as? String)

            try await client.get("/api/v1/me").expectError(.unauthorized, code: "UNAUTHENTICATED")
            for header in ["Bearer nonsense", "Basic YWRtaW46eA==", "Bearer", "Bearer \(String(repeating: "x", count: 500))"] {
                try await client.get("/api/v1/me", headers: [.authorization: header]).expectError(.unauthorized, code: "UNAUTHENTICATED")
            }
            // A bad token is refused even on a public route, so the client knows to sign in again.
            try await client.get("/api/v1/districts", headers: [.authorization: "Bearer nonsense"]).expectError(
                .unauthorized, code: "UNAUTHENTICATED")
        }
    }

    @Test("an expired session is refused")
    func expiry() async throws {
        let service = try await TestService()
        try await service.addAccount("admin", role: .admin)
        let database = service.database
        try await service.run { client in
            let auth = try await client.signIn("admin")
            let token = try #require(auth[.authorization]?.split(separator: " ").last.map(String.init))
            // Seen from eight days later, the seven-day session is over.
            let later = TestService.midSeason.addingTimeInterval(8 * 86_400)
            let hash = SHA256Hex.of(token)
            #expect(try await database.session(tokenHash: hash, at: TestService.midSeason) != nil)
            #expect(try await database.session(tokenHash: hash, at: later) == nil)
        }
    }

    @Test("a session in memory is not served past its end, nor after signing out, though it was just used")
    func cachedSessionEnds() async throws {
        let time = TestTime(TestService.midSeason)
        let service = try await TestService(clock: time.clock)
        try await service.addAccount("admin", role: .admin)
        try await service.run { client in
            let auth = try await client.signIn("admin")
            #expect(try await client.get("/api/v1/me", headers: auth).status == .ok)
            time.set("2026-07-22T09:00:01+08:00")
            try await client.get("/api/v1/me", headers: auth).expectError(.unauthorized, code: "UNAUTHENTICATED")
            let again = try await client.signIn("admin")
            #expect(try await client.get("/api/v1/me", headers: again).status == .ok)
            #expect(try await client.post("/api/v1/auth/logout", json: "{}", headers: again).status == .noContent)
            try await client.get("/api/v1/me", headers: again).expectError(.unauthorized, code: "UNAUTHENTICATED")
        }
    }

    @Test("five failed sign-ins from one address hold that address back with Retry-After (the other addresses: tests/e2e/test_security.py)")
    func throttling() async throws {
        let service = try await TestService()
        try await service.addAccount("officer1", role: .officer, district: "CG")
        try await service.run { client in
            let attacker: HTTPFields = [:]
            for _ in 0..<5 {
                let response = try await client.post(
                    "/api/v1/auth/login", json: #"{"username": "officer1", "password": "guess guess"}"#, headers: attacker)
                #expect(response.status == .unauthorized)
            }
            let blocked = try await client.post(
                "/api/v1/auth/login", json: #"{"username": "officer1", "password": "correct horse battery"}"#, headers: attacker)
            try blocked.expectError(.tooManyRequests, code: "RATE_LIMITED")
            let retry = try #require(blocked.headers[.retryAfter].flatMap { Int($0) })
            #expect(retry > 0 && retry <= 30)
        }
    }

    @Test("parallel guesses are counted one after the other: no more than five pass the limit")
    func parallelGuesses() async throws {
        let service = try await TestService()
        try await service.addAccount("officer1", role: .officer, district: "CG")
        try await service.run { client in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await client.post("/api/v1/auth/login", json: #"{"username": "officer1", "password": "guess guess"}"#).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .unauthorized }.count == 5, "\(statuses)")
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 15)
        }
    }

    @Test("when bcrypt's queue is full a sign-in is told to come back (429), and no failure is counted against the user")
    func bcryptQueueFull() async throws {
        let pool = BcryptPool(threads: 1, maxPending: 1)
        let service = try await TestService { $0.passwords = PasswordHasher(cost: 4, pool: pool) }
        try await service.addAccount("officer1", role: .officer, district: "CG")
        try await service.run { client in
            // Occupy the single place with work that ends only when the test says so.
            let release = DispatchSemaphore(value: 0)
            let slow = Task { try await pool.run(bounded: false) { release.wait() } }
            while pool.inFlight == 0 { try await Task.sleep(for: .milliseconds(5)) }
            let busy = try await client.post("/api/v1/auth/login", json: #"{"username": "officer1", "password": "correct horse battery"}"#)
            try busy.expectError(.tooManyRequests, code: "RATE_LIMITED")
            #expect(busy.headers[.retryAfter] != nil)
            release.signal()
            _ = try await slow.value
            _ = try await client.signIn("officer1")
        }
    }

    @Test("malformed sign-in requests get 400, 413 or 415, never a 500")
    func malformedLogin() async throws {
        try await TestService().run { client in
            try await client.post("/api/v1/auth/login", json: "{").expectError(.badRequest, code: "VALIDATION_FAILED")
            try await client.post("/api/v1/auth/login", json: #"{"username": "a"}"#).expectError(
                .badRequest, code: "VALIDATION_FAILED", field: "password")
            try await client.post("/api/v1/auth/login", json: #"{"username": 5, "password": "x"}"#).expectError(
                .badRequest, code: "VALIDATION_FAILED", field: "username")
            try await client.post("/api/v1/auth/login", json: "[]").expectError(.badRequest, code: "VALIDATION_FAILED")
            let form = try await client.execute(
                uri: "/api/v1/auth/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "username=a&password=b"))
            try form.expectError(.unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE")
            let huge = #"{"username": "a", "password": "\#(String(repeating: "x", count: 10_000))"}"#
            try await client.post("/api/v1/auth/login", json: huge).expectError(.contentTooLarge, code: "TOO_LARGE")
        }
    }

    @Test("an administrator creates officers bound to a district; the officer can sign in")
    func createOfficer() async throws {
        let service = try await TestService()
        try await service.addAccount("admin", role: .admin)
        let database = service.database
        try await service.run { client in
            let auth = try await client.signIn("admin")
            let created = try await client.post(
                "/api/v1/admin/users", json: #"{"username": "qlh.wang", "password": "summer melons 2026", "role": "officer", "district": "qlh"}"#,
                headers: auth)
            #expect(created.status == .created, "\(created.text)")
            let body = try created.json()
            #expect(body["district"] as? String == "QLH")
            #expect(body["role"] as? String == "officer")
            #expect(!created.text.contains("password"))

            let officer = try await client.signIn("qlh.wang", password: "summer melons 2026")
            let me = try await client.get("/api/v1/me", headers: officer).json()
            #expect(me["district"] as? String == "QLH")

            let trail = try await database.auditTrail(entity: "account", id: "qlh.wang")
            #expect(trail.map(\.action) == ["account.create"])
            #expect(trail.first?.actor == "account:admin")
            #expect(trail.first?.after?.contains("summer") == false, "the audit log never holds a password")

            let again = try await client.post(
                "/api/v1/admin/users", json: #"{"username": "qlh.wang", "password": "another long one", "role": "officer", "district": "QLH"}"#,
                headers: auth)
            try again.expectError(.conflict, code: "CONFLICT")
        }
    }

    @Test(
        "account creation checks every field",
        arguments: [
            (#"{"username": "x", "password": "long enough pw", "role": "admin"}"#, "username"),
            (#"{"username": "Bad Name", "password": "long enough pw", "role": "admin"}"#, "username"),
            (#"{"username": "newadmin", "password": "short", "role": "admin"}"#, "password"),
            (#"{"username": "newadmin", "password": "newadmin", "role": "admin"}"#, "password"),
            (#"{"username": "newadmin", "password": "long enough pw", "role": "boss"}"#, "role"),
            (#"{"username": "newadmin", "password": "long enough pw", "role": "vendor"}"#, "role"),
            (#"{"username": "newofficer", "password": "long enough pw", "role": "officer"}"#, "district"),
            (#"{"username": "newofficer", "password": "long enough pw", "role": "officer", "district": "ZZ"}"#, "district"),
            (#"{"username": "newadmin", "password": "long enough pw", "role": "admin", "district": "CG"}"#, "district"),
            (#"{"username": "newadmin", "role": "admin"}"#, "password"),
        ])
    func accountValidation(json: String, field: String) async throws {
        let service = try await TestService()
        try await service.addAccount("admin", role: .admin)
        try await service.run { client in
            let auth = try await client.signIn("admin")
            try await client.post("/api/v1/admin/users", json: json, headers: auth).expectError(.badRequest, code: "VALIDATION_FAILED", field: field)
        }
    }

    @Test("only administrators create accounts: 401 without a token, 403 for an officer")
    func adminOnly() async throws {
        let service = try await TestService()
        try await service.addAccount("cg.li", role: .officer, district: "CG")
        try await service.run { client in
            let json = #"{"username": "sneaky", "password": "long enough pw", "role": "admin"}"#
            try await client.post("/api/v1/admin/users", json: json).expectError(.unauthorized, code: "UNAUTHENTICATED")
            let officer = try await client.signIn("cg.li")
            try await client.post("/api/v1/admin/users", json: json, headers: officer).expectError(.forbidden, code: "FORBIDDEN")
        }
    }
}
