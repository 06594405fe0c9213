import Foundation
import GuatanAPI
import GuatanCore
import GuatanSQLite
import GuatanStoreInterface
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Files of a folder, recursively (hidden ones too), empty when it does not exist.
func filesIn(_ folder: URL) -> [String] {
    (FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String] ?? []).filter { name in
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path, isDirectory: &isFolder) && !isFolder.boolValue
    }
}

@Suite("Security review: uploads that cost the sender, private photos")
struct UploadSecurityTests {
    /// 4 MB that start like a JPEG: what the review sent to fill the disk.
    static let junkJPEG: [UInt8] = [0xFF, 0xD8, 0xFF, 0xDA] + (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }

    static func reportForm(slot: String, photo: [UInt8]) -> MultipartBody {
        var form = MultipartBody()
        form.field("category", "hygiene")
        form.field("description", "摊位周围有垃圾")
        form.field("slot_id", slot)
        form.file("photo", filename: "a.jpg", contentType: "image/jpeg", photo)
        return form
    }

    @Test("a refused report leaves no photo on disk, and refused attempts count against the address's limit")
    func refusedReportsKeepNothing() async throws {
        let service = try await TestService(reportRate: 3)
        let data = service.folder.url
        try await service.run { client in
            // An unknown stall with a good photo, then a broken photo: both refused, nothing kept.
            try await client.post("/api/v1/reports", form: Self.reportForm(slot: "XX-999-99", photo: Scene.photo))
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "slot_id")
            let junk = try await client.post("/api/v1/reports", form: Self.reportForm(slot: "XX-999-99", photo: Self.junkJPEG))
            #expect([.badRequest, .unsupportedMediaType].contains(junk.status), "\(junk.text)")
            #expect(filesIn(data.appendingPathComponent("photos")).isEmpty)
            #expect(filesIn(data.appendingPathComponent("photo-staging")).isEmpty)
            // Two refusals used two of the hour's three attempts.
            let accepted = try await client.post("/api/v1/reports", form: Self.reportForm(slot: "CG-001-01", photo: Scene.photo))
            #expect(accepted.status == .created, "\(accepted.text)")
            #expect(filesIn(data.appendingPathComponent("photos")).count == 1)
            try await client.post("/api/v1/reports", json: #"{"category": "suggestion", "description": "再来一次", "slot_id": "CG-001-01"}"#)
                .expectError(.tooManyRequests, code: "RATE_LIMITED")
        }
    }

    @Test("an address that has sent its hour's photo bytes is refused before more are read")
    func uploadBudget() async throws {
        let service = try await TestService(reportRate: 100) { $0.reportUploadBytesPerHour = 6 << 20 }
        try await service.run { client in
            let first = try await client.post("/api/v1/reports", form: Self.reportForm(slot: "XX-999-99", photo: Self.junkJPEG))
            #expect(first.status != .tooManyRequests)
            try await client.post("/api/v1/reports", form: Self.reportForm(slot: "XX-999-99", photo: Self.junkJPEG))
                .expectError(.tooManyRequests, code: "RATE_LIMITED")
            try await client.post("/api/v1/reports", form: Self.reportForm(slot: "CG-001-01", photo: Scene.photo))
                .expectError(.tooManyRequests, code: "RATE_LIMITED")
        }
    }

