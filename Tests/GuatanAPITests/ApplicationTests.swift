import Foundation
import GuatanCore
import GuatanSQLite
import GuatanStoreInterface
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Permit applications (申请) with the village committee's certificate")
struct ApplicationTests {
    @Test("apply, review by the district's squad, re-review and issue by the bureau, then check in")
    func wholeProcess() async throws {
        let service = try await Scene.people()
        try await service.run { client in
            let vendor = try await client.signIn("zhangsan")
            let applied = try await client.post("/api/v1/permit-applications", form: Scene.applicationForm(), headers: vendor)
            #expect(applied.status == .created, "\(applied.text)")
            let permit = try applied.json()
            let number = try #require(permit["permit_no"] as? String)
            #expect(permit["status"] as? String == "requested")
            #expect(permit["slot_id"] as? String == "CG-002-01")
            #expect(permit["expected_kg"] as? Double == 800)
            #expect(permit["has_certificate"] as? Bool == true)
            #expect(permit["produce"] as? [String] == ["白兰瓜", "黄河蜜瓜"])
            // Applications are not public.
            try await client.get("/api/v1/permits/verify/\(number)").expectError(.notFound, code: "NOT_FOUND")
            #expect(try await client.get("/api/v1/stalls/CG-002-01").json()["status_today"] as? String == "vacant")

            // The CG squad finds it among its district's applications; XG's does not.
            let cg = try await client.signIn("cg.li")
            let queue = try await client.get("/api/v1/permits?state=requested", headers: cg).json()
            #expect((queue["items"] as? [[String: Any]])?.map { $0["permit_no"] as? String } == [number])
            // An officer may review or reject an application; approving is the admin's.
            #expect((queue["items"] as? [[String: Any]])?.first?["allowed_actions"] as? [String] == ["review", "reject"])
            let adminView = try await client.get("/api/v1/permits?state=requested", headers: try await client.signIn("admin")).json()
            #expect((adminView["items"] as? [[String: Any]])?.first?["allowed_actions"] as? [String] == ["review", "reject"])
            let xg = try await client.signIn("xg.sun")
            #expect(try await client.get("/api/v1/permits?state=requested", headers: xg).json()["total"] as? Int == 0)
            try await client.get("/api/v1/permits?district=CG", headers: xg).expectError(.forbidden, code: "FORBIDDEN")
            try await client.get("/api/v1/permits", headers: vendor).expectError(.forbidden, code: "FORBIDDEN")

            // The certificate: the district's officers and admins see it, stripped of its EXIF; no one else.
            let certificate = try await client.get("/api/v1/permits/\(number)/certificate", headers: cg)
            #expect(certificate.status == .ok)
            #expect(certificate.headers[.contentType] == "image/jpeg")
            let bytes = Array(certificate.body.readableBytesView)
            #expect(bytes.starts(with: [0xFF, 0xD8]) && bytes.suffix(2) == [0xFF, 0xD9])
            #expect(!String(decoding: bytes, as: UTF8.self).contains("GPS"))
            try await client.get("/api/v1/permits/\(number)/certificate", headers: xg).expectError(.forbidden, code: "FORBIDDEN")
            try await client.get("/api/v1/permits/\(number)/certificate", headers: vendor).expectError(.forbidden, code: "FORBIDDEN")
            try await client.get("/api/v1/permits/\(number)/certificate").expectError(.unauthorized, code: "UNAUTHENTICATED")

            let admin = try await client.signIn("admin")
            for (who, action) in [(cg, "review"), (admin, "approve"), (admin, "issue")] {
                let moved = try await client.post("/api/v1/permits/\(number)/transitions", json: #"{"action": "\#(action)"}"#, headers: who)
                #expect(moved.status == .ok, "\(action): \(moved.text)")
            }
            #expect(try await client.get("/api/v1/permits/verify/\(number)").json()["valid"] as? Bool == true)
            let stall = try await client.get("/api/v1/stalls/CG-002-01").json()
            #expect(stall["status_today"] as? String == "assigned")
            let position = try #require(stall["position"] as? [String: Any])
            let checkIn = try await client.post(
                "/api/v1/checkins", json: #"{"lat": \#(position["lat"]!), "lng": \#(position["lng"]!), "accuracy_m": 8}"#, headers: vendor)
            #expect(checkIn.status == .created, "\(checkIn.text)")
        }
        // The photo on disk is the cleaned one.
        let files = try FileManager.default.contentsOfDirectory(atPath: service.folder.url.appendingPathComponent("photos").path)
        #expect(files.count == 1 && files[0].hasSuffix(".jpg"))
    }

    @Test("applying for a site takes its first free slot; a full site or a taken slot is a 409; one live permit per vendor")
    func placesAndConflicts() async throws {
        try await Scene.people().run { client in
            let admin = try await client.signIn("admin")
            _ = try await client.post(
                "/api/v1/admin/permits", json: #"{"vendor_id": "V000002", "slot_id": "CG-001-01", "issue": true}"#, headers: admin)
            let vendor = try await client.signIn("zhangsan")
            try await client.post("/api/v1/permit-applications", form: Scene.applicationForm(slot: "CG-001-01"), headers: vendor)
                .expectError(.conflict, code: "CONFLICT")
            let bySite = try await client.post("/api/v1/permit-applications", form: Scene.applicationForm(slot: nil, site: "CG-001"), headers: vendor)
            #expect(bySite.status == .created, "\(bySite.text)")
            #expect(try bySite.json()["slot_id"] as? String == "CG-001-02")
            try await client.post("/api/v1/permit-applications", form: Scene.applicationForm(slot: "CG-003-01"), headers: vendor)
                .expectError(.conflict, code: "CONFLICT")
        }
    }

    @Test("bad forms get clear errors: no certificate, not a photo, too large, missing fields, not multipart")
    func badForms() async throws {
        try await Scene.people().run { client in
            let vendor = try await client.signIn("zhangsan")
            try await client.post("/api/v1/permit-applications", form: Scene.applicationForm(photo: nil), headers: vendor)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "certificate")
            try await client.post(
                "/api/v1/permit-applications", form: Scene.applicationForm(photo: Array("%PDF-1.7 ...".utf8), filename: "证明.pdf"), headers: vendor
            )
            .expectError(.unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE", field: "certificate")
            try await client.post("/api/v1/permit-applications", form: Scene.applicationForm(photo: [0xFF, 0xD8, 0xFF, 0xE1, 0x00]), headers: vendor)
                .expectError(.unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE", field: "certificate")
            try await client.post(
                "/api/v1/permit-applications",
                form: Scene.applicationForm(photo: [0xFF, 0xD8, 0xFF] + Array(repeating: 0, count: PhotoRules.maxBytes)),
                headers: vendor
            )
            .expectError(.contentTooLarge, code: "TOO_LARGE")
            try await client.post("/api/v1/permit-applications", form: Scene.applicationForm(kg: nil), headers: vendor)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "expected_kg")
            try await client.post("/api/v1/permit-applications", form: Scene.applicationForm(kg: "-5"), headers: vendor)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "expected_kg")
            try await client.post("/api/v1/permit-applications", form: Scene.applicationForm(produce: []), headers: vendor)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "produce")
            try await client.post("/api/v1/permit-applications", form: Scene.applicationForm(slot: nil), headers: vendor)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "slot_id")
            try await client.post("/api/v1/permit-applications", form: Scene.applicationForm(slot: "CG-999-09"), headers: vendor)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "slot_id")
            try await client.post("/api/v1/permit-applications", json: #"{"slot_id": "CG-002-01"}"#, headers: vendor)
                .expectError(.unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE")
            var broken = ByteBuffer(string: "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated")
            let response = try await client.execute(
                uri: "/api/v1/permit-applications", method: .post,
                headers: [.contentType: "multipart/form-data; boundary=x", .authorization: vendor[.authorization]!], body: broken)
            try response.expectError(.badRequest, code: "VALIDATION_FAILED")
            broken.clear()
            let officer = try await client.signIn("cg.li")
            try await client.post("/api/v1/permit-applications", form: Scene.applicationForm(), headers: officer).expectError(
                .forbidden, code: "FORBIDDEN")
        }
    }
}
