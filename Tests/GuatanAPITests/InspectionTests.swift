import Foundation
import GuatanCore
import GuatanSQLite
import GuatanStoreInterface
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Enforcement (执法监督): inspections, points, the officer's day")
struct InspectionTests {
    @Test("two short_weight violations in a month block check-in with POINTS_EXHAUSTED; the month after he checks in again")
    func pointsBlockAndRecover() async throws {
        let time = TestTime(TestService.midSeason)
        let service = try await Scene.permitIssued(clock: time.clock)
        try await service.run { client in
            let cg = try await client.signIn("cg.li")
            let vendor = try await client.signIn("zhangsan")
            let first = try await Scene.inspect(client, cg, result: "violation", violations: ["short_weight"])
            #expect(first.status == .created, "\(first.text)")
            #expect(try first.json()["points_deducted"] as? Int == 6)
            #expect(try await client.get("/api/v1/me/points", headers: vendor).json()["balance"] as? Int == 6)
            _ = try await Scene.inspect(client, cg, result: "violation", violations: ["short_weight"])
            let points = try await client.get("/api/v1/me/points", headers: vendor).json()
            #expect(points["balance"] as? Int == 0)
            #expect(points["blocked_until"] as? String == "2026-07-31")
            let deductions = try #require(points["deductions"] as? [[String: Any]])
            #expect(deductions.map { $0["reason"] as? String } == ["缺斤短两", "缺斤短两"])
            try await Scene.checkIn(client, vendor).expectError(.unprocessableContent, code: "POINTS_EXHAUSTED")

            time.set("2026-08-01T09:00:00+08:00")
            // Sign-ins last a week: a new month means signing in again.
            let august = try await client.signIn("zhangsan")
            #expect(try await Scene.checkIn(client, august).status == .created)
            #expect(try await client.get("/api/v1/me/points", headers: august).json()["balance"] as? Int == 12)
        }
    }

