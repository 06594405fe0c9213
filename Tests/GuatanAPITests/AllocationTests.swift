import Foundation
import GuatanAPI
import GuatanCore
import GuatanSQLite
import GuatanStoreInterface
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// The season's allocation as its users go through it over HTTP: the bureau opens 2027 from
/// 2026, vendors apply in the window, the squads and the bureau review, the list and the
/// commitment are published, the draw is run and re-run by anyone, the notice hears objections,
/// permits are issued at once, and slots given up in the season go down the waitlist.
@Suite("Season allocation")
struct AllocationTests {
    /// A valid resident ID number (GB 11643 check character) for person `n`.
    static func idCard(_ n: Int) -> String {
        let body = "6201021980010" + String(format: "%04d", n)
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(body, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
        return body + String(Array("10X98765432")[sum % 11])
    }

    /// Vendor `n` registered by the bureau (`farmer<n>`), with his own ID number and vehicle.
    static func register(_ client: some TestClientProtocol, _ n: Int, admin: HTTPFields) async throws -> String {
        let body = """
            {"name": "农户\(n)号", "phone": "139000000\(String(format: "%02d", n))", "id_card_no": "\(idCard(n))", "origin": "榆中县",
             "vehicle_plate": "甘A9\(String(format: "%04d", n))", "produce": ["白兰瓜"], "username": "farmer\(n)", "password": "\(TestService.password)"}
            """
        let created = try await client.post("/api/v1/admin/vendors", json: body, headers: admin)
        #expect(created.status == .created, "\(created.text)")
        return try #require(try created.json()["vendor_id"] as? String)
    }

    static func application(
        season: Int = 2027, sites: [String], renew: Bool = false, household: [String] = [], helpers: [(String, String, String)] = []
    ) -> MultipartBody {
        var form = MultipartBody()
        form.field("season", String(season))
        for (name, card, relation) in helpers {
            form.field("helper_name", name)
            form.field("helper_id_card", card)
            form.field("helper_relation", relation)
        }
        for site in sites { form.field("preferences", site) }
        if renew { form.field("renew", "true") }
        if !household.isEmpty { form.field("household_id_cards", household.joined(separator: ",")) }
        form.field("produce", "白兰瓜")
        form.field("expected_kg", "600")
        form.file("certificate", filename: "证明.jpg", contentType: "image/jpeg", Scene.photo)
        return form
    }

    static func act(_ client: some TestClientProtocol, _ action: String, _ admin: HTTPFields, extra: String = "") async throws -> TestResponse {
        try await client.post("/api/v1/admin/seasons/2027/transitions", json: #"{"action": "\#(action)"\#(extra)}"#, headers: admin)
    }

    @Test("a whole cycle: open 2027 from 2026, the window, review, list and commitment, draw, notice with objections, allocation, the waitlist")
    func wholeCycle() async throws {
        let time = TestTime(TestService.midSeason)
        let service = try await Scene.permitIssued(clock: time.clock)
        let database = service.database
        try await service.run { client in
            var admin = try await client.signIn("admin")
            var vendors: [Int: String] = [:]
            for n in 3...10 { vendors[n] = try await Self.register(client, n, admin: admin) }
            // A bar from 2026 carries into 2027 (as three months at zero points would leave it).
            let barredVendor = vendors[10]!
            let barredAt = time.now
            _ = try await database.transaction { tx in
                try tx.insertBar(vendorId: barredVendor, season: 2027, reason: "2026 年三个月积分清零，许可证被吊销", at: barredAt)
            }

            // The bureau opens 2027 with a copy of the registry; the running season is untouched.
            let opened = try await client.post("/api/v1/admin/seasons", json: #"{"year": 2027, "from": 2026}"#, headers: admin)
            #expect(opened.status == .created, "\(opened.text)")
            #expect(try opened.json()["phase"] as? String == "planning")
            _ = try await client.post("/api/v1/admin/seasons", json: #"{"year": 2027, "from": 2026}"#, headers: admin).expectError(
                .conflict, code: "CONFLICT")
            let settings = try await client.post(
                "/api/v1/admin/seasons/2027/settings", json: #"{"renewal_min_share": 0, "notice_days": 5}"#, headers: admin)
            #expect(settings.status == .ok, "\(settings.text)")

            // Sessions end when the clock jumps months: each request signs in afresh.
            func who(_ name: String) async throws -> HTTPFields { try await client.signIn(name) }

            // Before the window: refused with the dates (none announced yet).
            try await client.post("/api/v1/season-applications", form: Self.application(sites: ["CG-001"]), headers: try await who("lisi"))
                .expectError(.conflict, code: "APPLICATIONS_CLOSED")
            let window = try await Self.act(
                client, "open_applications", admin, extra: #", "applications_open_on": "2027-03-01", "applications_close_on": "2027-03-31""#)
            #expect(window.status == .ok, "\(window.text)")
            let early = try await client.post(
                "/api/v1/season-applications", form: Self.application(sites: ["CG-001"]), headers: try await who("lisi"))
            let details = try early.expectError(.conflict, code: "APPLICATIONS_CLOSED")["details"] as? [String: Any]
            #expect(details?["opens_on"] as? String == "2027-03-01" && details?["closes_on"] as? String == "2027-03-31")

            // In the window.
            time.set("2027-03-10T10:00:00+08:00")
            admin = try await who("admin")
            try await client.post(
                "/api/v1/season-applications", form: Self.application(sites: [], renew: true, helpers: [("张小花", "12345", "配偶")]),
                headers: try await who("zhangsan")
            ).expectError(.badRequest, code: "VALIDATION_FAILED", field: "helpers")
            let renewal = try await client.post(
                "/api/v1/season-applications", form: Self.application(sites: [], renew: true, helpers: [("张小花", Self.idCard(201), "配偶")]),
                headers: try await who("zhangsan"))
            #expect(renewal.status == .created, "\(renewal.text)")
            let helper = try #require((try renewal.json()["helpers"] as? [[String: Any]])?.first)
            #expect(helper["name"] as? String == "张小花" && helper["id_card_last4"] as? String == String(Self.idCard(201).suffix(4)))
            #expect(!renewal.text.contains("hash") && !renewal.text.contains(Self.idCard(201)))
            #expect(try renewal.json()["renewal_slot"] as? String == "CG-001-01")
            var numbers: [String: String] = [:]
            let liApplied = try await client.post(
                "/api/v1/season-applications", form: Self.application(sites: ["CG-001", "CG-002"]), headers: try await who("lisi"))
            #expect(liApplied.status == .created, "\(liApplied.text)")
            numbers["lisi"] = try liApplied.json()["application_no"] as? String
            for n in 3...7 {
                let applied = try await client.post(
                    "/api/v1/season-applications", form: Self.application(sites: ["CG-001"]), headers: try await who("farmer\(n)"))
                #expect(applied.status == .created, "\(applied.text)")
                numbers["farmer\(n)"] = try applied.json()["application_no"] as? String
            }
            // One application per vendor, one per household, none for a barred vendor.
            try await client.post("/api/v1/season-applications", form: Self.application(sites: ["CG-002"]), headers: try await who("farmer\(3)"))
                .expectError(.conflict, code: "CONFLICT")
            try await client.post(
                "/api/v1/season-applications", form: Self.application(sites: ["CG-002"], household: [Self.idCard(3)]),
                headers: try await who("farmer8")
            ).expectError(.conflict, code: "HOUSEHOLD_HAS_APPLIED")
            let barred = try await client.post(
                "/api/v1/season-applications", form: Self.application(sites: ["CG-002"]), headers: try await who("farmer\(10)"))
            let bar = try barred.expectError(.conflict, code: "BARRED")
            #expect((bar["message"] as? String)?.contains("吊销") == true)
            // farmer9 applies and will be rejected at review.
            let rejected = try await client.post(
                "/api/v1/season-applications", form: Self.application(sites: ["CG-001"]), headers: try await who("farmer\(9)"))
            numbers["farmer9"] = try rejected.json()["application_no"] as? String

            // The window closes after its last day, not before.
            try await Self.act(client, "close_applications", admin).expectError(.conflict, code: "PHASE")
            time.set("2027-04-01T09:00:00+08:00")
            admin = try await who("admin")
            try await client.post("/api/v1/season-applications", form: Self.application(sites: ["CG-002"]), headers: try await who("farmer\(8)"))
                .expectError(.conflict, code: "APPLICATIONS_CLOSED")
            #expect(try await Self.act(client, "close_applications", admin).status == .ok)

            // Review: the squad of CG (初审), the bureau (复审); another district's squad may not.
            var officer = try await who("cg.li")
            var other = try await who("xg.sun")
            let listed = try await client.get("/api/v1/season-applications?season=2027", headers: officer).json()
            let all = try #require(listed["items"] as? [[String: Any]])
            #expect(all.count == 8 && listed["total"] as? Int == 8)
            #expect(try await client.get("/api/v1/season-applications?season=2027", headers: other).json()["total"] as? Int == 0)
            try await Self.act(client, "publish_list", admin).expectError(.conflict, code: "PHASE")
            for item in all {
                let number = item["application_no"] as! String
                let path = "/api/v1/season-applications/\(number)/transitions"
                try await client.post(path, json: #"{"action": "review"}"#, headers: other).expectError(.forbidden, code: "FORBIDDEN")
                if number == numbers["farmer9"] {
                    let no = try await client.post(path, json: #"{"action": "reject", "reason": "村委会证明与身份证姓名不符"}"#, headers: officer)
                    #expect(try no.status == .ok && (no.json()["status"] as? String) == "rejected")
                    continue
                }
                #expect(try await client.post(path, json: #"{"action": "review"}"#, headers: officer).status == .ok)
                try await client.post(path, json: #"{"action": "approve"}"#, headers: officer).expectError(.forbidden, code: "FORBIDDEN")
                #expect(try await client.post(path, json: #"{"action": "approve"}"#, headers: admin).status == .ok)
            }

            // The list and the commitment: the seed stays secret until the draw.
            #expect(try await client.get("/api/v1/seasons/2027/draw").status == .notFound)
            #expect(try await Self.act(client, "publish_list", admin).status == .ok)
            let listFile = try await client.get("/api/v1/seasons/2027/draw")
            let list = try Draw.Published.decode(Data(listFile.text.utf8))
            #expect(list.seed == nil && list.results == nil && list.commitment.count == 64)
            #expect(list.applications.count == 7 && !listFile.text.contains("农户") && !listFile.text.contains("张三丰"))
            #expect(list.applications.first { $0.renewalSlot == "CG-001-01" }?.tier == 1)
            let review = try await client.post(
                "/api/v1/season-applications/\(numbers["lisi"]!)/transitions", json: #"{"action": "withdraw"}"#, headers: try await who("lisi"))
            try review.expectError(.conflict, code: "PHASE")

            // The draw: the seed revealed, and anyone re-running the rule gets the published results.
            #expect(try await Self.act(client, "draw", admin).status == .ok)
            let drawn = try Draw.Published.decode(Data(try await client.get("/api/v1/seasons/2027/draw").text.utf8))
            #expect(drawn.seed != nil && drawn.commitment == list.commitment && drawn.applications == list.applications)
            #expect(try drawn.run() == drawn.results)
            let results = try #require(drawn.results)
            #expect(try results.allocation.first { $0.slotId == "CG-001-01" }?.applicationNo == (renewal.json()["application_no"] as? String))
            #expect(results.allocation.filter { $0.siteId == "CG-001" }.count == 3)
            let waiting = try #require(results.waitlists["CG-001"])
            #expect(waiting.count >= 3)

            // The notice: one objection upheld (the next in order moves up), one dismissed.
            #expect(try await Self.act(client, "start_notice", admin).status == .ok)
            let objected = try #require(results.allocation.first { $0.siteId == "CG-001" && $0.tier == 3 })
            let kept = try #require(results.allocation.first { $0.siteId == "CG-001" && $0.tier == 3 && $0.applicationNo != objected.applicationNo })
            let filed = try await client.post(
                "/api/v1/seasons/2027/objections", json: #"{"application_no": "\#(objected.applicationNo)", "reason": "此户家中另有人已获摊位，属一户多摊"}"#)
            #expect(filed.status == .created, "\(filed.text)")
            let second = try await client.post(
                "/api/v1/seasons/2027/objections", json: #"{"application_no": "\#(kept.applicationNo)", "reason": "听说此人不是本地农户"}"#)
            try await client.post("/api/v1/seasons/2027/objections", json: #"{"application_no": "SQ2027-999999", "reason": "没有这个人吧？"}"#)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "application_no")
            try await Self.act(client, "allocate", admin).expectError(.conflict, code: "PHASE")
            let upheld = try await client.post(
                "/api/v1/admin/objections/\(try filed.json()["objection_no"] as! String)/answer",
                json: #"{"uphold": true, "answer": "经核实，该户已有家庭成员获得摊位，取消其资格"}"#, headers: admin)
            #expect(try upheld.status == .ok && (upheld.json()["status"] as? String) == "upheld", "\(upheld.text)")
            let dismissed = try await client.post(
                "/api/v1/admin/objections/\(try second.json()["objection_no"] as! String)/answer",
                json: #"{"uphold": false, "answer": "经核实，村委会证明属实，为青城镇农户"}"#, headers: admin)
            #expect(try dismissed.json()["status"] as? String == "dismissed")
            let redone = try Draw.Published.decode(Data(try await client.get("/api/v1/seasons/2027/draw").text.utf8))
            #expect(try redone.excluded == [objected.applicationNo] && (redone.run()) == redone.results)
            // The same lots without the one taken out: nobody else loses a slot, and the next in
            // order who wanted CG-001 moves up (the first waiting, or one who held a later choice).
            let held = Dictionary(uniqueKeysWithValues: results.allocation.map { ($0.applicationNo, $0.siteId) })
            let now = Dictionary(uniqueKeysWithValues: (redone.results?.allocation ?? []).map { ($0.applicationNo, $0.siteId) })
            #expect(now[objected.applicationNo] == nil && held.keys.filter { $0 != objected.applicationNo }.allSatisfy { now[$0] != nil })
            let movedUp = try #require(now.first { $0.value == "CG-001" && held[$0.key] != "CG-001" }?.key)
            #expect(now.values.filter { $0 == "CG-001" }.count == 3)
            #expect(movedUp == waiting[0] || held[movedUp] != nil, "the next in order who named CG-001 moved up")
            #expect(redone.results?.waitlists["CG-001"] == (movedUp == waiting[0] ? Array(waiting.dropFirst()) : waiting))
            let page = try await client.get("/api/v1/seasons/2027/allocation?district=CG").json()
            #expect(page["seed"] as? String == drawn.seed && (page["objections"] as? [[String: Any]])?.count == 2)
            let site = try #require((page["sites"] as? [[String: Any]])?.first { $0["site_id"] as? String == "CG-001" })
            #expect((site["results"] as? [[String: Any]])?.count == 3 && site["applicants"] as? Int == 7)
            // During the notice each result shows the permit number it will be issued (拟发许可证号).
            let whole = try await client.get("/api/v1/seasons/2027/allocation").json()
            var toBe: [String: String] = [:]
            for result in (whole["sites"] as? [[String: Any]] ?? []).flatMap({ $0["results"] as? [[String: Any]] ?? [] }) {
                #expect(result["permit_no"] == nil || result["permit_no"] is NSNull)
                toBe[result["application_no"] as! String] = result["permit_no_to_be"] as? String
            }
            #expect(toBe.count == redone.results?.allocation.count && Set(toBe.values).count == toBe.count)

            // After the notice, every permit at once; the 2027 registry is the live one.
            time.set("2027-04-06T09:00:00+08:00")
            admin = try await who("admin")
            let allocated = try await Self.act(client, "allocate", admin)
            #expect(try allocated.status == .ok && (allocated.json()["phase"] as? String) == "allocated", "\(allocated.text)")
            let issued = try await client.get("/api/v1/seasons/2027/allocation").json()
            for result in (issued["sites"] as? [[String: Any]] ?? []).flatMap({ $0["results"] as? [[String: Any]] ?? [] }) {
                #expect(result["permit_no"] as? String == toBe[result["application_no"] as! String], "issued as announced")
            }
            let permits = try #require(
                try await client.get("/api/v1/me/permits", headers: try await who("zhangsan")).json()["items"] as? [[String: Any]])
            let renewed = try #require(permits.first { $0["season"] as? Int == 2027 })
            #expect(renewed["slot_id"] as? String == "CG-001-01" && renewed["status"] as? String == "issued")
            #expect(try await Self.act(client, "start_season", admin).status == .ok)
            // The stall page counts the helpers registered on the permit, and never names them.
            let helped = try await client.get("/api/v1/stalls/CG-001-01")
            #expect(try helped.json()["registered_helpers"] as? Int == 1 && !helped.text.contains("张小花"))

            // In the season: the squad finds his registered helper at the stall (no violation), then a stranger (人证位不符).
            time.set("2027-07-01T08:00:00+08:00")
            admin = try await who("admin")
            officer = try await who("cg.li")
            other = try await who("xg.sun")
            let withHelper = try await Scene.inspect(client, officer, result: "compliant", extra: #", "at_stall": "helper""#)
            #expect(try withHelper.status == .created && withHelper.json()["at_stall"] as? String == "helper", "\(withHelper.text)")
            try await Scene.inspect(client, officer, result: "compliant", extra: #", "at_stall": "other""#)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "result")
            let stranger = try await Scene.inspect(client, officer, result: "violation", extra: #", "at_stall": "other""#)
            #expect(
                try stranger.json()["violations"] as? [String] == ["person_permit_slot_mismatch"] && stranger.json()["points_deducted"] as? Int == 12)
            // 张三丰 gives his stall up; the first waiting is offered it and accepts.
            let waitlist = try #require(redone.results?.waitlists["CG-001"])
            let firstWaiting = try #require(numbers.first { $0.value == waitlist[0] }?.key)
            let secondWaiting = try #require(numbers.first { $0.value == waitlist[1] }?.key)
            let before = try await client.get("/api/v1/me/allocation?season=2027", headers: try await who(secondWaiting)).json()
            #expect(before["stage"] as? String == "waitlisted")
            #expect((before["waitlist"] as? [[String: Any]])?.first?["position"] as? Int == 2)
            let surrendered = try await client.post(
                "/api/v1/me/permits/\(renewed["permit_no"] as! String)/surrender", json: #"{"reason": "家里有事，不出摊了"}"#,
                headers: try await who("zhangsan"))
            #expect(try surrendered.status == .ok && (surrendered.json()["status"] as? String) == "surrendered", "\(surrendered.text)")
            let mine = try await client.get("/api/v1/me/allocation?season=2027", headers: try await who(firstWaiting)).json()
            #expect(mine["stage"] as? String == "offer")
            let offer = try #require((mine["offers"] as? [[String: Any]])?.first)
            #expect(offer["slot_id"] as? String == "CG-001-01" && offer["deadline"] as? String == "2027-07-03T08:00:00+08:00")
            let officerOffers = try await client.get("/api/v1/officer/offers?season=2027", headers: officer).json()
            #expect((officerOffers["items"] as? [[String: Any]])?.count == 1)
            #expect(try (await client.get("/api/v1/officer/offers?season=2027", headers: other).json()["items"] as? [Any])?.isEmpty == true)
            let accepted = try await client.post(
                "/api/v1/me/offers/\(offer["offer_no"] as! String)/accept", json: "{}", headers: try await who(firstWaiting))
            #expect(try accepted.status == .ok && (accepted.json()["permit_no"] as? String) != nil, "\(accepted.text)")
            let stall = try await client.get("/api/v1/stalls/CG-001-01").json()
            #expect(try (stall["permit"] as? [String: Any])?["permit_no"] as? String == (accepted.json()["permit_no"] as? String))

            // Another gives his up; the next does not answer within 48 hours, and it goes on down the list.
            let holder = try #require(redone.results?.allocation.first { $0.siteId == "CG-001" && $0.tier == 3 })
            let holderName = try #require(numbers.first { $0.value == holder.applicationNo }?.key)
            let holderPermits = try await client.get("/api/v1/me/permits", headers: try await who(holderName)).json()["items"] as! [[String: Any]]
            let holderPermit = holderPermits.first { $0["season"] as? Int == 2027 }!["permit_no"] as! String
            #expect(
                try await client.post("/api/v1/me/permits/\(holderPermit)/surrender", json: "{}", headers: try await who(holderName)).status == .ok)
            let second2 = try await client.get("/api/v1/me/allocation?season=2027", headers: try await who(secondWaiting)).json()
            let missed = try #require((second2["offers"] as? [[String: Any]])?.first)
            time.set("2027-07-03T09:00:00+08:00")
            admin = try await who("admin")
            await OfferScheduler(allocation: database.workflows.allocation, clock: time.clock, logger: Logger(label: "test")).tick()
            let after = try await client.get("/api/v1/me/allocation?season=2027", headers: try await who(secondWaiting)).json()
            #expect((after["offers"] as? [[String: Any]])?.first?["status"] as? String == "expired")
            #expect(after["stage"] as? String == "not_allocated")
            try await client.post("/api/v1/me/offers/\(missed["offer_no"] as! String)/accept", json: "{}", headers: try await who(secondWaiting))
                .expectError(.conflict, code: "CONFLICT")
            if waitlist.count > 2, let third = numbers.first(where: { $0.value == waitlist[2] })?.key {
                let next = try await client.get("/api/v1/me/allocation?season=2027", headers: try await who(third)).json()
                #expect(next["stage"] as? String == "offer")
            }
        }
    }

    @Test("a vendor's record across seasons; a bar lifted with a reason; an idle slot taken back only after a warning he could see")
    func recordBarsAndIdleSlots() async throws {
        let time = TestTime(TestService.midSeason)
        let service = try await Scene.permitIssued(clock: time.clock)
        let database = service.database
        let barredAt = time.now
        _ = try await database.transaction { tx in
            try tx.insertBar(vendorId: "V000002", season: 2027, reason: "2026 年三个月积分清零", at: barredAt)
        }
        try await service.run { client in
            let admin = try await client.signIn("admin")
            let zhang = try await client.signIn("zhangsan")
            let record = try await client.get("/api/v1/me/record", headers: zhang).json()
            let seasons = try #require(record["seasons"] as? [[String: Any]])
            #expect(seasons.count == 1 && seasons[0]["season"] as? Int == 2026 && seasons[0]["slot_id"] as? String == "CG-001-01")
            #expect(seasons[0]["check_in_days"] as? Int == 0 && seasons[0]["months_at_zero_points"] as? Int == 0)

            // The bar carries a reason; the bureau lifts it with one of its own, once.
            let lisi = try await client.get("/api/v1/admin/vendors/V000002/record", headers: admin).json()
            #expect((lisi["bars"] as? [[String: Any]])?.first?["lifted_at"] == nil)
            try await client.post("/api/v1/admin/vendors/V000002/bars/2027/lift", json: #"{"reason": ""}"#, headers: admin)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "reason")
            let lifted = try await client.post(
                "/api/v1/admin/vendors/V000002/bars/2027/lift", json: #"{"reason": "复核：扣分有误，已撤销两次扣分"}"#, headers: admin)
            #expect(lifted.status == .ok, "\(lifted.text)")
            let bar = try #require((try lifted.json()["bars"] as? [[String: Any]])?.first)
            #expect(bar["lifted_at"] as? String != nil && bar["lift_reason"] as? String == "复核：扣分有误，已撤销两次扣分")
            try await client.post("/api/v1/admin/vendors/V000002/bars/2027/lift", json: #"{"reason": "again"}"#, headers: admin)
                .expectError(.notFound, code: "NOT_FOUND")
            #expect(try await database.transaction { tx in try tx.bar(vendorId: "V000002", season: 2027) } == nil)
            let audit = try await client.get("/api/v1/admin/audit?entity=vendor&entity_id=V000002", headers: admin).json()
            #expect((audit["items"] as? [[String: Any]])?.contains { $0["action"] as? String == "vendor.bar_lift" } == true)

            // An idle slot: no taking back without a warning, nor before its day, nor after he turned up.
            let permit = "LZ2026-CG-000001"
            try await client.post("/api/v1/admin/idle-permits/\(permit)/reclaim", json: "{}", headers: admin).expectError(.conflict, code: "CONFLICT")
            let warned = try await client.post("/api/v1/admin/idle-permits/\(permit)/warn", json: #"{"days": 3}"#, headers: admin)
            #expect(try warned.status == .created && (warned.json()["reclaim_on"] as? String) == "2026-07-18", "\(warned.text)")
            let seen = try await client.get("/api/v1/me/record", headers: zhang).json()
            #expect((seen["idle_warnings"] as? [[String: Any]])?.first?["reclaim_on"] as? String == "2026-07-18")
            try await client.post("/api/v1/admin/idle-permits/\(permit)/reclaim", json: "{}", headers: admin).expectError(.conflict, code: "CONFLICT")
            #expect(try await Scene.checkIn(client, zhang).status == .created)
            time.set("2026-07-18T09:00:00+08:00")
            let fresh = try await client.signIn("admin")
            let turnedUp = try await client.post("/api/v1/admin/idle-permits/\(permit)/reclaim", json: "{}", headers: fresh)
            #expect(try (turnedUp.expectError(.conflict, code: "CONFLICT")["message"] as? String)?.contains("checked in since") == true)
            // Warned again, and this time he stays away.
            #expect(try await client.post("/api/v1/admin/idle-permits/\(permit)/warn", json: "{}", headers: fresh).status == .created)
            time.set("2026-07-21T09:00:00+08:00")
            let later = try await client.signIn("admin")
            // The idle list the dashboard shows carries the warning and its day.
            let idleList = try await client.get("/api/v1/admin/idle-permits?days=1", headers: later).json()
            let listed = try #require((idleList["items"] as? [[String: Any]])?.first { $0["permit_no"] as? String == permit })
            #expect(listed["reclaim_on"] as? String == "2026-07-21" && listed["warned_at"] as? String != nil)
            let reclaimed = try await client.post("/api/v1/admin/idle-permits/\(permit)/reclaim", json: "{}", headers: later)
            #expect(try reclaimed.status == .ok && (reclaimed.json()["status"] as? String) == "revoked", "\(reclaimed.text)")
            #expect(try await client.get("/api/v1/stalls/CG-001-01").json()["status_today"] as? String == "vacant")
        }
    }
}
