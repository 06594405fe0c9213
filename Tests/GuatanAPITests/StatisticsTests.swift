import Foundation
import GuatanCore
import GuatanSQLite
import GuatanStoreInterface
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GuatanAPI

@Suite("Administration: statistics, idle permits, sanctions, exports")
struct StatisticsTests {
    @Test("a permit not checked in for five season days is idle; a check-in ends it")
    func idlePermits() async throws {
        let time = TestTime(BusinessTime.parseInstant("2026-07-10T09:00:00+08:00")!)
        let service = try await Scene.permitIssued(now: time.now, clock: time.clock)
        try await service.run { client in
            #expect(try await Scene.checkIn(client, try await client.signIn("zhangsan")).status == .created)
            time.set("2026-07-15T09:00:00+08:00")  // 11th to 14th: four days
            let admin = try await client.signIn("admin")
            #expect(try await client.get("/api/v1/admin/idle-permits", headers: admin).json()["total"] as? Int == 0)
            time.set("2026-07-16T09:00:00+08:00")  // 11th to 15th: five
            let idle = try await client.get("/api/v1/admin/idle-permits", headers: admin).json()
            let items = try #require(idle["items"] as? [[String: Any]])
            #expect(items.map { $0["permit_no"] as? String } == ["LZ2026-CG-000001"])
            #expect(items.first?["idle_days"] as? Int == 5)
            #expect(items.first?["last_check_in"] as? String == "2026-07-10")
            #expect(try await client.get("/api/v1/admin/idle-permits?days=6", headers: admin).json()["total"] as? Int == 0)
            #expect(try await Scene.checkIn(client, try await client.signIn("zhangsan")).status == .created)
            #expect(try await client.get("/api/v1/admin/idle-permits", headers: admin).json()["total"] as? Int == 0)
            try await client.get("/api/v1/admin/idle-permits", headers: try await client.signIn("cg.li")).expectError(.forbidden, code: "FORBIDDEN")
        }
    }

