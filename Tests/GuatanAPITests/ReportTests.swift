import Crypto
import Foundation
import GuatanCore
import GuatanSQLite
import GuatanStoreInterface
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Citizen reports (市民监督) and the case loop")
struct ReportTests {
    @Test("a whole case: report, accept, dispatch with its time limit, handle, verify, close, rate; illegal steps refused")
    func wholeCase() async throws {
        let service = try await Scene.people()
        try await service.run { client in
            let submitted = try await Scene.submit(
                client,
                #"""
                {"category": "hygiene", "description": "摊位旁垃圾没有清理，联系我 13912340000", "slot_id": "CG-001-01", "contact_phone": "13912340000"}
                """#)
            let id = try #require(submitted["report_id"] as? String)
            let code = try #require(submitted["tracking_code"] as? String)
            #expect(code.count >= 16, "at least 64 random bits")
            #expect(submitted["status"] as? String == "submitted")
            #expect(submitted["district"] as? String == "CG")
            #expect(submitted["due_at"] is NSNull)

            // The public view: no contact, the phone in the text starred out.
            let publicView = try await client.get("/api/v1/reports/\(id)")
            #expect(!publicView.text.contains("13912340000"))
            #expect(!publicView.text.contains("contact"))
            #expect((try publicView.json()["description"] as? String)?.contains("***********") == true)
            #expect(try await client.get("/api/v1/reports?slot_id=CG-001-01").json()["total"] as? Int == 1)
            #expect(try await client.get("/api/v1/stalls/CG-001-01").json()["open_report_count"] as? Int == 1)
            #expect(try await client.get("/api/v1/reports?district=XG").json()["total"] as? Int == 0)

            let cg = try await client.signIn("cg.li")
            let xg = try await client.signIn("xg.sun")
            let vendor = try await client.signIn("zhangsan")
            let staffView = try await client.get("/api/v1/reports/\(id)", headers: cg).json()
            #expect(staffView["contact_phone"] as? String == "13912340000")
            // The case page offers what the state allows; the public never sees the list.
            #expect(staffView["allowed_actions"] as? [String] == ["accept", "reject", "mark_duplicate"])
            #expect(try await client.get("/api/v1/reports/\(id)").json()["allowed_actions"] == nil)

            // Refused: wrong district, a vendor, a citizen, an action that does not fit the state.
            try await Scene.act(client, id, "accept", xg).expectError(.forbidden, code: "FORBIDDEN")
            try await Scene.act(client, id, "accept", vendor).expectError(.forbidden, code: "FORBIDDEN")
            try await client.post("/api/v1/reports/\(id)/transitions", json: #"{"action": "accept"}"#).expectError(
                .unauthorized, code: "UNAUTHENTICATED")
            try await Scene.act(client, id, "close", note: "已处理", cg).expectError(.conflict, code: "CONFLICT")
            try await Scene.act(client, id, "reject", cg).expectError(.badRequest, code: "VALIDATION_FAILED", field: "public_note")
            try await Scene.act(client, id, "fly", cg).expectError(.badRequest, code: "VALIDATION_FAILED", field: "action")

            #expect(try await Scene.act(client, id, "accept", note: "已立案", cg).status == .ok)
            let dispatched = try await Scene.act(client, id, "dispatch", cg).json()
            #expect(dispatched["status"] as? String == "dispatched")
            #expect(dispatched["due_at"] as? String == "2026-07-15T13:00:00+08:00", "hygiene: 4 hours from dispatch")
            #expect(dispatched["overdue"] as? Bool == false)
            try await client.post("/api/v1/reports/track/\(code)/rating", json: #"{"score": 5}"#).expectError(.conflict, code: "CONFLICT")
            // The bureau's administrator may take any step in any district: here the verification.
            let admin = try await client.signIn("admin")
            for (action, who) in [("handle", cg), ("verify", admin), ("close", cg)] {
                #expect(try await Scene.act(client, id, action, note: "已处理", who).status == .ok, "\(action)")
            }
            #expect(try await client.get("/api/v1/stalls/CG-001-01").json()["open_report_count"] as? Int == 0)

            // The reporter follows with the code: the public timeline, no internal notes.
            let tracked = try await client.get("/api/v1/reports/track/\(code)")
            let trackedBody = try tracked.json()
            #expect(trackedBody["status"] as? String == "closed")
            let timeline = try #require(trackedBody["timeline"] as? [[String: Any]])
            #expect(timeline.map { $0["action"] as? String } == ["submit", "accept", "dispatch", "handle", "verify", "close"])
            #expect(!tracked.text.contains("巡查组王队"))
            #expect(try await client.get("/api/v1/reports/\(id)", headers: cg).text.contains("巡查组王队"))
            try await client.get("/api/v1/reports/track/NOTACODE").expectError(.notFound, code: "NOT_FOUND")

            let rated = try await client.post("/api/v1/reports/track/\(code.lowercased())/rating", json: #"{"score": 4, "comment": "处理及时"}"#)
            #expect(rated.status == .ok, "\(rated.text)")
            #expect(try rated.json()["rating"] as? Int == 4)
            try await client.post("/api/v1/reports/track/\(code)/rating", json: #"{"score": 5}"#).expectError(.conflict, code: "CONFLICT")
            try await client.post("/api/v1/reports/track/\(code)/rating", json: #"{"score": 9}"#).expectError(
                .badRequest, code: "VALIDATION_FAILED", field: "score")

            // Still dirty: the reporter reopens it within the week; it is back in the district's hands.
            let reopened = try await client.post("/api/v1/reports/track/\(code)/reopen", json: #"{"note": "第二天又有垃圾"}"#)
            #expect(reopened.status == .ok, "\(reopened.text)")
            #expect(try reopened.json()["status"] as? String == "dispatched")

            let audit = try await client.get("/api/v1/admin/audit?entity=report&entity_id=\(id)", headers: admin).json()
            #expect(audit["total"] as? Int == 5)
        }
    }

    @Test("public case lists, kept for a second against crowds, show a new report and every step at once")
    func listsFollowWrites() async throws {
        try await Scene.people().run { client in
            let cg = try await client.signIn("cg.li")
            let list = { try await client.get("/api/v1/reports?slot_id=CG-001-01").json() }
            #expect(try await list()["total"] as? Int == 0)
            #expect(try await list()["total"] as? Int == 0)  // from the cache
            let id = try #require(
                try await Scene.submit(client, #"{"category": "noise", "description": "喇叭", "slot_id": "CG-001-01"}"#)["report_id"] as? String)
            #expect(try await list()["total"] as? Int == 1)
            #expect(try await Scene.act(client, id, "accept", cg).status == .ok)
            #expect(((try await list()["items"] as? [[String: Any]])?.first?["status"] as? String) == "accepted")
        }
    }

    @Test("photos: up to three, type by their bytes, metadata stripped, served for good; others refused")
    func photos() async throws {
        let service = try await Scene.people()
        try await service.run { client in
            var form = MultipartBody()
            form.field("category", "occupying_road")
            form.field("description", "三轮车占了盲道")
            form.field("lat", "36.0605")
            form.field("lng", "103.83")
            form.file("photo", filename: "a.jpg", contentType: "image/jpeg", Scene.photo)
            let created = try await client.post("/api/v1/reports", form: form)
            #expect(created.status == .created, "\(created.text)")
            let id = try #require(try created.json()["report_id"] as? String)
            let report = try await client.get("/api/v1/reports/\(id)").json()
            let url = try #require((report["photos"] as? [String])?.first)
            let photo = try await client.get(url)
            #expect(photo.status == .ok)
            #expect(photo.headers[.contentType] == "image/jpeg")
            #expect(photo.headers[.cacheControl]?.contains("immutable") == true)
            #expect(!String(decoding: Array(photo.body.readableBytesView), as: UTF8.self).contains("GPS"))
            #expect(try await client.get(url, headers: [.ifNoneMatch: photo.headers[.eTag]!]).status == .notModified)

            var gif = MultipartBody()
            gif.field("category", "hygiene")
            gif.field("description", "垃圾")
            gif.field("slot_id", "CG-001-01")
            gif.file("photo", filename: "a.jpg", contentType: "image/jpeg", Array("GIF89a........".utf8))
            try await client.post("/api/v1/reports", form: gif).expectError(.unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE", field: "photo")
            var four = MultipartBody()
            four.field("category", "hygiene")
            four.field("description", "垃圾")
            four.field("slot_id", "CG-001-01")
            for _ in 0..<4 { four.file("photo", filename: "a.jpg", contentType: "image/jpeg", Scene.photo) }
            try await client.post("/api/v1/reports", form: four).expectError(.badRequest, code: "VALIDATION_FAILED", field: "photo")
            // Certificates are not public photos, even by their hash.
            try await client.get("/api/v1/photos/" + String(repeating: "0", count: 64)).expectError(.notFound, code: "NOT_FOUND")
        }
    }

    /// An MP3 of 40 frames (1.04 s) behind an ID3 tag that names the reporter.
    static let voiceFrames: [UInt8] = (0..<40).flatMap { _ in [0xFF, 0xFB, 0x90, 0x64] + [UInt8](repeating: 0x55, count: 413) }
    static let voiceMP3: [UInt8] = {
        let title = Array("TIT2".utf8) + [0, 0, 0, 16, 0, 0, 3] + Array("王大妈13912345".utf8)
        return Array("ID3".utf8) + [4, 0, 0, 0, 0, 0, UInt8(title.count)] + title + voiceFrames
    }()

    /// AMR of `frames` 20 ms frames.
    static func voiceAMR(frames: Int) -> [UInt8] {
        Array("#!AMR\n".utf8) + (0..<frames).flatMap { _ in [0x3C] + [UInt8](repeating: 7, count: 31) }
    }

    @Test("a voice note: kept without its tags, played by the district's staff, its length for the reporter, nothing for the public")
    func voiceNote() async throws {
        let service = try await Scene.people()
        let folder = service.folder.url
        try await service.run { client in
            func report(voice: [UInt8]...) -> MultipartBody {
                var form = MultipartBody()
                form.field("category", "occupying_road")
                form.field("description", "三轮车占了盲道，我说不清楚，听语音")
                form.field("slot_id", "CG-001-01")
                for bytes in voice { form.file("voice", filename: "voice.m4a", contentType: "audio/mp4", bytes) }
                return form
            }
            let created = try await client.post("/api/v1/reports", form: report(voice: Self.voiceMP3))
            #expect(created.status == .created, "\(created.text)")
            let id = try #require(try created.json()["report_id"] as? String)
            let code = try #require(try created.json()["tracking_code"] as? String)

            let publicView = try await client.get("/api/v1/reports/\(id)")
            #expect(!publicView.text.contains("voice"))
            #expect(!(try await client.get("/api/v1/reports?slot_id=CG-001-01").text.contains("voice")))
            let tracked = try await client.get("/api/v1/reports/track/\(code)").json()
            #expect(tracked["voice_note"] as? [String: Int] == ["seconds": 1])

            let cg = try await client.signIn("cg.li")
            let staffView = try await client.get("/api/v1/reports/\(id)", headers: cg).json()
            let note = try #require(staffView["voice_note"] as? [String: Any])
            #expect(note["media_type"] as? String == "audio/mpeg" && note["seconds"] as? Int == 1)
            let url = try #require(note["url"] as? String)
            let played = try await client.get(url, headers: cg)
            #expect(played.status == .ok)
            #expect(played.headers[.contentType] == "audio/mpeg")
            #expect(played.headers[.cacheControl] == "private, no-store")
            let framesOnly = Array(played.body.readableBytesView) == Self.voiceFrames
            #expect(framesOnly, "the frames, without the tag")

            // Another district's officer, a vendor, a citizen: never.
            try await client.get(url, headers: try await client.signIn("xg.sun")).expectError(.forbidden, code: "FORBIDDEN")
            try await client.get(url, headers: try await client.signIn("zhangsan")).expectError(.forbidden, code: "FORBIDDEN")
            try await client.get(url).expectError(.unauthorized, code: "UNAUTHENTICATED")
            #expect(try await client.get(url, headers: try await client.signIn("admin")).status == .ok)
            // Kept beside the photos, but never served as one, even by its name.
            let name = SHA256.hash(data: Self.voiceFrames).map { String(format: "%02x", $0) }.joined()
            try await client.get("/api/v1/photos/\(name)").expectError(.notFound, code: "NOT_FOUND")
            try await client.get("/api/v1/photos/\(name).mp3", headers: cg).expectError(.notFound, code: "NOT_FOUND")

            // Refused before anything is written: too long, not a recording, two of them.
            let before = try await client.get("/api/v1/reports?slot_id=CG-001-01").json()["total"] as? Int
            try await client.post("/api/v1/reports", form: report(voice: Self.voiceAMR(frames: 3100))).expectError(
                .contentTooLarge, code: "TOO_LARGE", field: "voice")
            try await client.post("/api/v1/reports", form: report(voice: Array("RIFF....WAVEfmt ".utf8))).expectError(
                .unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE", field: "voice")
            try await client.post("/api/v1/reports", form: report(voice: Self.voiceAMR(frames: 5), Self.voiceAMR(frames: 5))).expectError(
                .badRequest, code: "VALIDATION_FAILED", field: "voice")
            #expect(try await client.get("/api/v1/reports?slot_id=CG-001-01").json()["total"] as? Int == before)
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("photos").path)
            #expect(files.count == 1 && files[0].hasSuffix(".mp3"), "\(files)")
            let staged = (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("photo-staging").path)) ?? []
            #expect(staged.isEmpty)

            // A report without a voice note has none to play.
            let plain = try await Scene.submit(client, #"{"category": "hygiene", "description": "垃圾", "slot_id": "CG-001-02"}"#)
            let plainId = try #require(plain["report_id"] as? String)
            try await client.get("/api/v1/reports/\(plainId)/voice", headers: cg).expectError(.notFound, code: "NOT_FOUND")
        }
    }

    @Test("a report about a place takes the nearest site's district; the same problem nearby within a day is linked as a duplicate")
    func placesAndDuplicates() async throws {
        let service = try await Scene.people()
        try await service.run { client in
            let stall = try await client.get("/api/v1/stalls/AN-001-01").json()
            let p = try #require(stall["position"] as? [String: Any])
            let first = try await Scene.submit(client, #"{"category": "noise", "description": "喇叭叫卖太吵", "lat": \#(p["lat"]!), "lng": \#(p["lng"]!)}"#)
            #expect(first["district"] as? String == "AN")
            #expect(first["status"] as? String == "submitted")
            let nearby = try await Scene.submit(
                client, #"{"category": "noise", "description": "还是很吵", "lat": \#((p["lat"] as! Double) + 0.001), "lng": \#(p["lng"]!)}"#)
            #expect(nearby["status"] as? String == "duplicate")
            #expect(nearby["duplicate_of"] as? String == first["report_id"] as? String)
            let tracked = try await client.get("/api/v1/reports/track/\(nearby["tracking_code"] as! String)").json()
            #expect((tracked["main_case"] as? [String: Any])?["report_id"] as? String == first["report_id"] as? String)
            // Another category at the same place is its own case.
            let other = try await Scene.submit(client, #"{"category": "hygiene", "description": "垃圾", "lat": \#(p["lat"]!), "lng": \#(p["lng"]!)}"#)
            #expect(other["status"] as? String == "submitted")

            try await client.post("/api/v1/reports", json: #"{"category": "noise", "description": "远方", "lat": 39.9, "lng": 116.4}"#)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "lat")
            try await client.post("/api/v1/reports", json: #"{"category": "noise", "description": "无位置"}"#)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "lat")
            try await client.post("/api/v1/reports", json: #"{"category": "fraud", "description": "x", "slot_id": "CG-001-01"}"#)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "category")
            try await client.post("/api/v1/reports", json: #"{"category": "noise", "description": "", "slot_id": "CG-001-01"}"#)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "description")
            try await client.post("/api/v1/reports", json: #"{"category": "noise", "description": "x", "slot_id": "CG-999-01"}"#)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "slot_id")
            try await client.post(
                "/api/v1/reports", json: #"{"category": "noise", "description": "x", "slot_id": "CG-001-01", "contact_phone": "12345"}"#
            )
            .expectError(.badRequest, code: "VALIDATION_FAILED", field: "contact_phone")
            let categories = try await client.get("/api/v1/report-categories").json()
            #expect((categories["items"] as? [[String: Any]])?.count == 9)
        }
    }

    @Test("intake is rate limited per address, with Retry-After")
    func rateLimit() async throws {
        let service = try await TestService(reportRate: 2)
        try await service.run { client in
            for _ in 0..<2 {
                _ = try await Scene.submit(client, #"{"category": "suggestion", "description": "瓜很甜，点赞", "slot_id": "CG-001-01"}"#)
            }
            let third = try await client.post("/api/v1/reports", json: #"{"category": "suggestion", "description": "再来一次", "slot_id": "CG-001-01"}"#)
            try third.expectError(.tooManyRequests, code: "RATE_LIMITED")
            #expect(Int(third.headers[.retryAfter] ?? "") ?? 0 > 0)
        }
    }
}
