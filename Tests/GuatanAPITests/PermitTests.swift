import Foundation
import GuatanCore
import GuatanSQLite
import GuatanStoreInterface
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Permits")
struct PermitTests {
    @Test("an administrator issues a permit; the stall, the map and verification show it, the holder's name masked")
    func issueAndShow() async throws {
        try await Scene.people().run { client in
            let admin = try await client.signIn("admin")
            let created = try await client.post(
                "/api/v1/admin/permits", json: #"{"vendor_id": "V000001", "slot_id": "CG-001-01", "issue": true}"#, headers: admin)
            #expect(created.status == .created, "\(created.text)")
            let permit = try created.json()
            #expect(permit["permit_no"] as? String == "LZ2026-CG-000001")
            #expect(permit["status"] as? String == "issued")
            #expect(permit["produce"] as? [String] == ["白兰瓜"], "the vendor's produce by default")
            #expect(permit["vehicle_plate"] as? String == "甘A12345")

            let stall = try await client.get("/api/v1/stalls/CG-001-01")
            let stallBody = try stall.json()
            #expect(stallBody["status_today"] as? String == "assigned")
            let summary = try #require(stallBody["permit"] as? [String: Any])
            #expect(summary["permit_no"] as? String == "LZ2026-CG-000001")
            #expect(summary["holder_masked"] as? String == "张**")
            #expect(summary["origin"] as? String == "榆中县青城镇")
            #expect(!stall.text.contains("张三丰") && !stall.text.contains("13912345678"))

            // The site page shows the permit on its slot and on no other.
            let sitePage = try await client.get("/api/v1/sites/CG-001").json()
            let siteSlots = try #require(sitePage["slots"] as? [[String: Any]])
            #expect(siteSlots.map { $0["status_today"] as? String } == ["assigned"] + Array(repeating: "vacant", count: siteSlots.count - 1))
            #expect(try await client.get("/api/v1/stalls/CG-001-02").json()["permit"] == nil)

            let verify = try await client.get("/api/v1/permits/verify/LZ2026-CG-000001")
            let verifyBody = try verify.json()
            #expect(verifyBody["valid"] as? Bool == true)
            #expect(verifyBody["holder_masked"] as? String == "张**")
            #expect(verifyBody["valid_to"] as? String == "2026-10-15")
            for secret in ["张三丰", "13912345678", "002X", "甘A12345", "V000001"] {
                #expect(!verify.text.contains(secret), "\(secret) must not be public")
            }

            try await Task.sleep(for: .milliseconds(1100))
            let map = try await client.get("/api/v1/map.geojson?district=CG").json()
            let site = try #require((map["features"] as? [[String: Any]])?.first { $0["id"] as? String == "CG-001" })
            let properties = try #require(site["properties"] as? [String: Any])
            #expect(properties["assigned_count"] as? Int == 1)
            let slots = try #require(properties["slots"] as? [[String: Any]])
            #expect(slots.first?["status"] as? String == "assigned")
            #expect(slots.first?["produce"] as? [String] == ["白兰瓜"])
        }
    }

    @Test("one live permit per slot, per vendor and per vehicle in a season")
    func uniqueness() async throws {
        try await Scene.people().run { client in
            let admin = try await client.signIn("admin")
            #expect(
                try await client.post(
                    "/api/v1/admin/permits", json: #"{"vendor_id": "V000001", "slot_id": "CG-001-01", "issue": true}"#, headers: admin
                ).status == .created)
            try await client.post("/api/v1/admin/permits", json: #"{"vendor_id": "V000002", "slot_id": "CG-001-01"}"#, headers: admin).expectError(
                .conflict, code: "CONFLICT")
            try await client.post("/api/v1/admin/permits", json: #"{"vendor_id": "V000001", "slot_id": "CG-001-02"}"#, headers: admin).expectError(
                .conflict, code: "CONFLICT")
            // Next season the same vendor may hold the same slot again.
            #expect(
                try await client.post(
                    "/api/v1/admin/permits", json: #"{"vendor_id": "V000001", "slot_id": "CG-001-01", "season": 2027}"#, headers: admin
                ).status == .created)
            try await client.post("/api/v1/admin/permits", json: #"{"vendor_id": "V000009", "slot_id": "CG-001-02"}"#, headers: admin).expectError(
                .badRequest, code: "VALIDATION_FAILED", field: "vendor_id")
            try await client.post("/api/v1/admin/permits", json: #"{"vendor_id": "V000002", "slot_id": "CG-999-01"}"#, headers: admin).expectError(
                .badRequest, code: "VALIDATION_FAILED", field: "slot_id")
        }
    }

    @Test("the workflow through HTTP: roles, districts, reasons and states")
    func workflow() async throws {
        try await Scene.people().run { client in
            let admin = try await client.signIn("admin")
            let cg = try await client.signIn("cg.li")
            let xg = try await client.signIn("xg.sun")
            let created = try await client.post("/api/v1/admin/permits", json: #"{"vendor_id": "V000001", "slot_id": "CG-001-01"}"#, headers: admin)
            #expect(try created.json()["status"] as? String == "approved")
            let path = "/api/v1/permits/LZ2026-CG-000001/transitions"
            // Not public until issued.
            try await client.get("/api/v1/permits/verify/LZ2026-CG-000001").expectError(.notFound, code: "NOT_FOUND")
            try await client.post(path, json: #"{"action": "issue"}"#, headers: cg).expectError(.forbidden, code: "FORBIDDEN")
            try await client.post(path, json: #"{"action": "review"}"#, headers: admin).expectError(.conflict, code: "CONFLICT")
            // Permit numbers are matched without regard to case, as people type them.
            #expect(try await client.post(path.lowercased(), json: #"{"action": "issue"}"#, headers: admin).json()["status"] as? String == "issued")
            try await client.post(path, json: #"{"action": "suspend"}"#, headers: admin).expectError(
                .badRequest, code: "VALIDATION_FAILED", field: "reason")
            try await client.post(path, json: #"{"action": "suspend", "reason": "占道"}"#, headers: xg).expectError(.forbidden, code: "FORBIDDEN")
            #expect(
                try await client.post(path, json: #"{"action": "suspend", "reason": "占道经营"}"#, headers: admin).json()["status"] as? String
                    == "suspended")
            let suspended = try await client.get("/api/v1/permits/verify/LZ2026-CG-000001").json()
            #expect(suspended["valid"] as? Bool == false)
            #expect(suspended["status"] as? String == "suspended")
            #expect(try await client.get("/api/v1/stalls/CG-001-01").json()["status_today"] as? String == "vacant")
            #expect(try await client.post(path, json: #"{"action": "reinstate"}"#, headers: admin).json()["status"] as? String == "issued")
            #expect(
                try await client.post(path, json: #"{"action": "revoke", "reason": "非自产"}"#, headers: admin).json()["status"] as? String == "revoked")
            // A revoked permit frees the slot.
            #expect(
                try await client.post(
                    "/api/v1/admin/permits", json: #"{"vendor_id": "V000002", "slot_id": "CG-001-01", "issue": true}"#, headers: admin
                ).status == .created)

            try await client.post(path, json: #"{"action": "explode"}"#, headers: admin).expectError(
                .badRequest, code: "VALIDATION_FAILED", field: "action")
            try await client.post("/api/v1/permits/LZ2026-CG-999999/transitions", json: #"{"action": "issue"}"#, headers: admin).expectError(
                .notFound, code: "NOT_FOUND")
            try await client.post(path, json: #"{"action": "issue"}"#).expectError(.unauthorized, code: "UNAUTHENTICATED")
            let vendor = try await client.signIn("zhangsan")
            try await client.post(path, json: #"{"action": "issue"}"#, headers: vendor).expectError(.forbidden, code: "FORBIDDEN")
            try await client.post("/api/v1/admin/permits", json: #"{"vendor_id": "V000001", "slot_id": "CG-001-02"}"#, headers: cg).expectError(
                .forbidden, code: "FORBIDDEN")

            // The administrator reads the permit's history in the audit log, newest first, with reasons.
            let audit = try await client.get("/api/v1/admin/audit?entity=permit&entity_id=LZ2026-CG-000001", headers: admin).json()
            let entries = try #require(audit["items"] as? [[String: Any]])
            #expect(
                entries.map { $0["action"] as? String } == [
                    "permit.revoke", "permit.reinstate", "permit.suspend", "permit.issue", "permit.create",
                ])
            #expect((entries[0]["after"] as? [String: String])?["reason"] == "非自产")
            #expect((entries[0]["before"] as? [String: String])?["state"] == "issued")
            #expect(entries.allSatisfy { $0["actor"] as? String == "account:admin" })
            let byActor = try await client.get("/api/v1/admin/audit?actor=account:admin&per_page=2", headers: admin).json()
            #expect((byActor["items"] as? [Any])?.count == 2)
            #expect((byActor["total"] as? Int ?? 0) >= 6)
            try await client.get("/api/v1/admin/audit", headers: cg).expectError(.forbidden, code: "FORBIDDEN")
            try await client.get("/api/v1/admin/audit?per_page=0", headers: admin).expectError(
                .badRequest, code: "VALIDATION_FAILED", field: "per_page")
        }
    }

    @Test("a vendor sees his own permits, full name included; others cannot list them")
    func mine() async throws {
        try await Scene.people().run { client in
            let admin = try await client.signIn("admin")
            _ = try await client.post(
                "/api/v1/admin/permits", json: #"{"vendor_id": "V000001", "slot_id": "AN-001-05", "issue": true}"#, headers: admin)
            let vendor = try await client.signIn("zhangsan")
            let body = try await client.get("/api/v1/me/permits", headers: vendor).json()
            let items = try #require(body["items"] as? [[String: Any]])
            #expect(items.map { $0["permit_no"] as? String } == ["LZ2026-AN-000001"])
            #expect(items.first?["holder_name"] as? String == "张三丰")
            let other = try await client.get("/api/v1/me/permits", headers: try await client.signIn("lisi")).json()
            #expect((other["items"] as? [Any])?.isEmpty == true)
            try await client.get("/api/v1/me/permits", headers: admin).expectError(.forbidden, code: "FORBIDDEN")
        }
    }

    @Test("after the season a permit reads as expired and no longer valid")
    func expiry() async throws {
        let service = try await Scene.people()
        let database = service.database
        let admin = Account(id: 1, username: "admin", role: .admin, district: nil, vendorId: nil)
        _ = try await database.workflows.permits.create(
            vendorId: "V000001", slotId: "XG-001-01", season: 2026, produce: [], state: .issued, by: .testAdmin, at: TestService.midSeason)
        // Seen in late October, after the season: the store decides by the date it is given.
        let record = try #require(try await database.permit(number: "LZ2026-XG-000001"))
        #expect(PermitWorkflow.effectiveState(record.permit.state, season: record.seasonDates, on: LocalDate("2026-10-20")!) == .expired)
        do {
            _ = try await database.workflows.permits.transition(
                number: "LZ2026-XG-000001", action: .suspend, by: admin, reason: "late",
                at: BusinessTime.parseInstant("2026-10-20T10:00:00+08:00")!)
            Issue.record("an expired permit cannot be suspended")
        } catch let error as PermitError {
            guard case .conflict = error else {
                Issue.record("expected a conflict, got \(error)")
                return
            }
        }
        #expect(try await database.stall(slotId: "XG-001-01", today: LocalDate("2026-10-20")!)?.slot.statusToday == .vacant)
        #expect(try await database.stall(slotId: "XG-001-01", today: LocalDate("2026-07-20")!)?.slot.statusToday == .assigned)
    }
}