    @Test("statistics: check-in rate per day and district, cases on time, inspections, hotspots; sanctions with reasons; CSV exports")
    func statisticsAndExports() async throws {
        let time = TestTime(TestService.midSeason)
        let service = try await Scene.permitIssued(clock: time.clock)
        try await service.run { client in
            let vendor = try await client.signIn("zhangsan")
            let cg = try await client.signIn("cg.li")
            let admin = try await client.signIn("admin")
            #expect(try await Scene.checkIn(client, vendor).status == .created)
            let report = try await Scene.submit(
                client, #"{"category": "hygiene", "description": "垃圾, 请联系 13912345678", "slot_id": "CG-001-01", "contact_phone": "13912345678"}"#)
            let id = try #require(report["report_id"] as? String)
            for action in ["accept", "dispatch"] { _ = try await Scene.act(client, id, action, cg) }
            time.set("2026-07-15T10:30:00+08:00")
            for action in ["handle", "verify", "close"] { _ = try await Scene.act(client, id, action, note: "已处理", cg) }
            _ = try await Scene.inspect(client, cg, result: "compliant")
            _ = try await client.post(
                "/api/v1/permits/LZ2026-CG-000001/transitions", json: #"{"action": "suspend", "reason": "非自产瓜果"}"#, headers: admin)

            let stats = try await client.get("/api/v1/admin/stats?from=2026-07-15&to=2026-07-15", headers: admin).json()
            let rates = try #require(stats["checkin_rates"] as? [[String: Any]])
            let cgRate = try #require(rates.first { $0["district"] as? String == "CG" })
            #expect(cgRate["issued"] as? Int == 1 && cgRate["checked_in"] as? Int == 1 && cgRate["rate"] as? Double == 1)
            #expect(rates.count == 4, "one row per district for the day")
            #expect((stats["reports_by_category"] as? [String: [String: Int]])?["hygiene"]?["closed"] == 1)
            #expect(stats["reports_by_channel"] as? [String: [String: Int]] == ["web": ["CG": 1]])
            #expect(stats["cases_with_time_limit"] as? Int == 1 && stats["closed_within_time_limit"] as? Int == 1)
            #expect(stats["median_handling_minutes"] as? Double == 90)
            #expect((stats["inspections_by_district"] as? [String: Int])?["CG"] == 1)
            #expect((stats["hotspots"] as? [[String: Any]])?.first?["site_id"] as? String == "CG-001")

            let sanctions = try await client.get("/api/v1/admin/sanctions", headers: admin).json()
            let sanction = try #require((sanctions["items"] as? [[String: Any]])?.first)
            #expect(
                sanction["kind"] as? String == "suspended" && sanction["reason"] as? String == "非自产瓜果" && sanction["by"] as? String == "account:admin"
            )

            let csv = try await client.get("/api/v1/admin/exports/reports.csv?from=2026-07-15&to=2026-07-15", headers: admin)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            let lines = csv.text.replacingOccurrences(of: "\u{FEFF}", with: "").components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(lines.count == 2)
            #expect(lines[0].hasPrefix("report_id,category,status") && lines[0].hasSuffix(",channel"))
            #expect(lines[1].hasSuffix(",web"))
            #expect(!csv.text.contains("13912345678"), "no contact in exports")
            for kind in ["checkins", "inspections", "permits"] {
                let export = try await client.get("/api/v1/admin/exports/\(kind).csv", headers: admin)
                #expect(export.status == .ok && export.text.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 2, "\(kind)")
            }
            try await client.get("/api/v1/admin/exports/vendors.csv", headers: admin).expectError(.notFound, code: "NOT_FOUND")
            try await client.get("/api/v1/admin/exports/reports.csv", headers: cg).expectError(.forbidden, code: "FORBIDDEN")
            try await client.get("/api/v1/admin/stats?from=2025-01-01&to=2026-07-15", headers: admin).expectError(
                .badRequest, code: "VALIDATION_FAILED", field: "to")

            // Computed at most every 30 seconds per period, saying when: a new case shows after that.
            #expect(stats["as_of"] as? String == "2026-07-15T10:30:00+08:00")
            _ = try await Scene.submit(client, #"{"category": "noise", "description": "喇叭", "slot_id": "CG-001-01"}"#)
            // A caller to the hotline about another district: its own channel, its own district.
            let hotline = try await client.post(
                "/api/v1/staff/reports", json: #"{"category": "noise", "description": "市民来电：喇叭", "slot_id": "XG-001-01", "channel": "hotline"}"#,
                headers: admin)
            #expect(hotline.status == .created, "\(hotline.text)")
            time.set("2026-07-15T10:30:20+08:00")
            let cached = try await client.get("/api/v1/admin/stats?from=2026-07-15&to=2026-07-15", headers: admin).json()
            #expect(cached["as_of"] as? String == "2026-07-15T10:30:00+08:00")
            #expect((cached["reports_by_category"] as? [String: [String: Int]])?["noise"] == nil)
            time.set("2026-07-15T10:30:31+08:00")
            let fresh = try await client.get("/api/v1/admin/stats?from=2026-07-15&to=2026-07-15", headers: admin).json()
            #expect(fresh["as_of"] as? String == "2026-07-15T10:30:31+08:00")
            #expect((fresh["reports_by_category"] as? [String: [String: Int]])?["noise"]?["submitted"] == 2)
            #expect(fresh["reports_by_channel"] as? [String: [String: Int]] == ["web": ["CG": 2], "hotline": ["XG": 1]])
        }
    }

    @Test("CSV fields are quoted when needed and never run as formulas")
    func csvFields() {
        #expect(CSVText.field("plain") == "plain")
        #expect(CSVText.field("a,b") == "\"a,b\"")
        #expect(CSVText.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVText.field("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(CSVText.field("-12.5") == "-12.5")
    }
}

@Suite("Administration: what violations cost and how long cases may take")
struct ConfigurationTests {
    @Test("a season's own points per violation apply to new inspections; the default stays for other seasons")
    func violationPoints() async throws {
        let service = try await Scene.permitIssued()
        try await service.run { client in
            let admin = try await client.signIn("admin")
            let rules = try await client.get("/api/v1/admin/violation-rules", headers: admin).json()
            #expect((rules["items"] as? [[String: Any]])?.first { $0["code"] as? String == "hygiene" }?["points"] as? Int == 2)
            let set = try await client.post(
                "/api/v1/admin/violation-rules", json: #"{"season": 2026, "code": "hygiene", "points": 4}"#, headers: admin)
            #expect(set.status == .ok, "\(set.text)")
            try await client.post("/api/v1/admin/violation-rules", json: #"{"code": "hygiene", "points": 13}"#, headers: admin)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "points")
            try await client.post("/api/v1/admin/violation-rules", json: #"{"code": "spitting", "points": 1}"#, headers: admin)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "code")
            let cg = try await client.signIn("cg.li")
            try await client.post("/api/v1/admin/violation-rules", json: #"{"code": "hygiene", "points": 1}"#, headers: cg).expectError(
                .forbidden, code: "FORBIDDEN")
            let inspected = try await Scene.inspect(client, cg, result: "violation", violations: ["hygiene"])
            #expect(try inspected.json()["points_deducted"] as? Int == 4)
            let next = try await client.get("/api/v1/admin/violation-rules?season=2027", headers: admin).json()
            #expect((next["items"] as? [[String: Any]])?.first { $0["code"] as? String == "hygiene" }?["points"] as? Int == 2)
        }
    }

    @Test("a category's time limit sets the due time of cases dispatched afterwards")
    func timeLimits() async throws {
        let service = try await Scene.permitIssued()
        try await service.run { client in
            let admin = try await client.signIn("admin")
            let set = try await client.post("/api/v1/admin/report-categories/hygiene", json: #"{"time_limit_minutes": 60}"#, headers: admin)
            #expect(set.status == .ok, "\(set.text)")
            try await client.post("/api/v1/admin/report-categories/hygiene", json: #"{"time_limit_minutes": 1}"#, headers: admin)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "time_limit_minutes")
            try await client.post("/api/v1/admin/report-categories/litter", json: #"{"time_limit_minutes": 60}"#, headers: admin)
                .expectError(.notFound, code: "NOT_FOUND")
            let report = try await Scene.submit(client, #"{"category": "hygiene", "description": "垃圾", "slot_id": "CG-001-01"}"#)
            let cg = try await client.signIn("cg.li")
            let id = try #require(report["report_id"] as? String)
            _ = try await Scene.act(client, id, "accept", cg)
            let dispatched = try await Scene.act(client, id, "dispatch", cg).json()
            #expect(dispatched["due_at"] as? String == "2026-07-15T10:00:00+08:00")
            let categories = try await client.get("/api/v1/report-categories").json()
            #expect((categories["items"] as? [[String: Any]])?.first { $0["code"] as? String == "hygiene" }?["time_limit_minutes"] as? Int == 60)
        }
    }
}