    @Test("below --min-free-mb photos are refused with 503 while a report without photos is taken")
    func photosNeedRoom() async throws {
        let service = try await TestService { $0.minimumFreeBytes = Int64.max / 2 }
        let staging = service.folder.url.appendingPathComponent("photo-staging")
        try await service.run { client in
            let refused = try await client.post("/api/v1/reports", form: Self.reportForm(slot: "CG-001-01", photo: Scene.photo))
            try refused.expectError(.serviceUnavailable, code: "UNAVAILABLE")
            #expect(refused.headers[.retryAfter] != nil)
            let plain = try await client.post(
                "/api/v1/reports", json: #"{"category": "hygiene", "description": "摊位周围有垃圾", "slot_id": "CG-001-01"}"#)
            #expect(plain.status == .created, "\(plain.text)")
            #expect(filesIn(staging).isEmpty)
        }
    }

    @Test("inspection photos: the district's officers and administrators see them, the public and other districts do not")
    func inspectionPhotosArePrivate() async throws {
        let service = try await Scene.permitIssued()
        try await service.run { client in
            let cg = try await client.signIn("cg.li")
            var form = MultipartBody()
            form.field("slot_id", "CG-001-01")
            form.field("result", "compliant")
            form.file("photo", filename: "a.jpg", contentType: "image/jpeg", Scene.photo)
            let inspection = try await client.post("/api/v1/inspections", form: form, headers: cg)
            #expect(inspection.status == .created, "\(inspection.text)")
            let url = try #require((try inspection.json()["photos"] as? [String])?.first)
            try await client.get(url).expectError(.notFound, code: "NOT_FOUND")
            try await client.get(url, headers: try await client.signIn("xg.sun")).expectError(.notFound, code: "NOT_FOUND")
            try await client.get(url, headers: try await client.signIn("zhangsan")).expectError(.notFound, code: "NOT_FOUND")
            let seen = try await client.get(url, headers: cg)
            #expect(seen.status == .ok)
            #expect(seen.headers[.cacheControl] == "private, no-store")
            #expect(try await client.get(url, headers: try await client.signIn("admin")).status == .ok)
        }
    }

    @Test("the sweep removes photos no row refers to and moves in a staged photo whose row committed")
    func sweep() async throws {
        let folder = try TemporaryDataFolder()
        let files = PhotoFiles(dataDirectory: folder.url)
        let kept = try files.stage([1, 2, 3], id: String(repeating: "a", count: 64), type: .jpeg)
        let orphan = try files.stage([4, 5, 6], id: String(repeating: "b", count: 64), type: .png)
        try files.promote([orphan])
        let abandoned = try files.stage([7, 8], id: String(repeating: "c", count: 64), type: .webp)
        _ = abandoned
        let result = try await files.sweep(stagedBefore: nil) { [String(repeating: "a", count: 64)] }
        #expect(result.movedIn == 1)
        #expect(result.removed == 2)
        #expect(filesIn(files.directory) == [kept.photo.fileNameForTests])
        #expect(filesIn(files.staging).isEmpty)
        // A staged file younger than the cut-off belongs to a request in flight and stays.
        let inFlight = try files.stage([9], id: String(repeating: "d", count: 64), type: .jpeg)
        try await files.sweep(stagedBefore: Date().addingTimeInterval(-3600)) { [] }
        #expect(filesIn(files.staging).count == 1)
        files.discard([inFlight])
    }
}

extension StoredPhoto {
    var fileNameForTests: String { "\(id).\(type.fileExtension)" }
}

@Suite("Security review: access can be taken back")
struct AccountLifecycleTests {
    @Test("an administrator disables an officer: his sessions end at once, he cannot sign in; enabled, he can; both audited")
    func disableAndEnable() async throws {
        let service = try await Scene.people()
        try await service.run { client in
            let admin = try await client.signIn("admin")
            let phone = try await client.signIn("cg.li")
            #expect(try await client.get("/api/v1/me", headers: phone).status == .ok)
            try await client.post("/api/v1/admin/users/cg.li/disable", json: "{}", headers: phone).expectError(.forbidden, code: "FORBIDDEN")
            let disabled = try await client.post("/api/v1/admin/users/cg.li/disable", json: "{}", headers: admin)
            #expect(disabled.status == .ok, "\(disabled.text)")
            #expect(try disabled.json()["disabled_at"] as? String != nil)
            #expect(try disabled.json()["live_sessions"] as? Int == 0)
            try await client.get("/api/v1/me", headers: phone).expectError(.unauthorized, code: "UNAUTHENTICATED")
            try await client.post("/api/v1/auth/login", json: #"{"username": "cg.li", "password": "\#(TestService.password)"}"#)
                .expectError(.unauthorized, code: "UNAUTHENTICATED")
            let listed = try #require(try await client.get("/api/v1/admin/users", headers: admin).json()["items"] as? [[String: Any]])
            #expect(listed.first { $0["username"] as? String == "cg.li" }?["disabled_at"] as? String != nil)
            #expect(try await client.post("/api/v1/admin/users/cg.li/enable", json: "{}", headers: admin).status == .ok)
            _ = try await client.signIn("cg.li")
            try await client.post("/api/v1/admin/users/nobody/disable", json: "{}", headers: admin).expectError(.notFound, code: "NOT_FOUND")
            let audit = try #require(
                try await client.get("/api/v1/admin/audit?entity=account&entity_id=cg.li", headers: admin).json()["items"] as? [[String: Any]])
            #expect(Set(audit.compactMap { $0["action"] as? String }).isSuperset(of: ["account.disable", "account.enable"]))
        }
    }