    @Test("a warning costs nothing; an administrator annuls a deduction with a reason and the balance comes back")
    func warningAndAnnulment() async throws {
        let service = try await Scene.permitIssued()
        try await service.run { client in
            let cg = try await client.signIn("cg.li")
            let vendor = try await client.signIn("zhangsan")
            let warned = try await Scene.inspect(client, cg, result: "warning", violations: ["permit_not_shown"])
            #expect(try warned.json()["points_deducted"] as? Int == 0)
            _ = try await Scene.inspect(client, cg, result: "violation", violations: ["hygiene", "not_cleaned_up"])
            let points = try await client.get("/api/v1/me/points", headers: vendor).json()
            #expect(points["balance"] as? Int == 8)
            let id = try #require((points["deductions"] as? [[String: Any]])?.first?["deduction_id"] as? Int)
            let admin = try await client.signIn("admin")
            try await client.post("/api/v1/admin/deductions/\(id)/annul", json: #"{"reason": ""}"#, headers: admin)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "reason")
            try await client.post("/api/v1/admin/deductions/\(id)/annul", json: #"{"reason": "复核：照片显示已清理"}"#, headers: cg)
                .expectError(.forbidden, code: "FORBIDDEN")
            #expect(try await client.post("/api/v1/admin/deductions/\(id)/annul", json: #"{"reason": "复核：照片显示已清理"}"#, headers: admin).status == .ok)
            try await client.post("/api/v1/admin/deductions/\(id)/annul", json: #"{"reason": "again"}"#, headers: admin).expectError(
                .conflict, code: "CONFLICT")
            #expect(try await client.get("/api/v1/me/points", headers: vendor).json()["balance"] as? Int == 10)
            let audit = try await client.get("/api/v1/admin/audit?entity=point_deduction", headers: admin).json()
            #expect(audit["total"] as? Int == 1)
        }
    }

    @Test("points exhausted in three months of a season revoke the permit and bar the vendor from the next season")
    func escalation() async throws {
        let time = TestTime(BusinessTime.parseInstant("2026-06-20T09:00:00+08:00")!)
        let service = try await Scene.permitIssued(clock: time.clock)
        try await service.run { client in
            for month in ["06-20", "07-20", "08-20"] {
                time.set("2026-\(month)T09:00:00+08:00")
                let cg = try await client.signIn("cg.li")
                let found = try await Scene.inspect(client, cg, result: "violation", violations: ["person_permit_slot_mismatch"])
                #expect(found.status == .created, "\(found.text)")
                if month == "08-20" {
                    #expect(try found.json()["consequences"] as? [String] == ["permit_revoked", "vendor_barred"])
                }
            }
            #expect(try await client.get("/api/v1/permits/verify/LZ2026-CG-000001").json()["status"] as? String == "revoked")
            #expect(try await client.get("/api/v1/stalls/CG-001-01").json()["status_today"] as? String == "vacant")
            // Next season: his application is refused with the reason.
            time.set("2026-11-01T09:00:00+08:00")
            let vendor = try await client.signIn("zhangsan")
            var form = Scene.applicationForm(slot: "CG-003-01")
            form.parts[0] = ("season", nil, nil, Array("2027".utf8))
            let refused = try await client.post("/api/v1/permit-applications", form: form, headers: vendor)
            let error = try refused.expectError(.conflict, code: "CONFLICT")
            #expect((error["message"] as? String)?.contains("barred from the 2027 season") == true)
        }
    }

    @Test("only officers of the stall's district and admins inspect; bad input is a clear 400")
    func access() async throws {
        let service = try await Scene.permitIssued()
        try await service.run { client in
            let vendor = try await client.signIn("zhangsan")
            let xg = try await client.signIn("xg.sun")
            let cg = try await client.signIn("cg.li")
            try await Scene.inspect(client, vendor, result: "compliant").expectError(.forbidden, code: "FORBIDDEN")
            try await client.post("/api/v1/inspections", json: #"{"slot_id": "CG-001-01", "result": "compliant"}"#).expectError(
                .unauthorized, code: "UNAUTHENTICATED")
            try await Scene.inspect(client, xg, result: "compliant").expectError(.forbidden, code: "FORBIDDEN")
            try await Scene.inspect(client, cg, result: "violation").expectError(.badRequest, code: "VALIDATION_FAILED", field: "violations")
            try await Scene.inspect(client, cg, result: "compliant", violations: ["hygiene"]).expectError(
                .badRequest, code: "VALIDATION_FAILED", field: "violations")
            try await Scene.inspect(client, cg, result: "violation", violations: ["spitting"]).expectError(
                .badRequest, code: "VALIDATION_FAILED", field: "violations")
            try await Scene.inspect(client, cg, result: "fine").expectError(.badRequest, code: "VALIDATION_FAILED", field: "result")
            try await Scene.inspect(client, cg, slot: "CG-999-01", result: "compliant").expectError(
                .badRequest, code: "VALIDATION_FAILED", field: "slot_id")
            // The inspection leaves nothing behind when refused; a compliant one shows on the stall page.
            let ok = try await Scene.inspect(client, cg, result: "compliant", extra: #", "lat": 36.0605, "lng": 103.83, "crs": "gcj02""#)
            #expect(ok.status == .created)
            #expect(try ok.json()["distance_m"] is Double)
            let stall = try await client.get("/api/v1/stalls/CG-001-01").json()
            #expect((stall["last_inspection"] as? [String: Any])?["result"] as? String == "compliant")
            #expect((stall["last_inspection"] as? [String: Any])?["date"] as? String == "2026-07-15")
            #expect((stall["season_inspections"] as? [String: Int]) == ["compliant": 1, "warning": 0, "violation": 0])
            #expect(try await client.get("/api/v1/inspections", headers: xg).json()["total"] as? Int == 0)
            #expect(try await client.get("/api/v1/inspections?slot_id=CG-001-01", headers: cg).json()["total"] as? Int == 1)
        }
    }

    @Test("the officer's day: dispatched cases by due time, overdue first; an inspection settles cases; sites not inspected for a week")
    func officersDay() async throws {
        let time = TestTime(TestService.midSeason)
        let service = try await Scene.permitIssued(clock: time.clock)
        try await service.run { client in
            let cg = try await client.signIn("cg.li")
            var ids: [String] = []
            for category in ["suggestion", "occupying_road"] {
                let created = try await Scene.submit(client, #"{"category": "\#(category)", "description": "请处理", "slot_id": "CG-001-01"}"#)
                let id = try #require(created["report_id"] as? String)
                ids.append(id)
                _ = try await Scene.act(client, id, "accept", cg)
                _ = try await Scene.act(client, id, "dispatch", cg)
            }
            time.set("2026-07-15T11:30:00+08:00")  // the road case (2 h) is overdue now
            let queue = try await client.get("/api/v1/officer/queue", headers: cg).json()
            let items = try #require(queue["items"] as? [[String: Any]])
            #expect(items.map { $0["report_id"] as? String } == [ids[1], ids[0]])
            #expect(items.map { $0["overdue"] as? Bool } == [true, false])
            #expect(queue["overdue_count"] as? Int == 1)
            #expect(items.first?["position"] != nil)

            let settled = try await Scene.inspect(
                client, cg, result: "warning", violations: ["outside_boundary"], extra: #", "resolves_reports": ["\#(ids[1])"]"#)
            #expect(settled.status == .created, "\(settled.text)")
            #expect(try await client.get("/api/v1/reports/\(ids[1])").json()["status"] as? String == "handled")
            #expect(try await client.get("/api/v1/officer/queue", headers: cg).json()["overdue_count"] as? Int == 0)
            try await Scene.inspect(client, cg, result: "compliant", extra: #", "resolves_reports": ["\#(ids[1])"]"#).expectError(
                .conflict, code: "CONFLICT")

            let coverage = try await client.get("/api/v1/officer/coverage", headers: cg).json()
            let gaps = try #require(coverage["items"] as? [[String: Any]])
            #expect(!gaps.contains { $0["site_id"] as? String == "CG-001" }, "inspected today")
            #expect(gaps.count == (coverage["total"] as? Int) && gaps.count > 100)
            let admin = try await client.signIn("admin")
            try await client.get("/api/v1/officer/coverage", headers: admin).expectError(.badRequest, code: "VALIDATION_FAILED", field: "district")
            #expect(try await client.get("/api/v1/officer/coverage?district=XG", headers: admin).json()["total"] as? Int == 119)
            time.set("2026-07-22T09:00:00+08:00")
            let later = try await client.get("/api/v1/officer/coverage?days=7", headers: try await client.signIn("cg.li")).json()
            #expect((later["items"] as? [[String: Any]])?.contains { $0["site_id"] as? String == "CG-001" && $0["days_since"] as? Int == 7 } == true)
        }
    }
}