    @Test("the last active administrator cannot be disabled")
    func lastAdmin() async throws {
        let service = try await Scene.people()
        try await service.run { client in
            let admin = try await client.signIn("admin")
            try await client.post("/api/v1/admin/users/admin/disable", json: "{}", headers: admin).expectError(.conflict, code: "CONFLICT")
            #expect(try await client.get("/api/v1/me", headers: admin).status == .ok)
        }
    }

    @Test("every role changes its own password with the old one; its other sessions end, this one goes on")
    func changePassword() async throws {
        let service = try await Scene.people()
        try await service.run { client in
            let phone = try await client.signIn("zhangsan")
            let desk = try await client.signIn("zhangsan")
            try await client.post(
                "/api/v1/me/password", json: #"{"old_password": "wrong wrong", "new_password": "a new long password"}"#, headers: desk
            )
            .expectError(.badRequest, code: "VALIDATION_FAILED", field: "old_password")
            try await client.post(
                "/api/v1/me/password", json: #"{"old_password": "\#(TestService.password)", "new_password": "short"}"#, headers: desk
            )
            .expectError(.badRequest, code: "VALIDATION_FAILED", field: "password")
            let changed = try await client.post(
                "/api/v1/me/password", json: #"{"old_password": "\#(TestService.password)", "new_password": "a new long password"}"#, headers: desk)
            #expect(changed.status == .noContent, "\(changed.text)")
            try await client.get("/api/v1/me", headers: phone).expectError(.unauthorized, code: "UNAUTHENTICATED")
            #expect(try await client.get("/api/v1/me", headers: desk).status == .ok)
            try await client.post("/api/v1/auth/login", json: #"{"username": "zhangsan", "password": "\#(TestService.password)"}"#)
                .expectError(.unauthorized, code: "UNAUTHENTICATED")
            _ = try await client.signIn("zhangsan", password: "a new long password")
            try await client.post("/api/v1/me/password", json: #"{"old_password": "x", "new_password": "a new long password"}"#)
                .expectError(.unauthorized, code: "UNAUTHENTICATED")
        }
    }
}

@Suite("Security review: headers on every answer, no posts from other sites")
struct SecurityHeaderTests {
    @Test("pages may not be framed, load only their own scripts and styles, and the tracking page sends no referrer")
    func pageHeaders() async throws {
        let service = try await TestService { $0.webMap.tileURL = "https://{s}.tiles.example.cn/{z}/{x}/{y}.png" }
        try await service.run { client in
            for page in ["/admin.html", "/officer.html", "/index.html", "/track.html", "/s/CG-001-01", "/sites/CG-001/codes"] {
                let response = try await client.get(page)
                #expect(response.status == .ok, "\(page)")
                let policy = try #require(response.headers[.contentSecurityPolicy], "\(page)")
                #expect(policy.contains("frame-ancestors 'none'"), "\(page)")
                #expect(policy.contains("script-src 'self'"), "\(page)")
                #expect(!policy.contains("unsafe-inline"), "\(page)")
                #expect(response.headers[.xFrameOptionsTest] == "DENY", "\(page)")
                #expect(response.headers[.xContentTypeOptionsTest] == "nosniff", "\(page)")
                #expect(response.headers[.permissionsPolicyTest]?.contains("geolocation=(self)") == true)
            }
            #expect(try await client.get("/index.html").headers[.contentSecurityPolicy]?.contains("https://*.tiles.example.cn") == true)
            #expect(try await client.get("/track.html").headers[.referrerPolicyTest] == "no-referrer")
            #expect(try await client.get("/api/v1/reports/track/0123456789ABCDEF").headers[.referrerPolicyTest] == "no-referrer")
            #expect(try await client.get("/index.html").headers[.referrerPolicyTest] == "strict-origin-when-cross-origin")
        }
    }

    @Test("API answers, errors included, carry nosniff and a policy that loads nothing")
    func apiHeaders() async throws {
        let service = try await TestService()
        try await service.run { client in
            for uri in ["/api/v1/sites", "/api/v1/stalls/XX-1", "/no/such/page", "/api/v1/stalls/CG-001-01/code.svg"] {
                let response = try await client.get(uri)
                #expect(response.headers[.xContentTypeOptionsTest] == "nosniff", "\(uri)")
                #expect(response.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'none'") == true, "\(uri)")
            }
        }
    }

    @Test("another site cannot post the report form or sign in from its visitors' browsers (403); our own pages and other clients can")
    func crossSitePosts() async throws {
        let service = try await TestService { $0.publicURL = "https://guatan.example.cn" }
        let body = #"{"category": "suggestion", "description": "瓜很甜", "slot_id": "CG-001-01"}"#
        try await service.run { client in
            try await client.post("/api/v1/reports", json: body, headers: [.secFetchSiteTest: "cross-site"]).expectError(
                .forbidden, code: "FORBIDDEN")
            try await client.post("/api/v1/reports", json: body, headers: [.secFetchSiteTest: "same-site"]).expectError(.forbidden, code: "FORBIDDEN")
            try await client.post("/api/v1/reports", json: body, headers: [.origin: "https://evil.example"]).expectError(
                .forbidden, code: "FORBIDDEN")
            try await client.post("/api/v1/auth/login", json: #"{"username": "a", "password": "b"}"#, headers: [.secFetchSiteTest: "cross-site"])
                .expectError(.forbidden, code: "FORBIDDEN")
            #expect(try await client.post("/api/v1/reports", json: body, headers: [.secFetchSiteTest: "same-origin"]).status == .created)
            #expect(try await client.post("/api/v1/reports", json: body).status == .created)
            let sameHost = try await client.post("/api/v1/reports", json: body, headers: [.origin: "https://guatan.example.cn"])
            #expect(sameHost.status == .created, "\(sameHost.text)")
        }
    }
}

extension HTTPTypes.HTTPField.Name {
    static let xFrameOptionsTest = Self("X-Frame-Options")!
    static let xContentTypeOptionsTest = Self("X-Content-Type-Options")!
    static let permissionsPolicyTest = Self("Permissions-Policy")!
    static let referrerPolicyTest = Self("Referrer-Policy")!
    static let secFetchSiteTest = Self("Sec-Fetch-Site")!
}

@Suite("Security review: nothing private in public views")
struct PublicPrivacyTests {
    @Test("a rating comment is masked for the public; a place report is shown on a 50 m grid, exact to its officers")
    func ratingAndPlace() async throws {
        let service = try await Scene.people()
        try await service.run { client in
            let cg = try await client.signIn("cg.li")
            let admin = try await client.signIn("admin")
            let submitted = try await Scene.submit(
                client, #"{"category": "hygiene", "description": "门口有垃圾", "lat": 36.061234, "lng": 103.834567}"#)
            let id = try #require(submitted["report_id"] as? String)
            let code = try #require(submitted["tracking_code"] as? String)
            let shown = try #require(try await client.get("/api/v1/reports/\(id)").json()["position"] as? [String: Any])
            #expect(shown["lat"] as? Double != 36.061234)
            let exact = try #require(try await client.get("/api/v1/reports/\(id)", headers: cg).json()["position"] as? [String: Any])
            #expect(exact["lat"] as? Double == 36.061234)
            #expect(exact["lng"] as? Double == 103.834567)
            let open311 = try await client.get("/open311/v2/requests/\(id).json").text
            #expect(!open311.contains("36.061234"))

            for (action, who) in [("accept", cg), ("dispatch", cg), ("handle", cg), ("verify", admin), ("close", cg)] {
                #expect(try await Scene.act(client, id, action, note: "已处理", who).status == .ok, "\(action)")
            }
            let rated = try await client.post("/api/v1/reports/track/\(code)/rating", json: #"{"score": 2, "comment": "不满意，请回电 138-1234-5678"}"#)
            #expect(rated.status == .ok, "\(rated.text)")
            for view in [try await client.get("/api/v1/reports/\(id)").text, try await client.get("/api/v1/reports?status=closed").text] {
                #expect(!view.contains("1234"), "\(view)")
                #expect(view.contains("不满意"))
            }
            #expect(try await client.get("/api/v1/reports/\(id)", headers: cg).text.contains("138-1234-5678"))
        }
    }
}

@Suite("Security review: no squatting, no links across districts")
struct IntegrityTests {
    @Test("an application cannot name another vendor's vehicle plate (409 naming the rule, not the vendor)")
    func plateSquatting() async throws {
        let service = try await Scene.people()
        try await service.run { client in
            let lisi = try await client.signIn("lisi")
            var form = Scene.applicationForm(slot: "CG-002-01")
            form.field("vehicle_plate", "甘A12345")
            let refused = try await client.post("/api/v1/permit-applications", form: form, headers: lisi)
            let error = try refused.expectError(.conflict, code: "CONFLICT")
            let message = try #require(error["message"] as? String)
            #expect(message.contains("一车一证"))
            #expect(!message.contains("V000001") && !message.contains("张"))
            // The owner applies with his own plate.
            let zhangsan = try await client.signIn("zhangsan")
            var own = Scene.applicationForm(slot: "CG-002-01")
            own.field("vehicle_plate", "甘A12345")
            let applied = try await client.post("/api/v1/permit-applications", form: own, headers: zhangsan)
            #expect(applied.status == .created, "\(applied.text)")
        }
    }

    @Test("mark_duplicate links only to an open case of the same district")
    func duplicates() async throws {
        let service = try await Scene.people()
        let other = try await service.database.workflows.reports.submit(
            ReportIntake(category: .hygiene, description: "垃圾", subject: .slot("XG-001-01"), contactPhone: nil), photos: [],
            trackingHash: "x1", at: TestService.midSeason)
        try await service.run { client in
            let cg = try await client.signIn("cg.li")
            let admin = try await client.signIn("admin")
            let first = try #require(
                try await Scene.submit(client, #"{"category": "hygiene", "description": "垃圾一", "slot_id": "CG-001-01"}"#)["report_id"]
                    as? String)
            let second = try #require(
                try await Scene.submit(client, #"{"category": "noise", "description": "喇叭太吵", "slot_id": "CG-002-01"}"#)["report_id"] as? String
            )
            func link(_ id: String, to main: String, _ who: HTTPFields) async throws -> TestResponse {
                try await client.post(
                    "/api/v1/reports/\(id)/transitions", json: #"{"action": "mark_duplicate", "duplicate_of": "\#(main)", "public_note": "同一问题"}"#,
                    headers: who)
            }
            try await link(second, to: other.id, admin).expectError(.badRequest, code: "VALIDATION_FAILED", field: "duplicate_of")
            // A closed case: rejected first, then nothing can be linked to it.
            #expect(try await Scene.act(client, first, "reject", note: "不属于本摊", cg).status == .ok)
            try await link(second, to: first, cg).expectError(.badRequest, code: "VALIDATION_FAILED", field: "duplicate_of")
            let third = try #require(
                try await Scene.submit(client, #"{"category": "hygiene", "description": "地上有瓜皮", "slot_id": "CG-002-01"}"#)["report_id"]
                    as? String)
            #expect(try await link(second, to: third, cg).status == .ok)
        }
    }
}
