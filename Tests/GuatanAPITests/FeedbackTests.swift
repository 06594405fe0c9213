import AsyncHTTPClient
import Foundation
import GuatanAPI
import GuatanCore
import GuatanStoreInterface
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

/// The feedback loop as its users go through it (issue 17): a hotline call entered by the
/// bureau's call taker, its time limit passing on the service's own clock, the squad's
/// extension and send-back, the bureau's answers; the outbox read by a platform that pulls,
/// delivered to one that is pushed to, and the public Atom feed.
@Suite("Feedback loop: channels, escalation, extensions, send-backs, the outbox")
struct FeedbackTests {
    static func staffReport(channel: String, slot: String = "CG-001-01", notify: Bool = true) -> String {
        """
        {"category": "occupying_road", "description": "摊位占用人行道，行人只能走机动车道（市民来电）", "slot_id": "\(slot)",
         "contact_phone": "13800001111", "channel": "\(channel)", "notify_sms": \(notify)}
        """
    }

    @Test("a hotline call through dispatch, escalation on the moving clock, an extension approved, a send-back dispatched to the right district")
    func hotlineCase() async throws {
        let time = TestTime(TestService.midSeason)
        let service = try await Scene.permitIssued(clock: time.clock)
        _ = try await service.addAccount("hotline.wang", role: .callTaker)
        let escalation = EscalationScheduler(feedback: service.database.workflows.feedback, clock: time.clock, logger: Logger(label: "test"))
        try await service.run { client in
            let callTaker = try await client.signIn("hotline.wang")
            let cg = try await client.signIn("cg.li")
            let xg = try await client.signIn("xg.sun")
            let admin = try await client.signIn("admin")
            let vendor = try await client.signIn("zhangsan")

            // Who enters what: the call taker the hotline, an officer only what he saw in his district.
            try await client.post("/api/v1/staff/reports", json: Self.staffReport(channel: "hotline")).expectError(
                .unauthorized, code: "UNAUTHENTICATED")
            try await client.post("/api/v1/staff/reports", json: Self.staffReport(channel: "hotline"), headers: vendor).expectError(
                .forbidden, code: "FORBIDDEN")
            try await client.post("/api/v1/staff/reports", json: Self.staffReport(channel: "officer"), headers: callTaker).expectError(
                .forbidden, code: "FORBIDDEN")
            try await client.post("/api/v1/staff/reports", json: Self.staffReport(channel: "hotline"), headers: cg).expectError(
                .forbidden, code: "FORBIDDEN")
            try await client.post("/api/v1/staff/reports", json: Self.staffReport(channel: "officer"), headers: xg).expectError(
                .forbidden, code: "FORBIDDEN")
            try await client.post("/api/v1/staff/reports", json: Self.staffReport(channel: "web"), headers: callTaker).expectError(
                .badRequest, code: "VALIDATION_FAILED", field: "channel")
            let patrol = try await client.post("/api/v1/staff/reports", json: Self.staffReport(channel: "officer", slot: "CG-002-01"), headers: cg)
            #expect(patrol.status == .created, "\(patrol.text)")

            let entered = try await client.post("/api/v1/staff/reports", json: Self.staffReport(channel: "hotline"), headers: callTaker)
            #expect(entered.status == .created, "\(entered.text)")
            let id = try #require(try entered.json()["report_id"] as? String)
            let code = try #require(try entered.json()["tracking_code"] as? String)
            let staffView = try await client.get("/api/v1/reports/\(id)", headers: cg).json()
            #expect(staffView["channel"] as? String == "hotline" && staffView["entered_by"] as? String == "account:hotline.wang")
            #expect(staffView["contact_phone"] as? String == "13800001111" && staffView["notify_sms"] as? Bool == true)
            let publicView = try await client.get("/api/v1/reports/\(id)")
            #expect(!publicView.text.contains("13800001111") && !publicView.text.contains("hotline.wang"))
            #expect(try publicView.json()["channel"] as? String == "hotline")
            // A call taker takes calls; he does not work cases.
            try await Scene.act(client, id, "accept", note: "已立案", callTaker).expectError(.forbidden, code: "FORBIDDEN")

            #expect(try await Scene.act(client, id, "accept", note: "已立案", cg).status == .ok)
            let dispatched = try await Scene.act(client, id, "dispatch", cg).json()
            #expect(dispatched["due_at"] as? String == "2026-07-15T11:00:00+08:00", "occupying the road: 2 hours")
            // The desk offers the bureau's notes for the case's steps, its facts filled in, its category's first.
            let replies = try await client.get("/api/v1/reports/\(id)/replies?action=close", headers: cg).json()
            let offered = (replies["items"] as? [[String: Any]] ?? []).compactMap { $0["filled"] as? String }
            #expect(offered.first == "城关区执法中队已到CG-001-01现场，摊主已将摊位收回至划定范围（\(id)）。感谢您的监督！", "\(offered)")
            #expect(offered.count == 2 && offered[1].contains("经城关区执法中队现场处置"))
            try await client.get("/api/v1/reports/\(id)/replies", headers: xg).expectError(.forbidden, code: "FORBIDDEN")
            try await client.post(
                "/api/v1/admin/reply-templates", json: #"{"action": "close", "text": "已处理 {phone}"}"#, headers: admin
            ).expectError(.badRequest, code: "VALIDATION_FAILED", field: "text")
            let added = try await client.post(
                "/api/v1/admin/reply-templates", json: #"{"category": "occupying_road", "action": "handle", "text": "已于{due_at}前到{stall}处置"}"#,
                headers: admin)
            #expect(added.status == .created, "\(added.text)")
            let handleNotes = try await client.get("/api/v1/reports/\(id)/replies?action=handle", headers: cg).json()
            #expect((handleNotes["items"] as? [[String: Any]])?.first?["filled"] as? String == "已于7月15日 11:00前到CG-001-01处置")
            let templateId = try #require(try added.json()["template_id"] as? Int)
            #expect(try await client.post("/api/v1/admin/reply-templates/\(templateId)/retire", json: "{}", headers: admin).status == .noContent)
            #expect((try await client.get("/api/v1/reports/\(id)/replies?action=handle", headers: cg).json()["items"] as? [Any])?.isEmpty == true)
            let tracking = try await client.get("/api/v1/reports/track/\(code)").json()
            #expect((tracking["next_step"] as? String)?.contains("区执法中队将在 2 小时内处理") == true, "\(tracking["next_step"] ?? "-")")

            // The time limit passes: nobody asks, the scheduler escalates it once.
            time.set("2026-07-15T10:59:00+08:00")
            await escalation.tick()
            #expect(try await client.get("/api/v1/reports/\(id)", headers: cg).json()["escalated_at"] == nil)
            time.set("2026-07-15T11:05:00+08:00")
            await escalation.tick()
            await escalation.tick()
            let late = try await client.get("/api/v1/reports/\(id)", headers: cg).json()
            #expect(late["escalated_at"] as? String == "2026-07-15T11:05:00+08:00" && late["overdue"] as? Bool == true)
            let steps = (late["timeline"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
            #expect(steps.filter { $0 == "escalate" }.count == 1, "\(steps)")
            let queue = try await client.get("/api/v1/admin/escalations", headers: try await client.signIn("admin")).json()
            #expect((queue["items"] as? [[String: Any]])?.map { $0["report_id"] as? String } == [id])
            #expect((try await client.get("/api/v1/admin/escalations", headers: xg).json()["items"] as? [Any])?.isEmpty == true)
            try await client.get("/api/v1/admin/escalations?district=CG", headers: xg).expectError(.forbidden, code: "FORBIDDEN")
            #expect(
                (try await client.get("/api/v1/reports/track/\(code)").json()["next_step"] as? String)?.contains("已上报市城管委督办") == true)

            // The squad asks for more time; the bureau approves: a new limit, the escalation lifted.
            let ask = #"{"new_due_at": "2026-07-15T15:00:00+08:00", "reason": "摊主外出，需等其返回后处理"}"#
            try await client.post("/api/v1/reports/\(id)/extensions", json: ask, headers: xg).expectError(.forbidden, code: "FORBIDDEN")
            try await client.post(
                "/api/v1/reports/\(id)/extensions", json: #"{"new_due_at": "2026-07-30T15:00:00+08:00", "reason": "太久"}"#, headers: cg
            ).expectError(.badRequest, code: "VALIDATION_FAILED", field: "new_due_at")
            let asked = try await client.post("/api/v1/reports/\(id)/extensions", json: ask, headers: cg)
            #expect(asked.status == .created, "\(asked.text)")
            let extensionId = try #require(try asked.json()["extension_id"] as? Int)
            try await client.post("/api/v1/reports/\(id)/extensions", json: ask, headers: cg).expectError(.conflict, code: "CONFLICT")
            try await client.post(
                "/api/v1/report-extensions/\(extensionId)/decision", json: #"{"approve": true, "answer": "同意"}"#, headers: cg
            ).expectError(.forbidden, code: "FORBIDDEN")
            let pending = try await client.get("/api/v1/admin/report-extensions", headers: admin).json()
            #expect((pending["items"] as? [[String: Any]])?.first?["report_id"] as? String == id)
            let approved = try await client.post(
                "/api/v1/report-extensions/\(extensionId)/decision", json: #"{"approve": true, "answer": "同意延期至15时"}"#, headers: admin)
            #expect(try approved.status == .ok && approved.json()["status"] as? String == "approved", "\(approved.text)")
            try await client.post(
                "/api/v1/report-extensions/\(extensionId)/decision", json: #"{"approve": false, "answer": "再次"}"#, headers: admin
            ).expectError(.conflict, code: "CONFLICT")
            let extended = try await client.get("/api/v1/reports/\(id)", headers: cg).json()
            #expect(extended["due_at"] as? String == "2026-07-15T15:00:00+08:00" && extended["escalated_at"] == nil)
            #expect((try await client.get("/api/v1/admin/escalations", headers: admin).json()["items"] as? [Any])?.isEmpty == true)

            // The squad finds it is not its stall's matter: sent back, the bureau places it with XG.
            let noReason = try await client.post(
                "/api/v1/reports/\(id)/transitions", json: #"{"action": "send_back", "internal_note": "不是我们的"}"#, headers: cg)
            try noReason.expectError(.badRequest, code: "VALIDATION_FAILED", field: "reason")
            let sentBack = try await client.post(
                "/api/v1/reports/\(id)/transitions",
                json: #"{"action": "send_back", "reason": "wrong_district", "internal_note": "现场在西固区一侧"}"#, headers: cg)
            #expect(try sentBack.status == .ok && sentBack.json()["status"] as? String == "sent_back", "\(sentBack.text)")
            #expect((try await client.get("/api/v1/admin/sent-back", headers: admin).json()["items"] as? [[String: Any]])?.count == 1)
            try await client.post("/api/v1/reports/\(id)/transitions", json: #"{"action": "dispatch"}"#, headers: cg).expectError(
                .forbidden, code: "FORBIDDEN")
            let redispatched = try await client.post(
                "/api/v1/reports/\(id)/transitions", json: #"{"action": "dispatch", "district": "XG"}"#, headers: admin)
            #expect(try redispatched.status == .ok && redispatched.json()["district"] as? String == "XG", "\(redispatched.text)")
            #expect(try await Scene.act(client, id, "handle", note: "已劝离", xg).status == .ok)

            // The outbox, in commit order, for a platform that pulls; no contact in any event.
            let events = try await client.get("/api/v1/admin/events?limit=500", headers: admin)
            #expect(!events.text.contains("13800001111"))
            let items = try #require(try events.json()["items"] as? [[String: Any]])
            let sequences = items.compactMap { $0["sequence"] as? Int }
            #expect(sequences == Array(1...sequences.count), "gap-free, in order")
            let ofCase = items.filter { $0["entity_id"] as? String == id }.compactMap { $0["type"] as? String }
            #expect(
                ofCase == [
                    "report.submitted", "report.accepted", "report.dispatched", "report.escalated", "report.extension_requested",
                    "report.extension_answered", "report.sent_back", "report.dispatched", "report.handled",
                ], "\(ofCase)")
            #expect(items.first?["type"] as? String == "permit.issued", "the scene's permit")
            let after = try #require(items[2]["id"] as? String)
            let rest = try await client.get("/api/v1/admin/events?after=\(after)", headers: admin).json()
            #expect((rest["items"] as? [[String: Any]])?.first?["sequence"] as? Int == 4)
            try await client.get("/api/v1/admin/events", headers: cg).expectError(.forbidden, code: "FORBIDDEN")

            // Anyone's feed reader: the stall's cases, step by step, as the public timeline shows them.
            let feed = try await client.get("/feeds/stalls/CG-001-01.atom")
            #expect(feed.status == .ok && feed.headers[.contentType]?.hasPrefix("application/atom+xml") == true)
            #expect(feed.text.contains(#"<feed xmlns="http://www.w3.org/2005/Atom">"#) && feed.text.contains("report/\(id)/step/"))
            #expect(feed.text.contains("escalate") && feed.text.contains("send_back") && !feed.text.contains("13800001111"))
            #expect(!feed.text.contains("现场在西固区一侧"), "internal notes stay inside")
            #expect(try await client.get("/feeds/districts/XG.atom").text.contains(id))
            try await client.get("/feeds/stalls/CG-001-01.rss").expectError(.notFound, code: "NOT_FOUND")
        }
    }

    /// A receiver the tests start: answers with the statuses it is given, one per request, then 200.
    final class Receiver: Sendable {
        struct Delivery: Sendable {
            let headers: HTTPFields
            let body: [UInt8]
        }
        let script: Mutex<[Int]>
        let seen = Mutex<[Delivery]>([])

        init(statuses: [Int]) {
            script = Mutex(statuses)
        }

        func router() -> Router<BasicRequestContext> {
            let router = Router()
            router.post("/hook") { request, _ -> Response in
                let body = try await request.body.collect(upTo: 1 << 20)
                self.seen.withLock { $0.append(Delivery(headers: request.headers, body: Array(buffer: body))) }
                let status = self.script.withLock { $0.isEmpty ? 200 : $0.removeFirst() }
                return Response(status: .init(code: status))
            }
            return router
        }

        var deliveries: [Delivery] { seen.withLock { $0 } }
    }

    @Test("webhooks: signed, in order, retried with backoff after two failures, a receiver that keeps failing ends in the dead letters")
    func webhooks() async throws {
        let time = TestTime(TestService.midSeason)
        let service = try await Scene.permitIssued(clock: time.clock)
        let good = Receiver(statuses: [500, 503])
        let broken = Receiver(statuses: Array(repeating: 500, count: 100))
        let receivers = [good, broken].map { Application(router: $0.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0))) }
        let deliverer = WebhookDeliverer(
            endpoints: service.database, store: service.database, clock: time.clock,
            policy: WebhookPolicy(retryBase: 60, attempts: 3, timeout: 5), logger: Logger(label: "test"))
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        try await service.run { client in
            try await receivers[0].test(.live) { goodClient in
                try await receivers[1].test(.live) { brokenClient in
                    let goodURL = "http://127.0.0.1:\(goodClient.port!)/hook"
                    let brokenURL = "http://127.0.0.1:\(brokenClient.port!)/hook"
                    let admin = try await client.signIn("admin")
                    let registered = try await client.post(
                        "/api/v1/admin/webhooks",
                        json: #"{"name": "城市运行管理服务平台", "url": "\#(goodURL)", "events": ["report.submitted", "report.accepted"]}"#,
                        headers: admin)
                    #expect(registered.status == .created, "\(registered.text)")
                    let secret = try #require(try registered.json()["secret"] as? String)
                    _ = try await client.post("/api/v1/admin/webhooks", json: #"{"name": "坏的", "url": "\#(brokenURL)"}"#, headers: admin)
                    try await client.post("/api/v1/admin/webhooks", json: #"{"name": "x", "url": "ftp://example"}"#, headers: admin).expectError(
                        .badRequest, code: "VALIDATION_FAILED", field: "url")
                    #expect(!(try await client.get("/api/v1/admin/webhooks", headers: admin).text.contains(secret)), "the secret is shown once")

                    // Two reports and a step: three events the platform wants, one (dispatch) it does not.
                    let first = try await Scene.submit(client, #"{"category": "hygiene", "description": "垃圾", "slot_id": "CG-001-01"}"#)
                    let cg = try await client.signIn("cg.li")
                    _ = try await Scene.act(client, first["report_id"] as! String, "accept", note: "已立案", cg)
                    _ = try await Scene.act(client, first["report_id"] as! String, "dispatch", cg)
                    let second = try await Scene.submit(client, #"{"category": "noise", "description": "喇叭声大", "slot_id": "CG-001-01"}"#)

                    // Fails twice with backoff (60 s, then 120 s), then everything arrives in order.
                    await deliverer.tick(http)
                    #expect(good.deliveries.count == 1)
                    await deliverer.tick(http)
                    #expect(good.deliveries.count == 1, "waiting for its retry")
                    time.set("2026-07-15T09:01:01+08:00")
                    await deliverer.tick(http)
                    #expect(good.deliveries.count == 2)
                    time.set("2026-07-15T09:03:02+08:00")
                    await deliverer.tick(http)
                    let deliveries = good.deliveries
                    #expect(deliveries.count == 5, "two failures, then the three events")
                    let keys = deliveries.map { $0.headers[HTTPField.Name("Idempotency-Key")!] ?? "" }
                    #expect(keys[0] == keys[1] && keys[1] == keys[2], "the same event until it is taken")
                    #expect(Array(keys[2...]) == Array(Set(keys)).sorted(), "in order, each once after its success")
                    for delivery in deliveries {
                        let header = try #require(delivery.headers[HTTPField.Name("X-Guatan-Signature")!])
                        let timestamp = try #require(Int(header.split(separator: ",")[0].dropFirst(2)))
                        #expect(header == WebhookSignature.sign(body: delivery.body, secret: secret, timestamp: timestamp), "signed with its secret")
                        let event = try #require(try JSONSerialization.jsonObject(with: Data(delivery.body)) as? [String: Any])
                        #expect(["report.submitted", "report.accepted"].contains(event["type"] as? String ?? ""))
                    }
                    let status = try await client.get("/api/v1/admin/webhooks", headers: admin).json()
                    let endpoints = try #require(status["items"] as? [[String: Any]])
                    #expect(endpoints[0]["delivered_count"] as? Int == 3 && endpoints[0]["failing_attempts"] as? Int == 0)
                    #expect(endpoints[1]["failing_attempts"] as? Int ?? 0 > 0 && endpoints[1]["last_status"] as? Int == 500)

                    // The broken one, on the same clock: three attempts at its first event, then it was given up
                    // and the next one tried.
                    let dead = try await client.get("/api/v1/admin/webhooks/dead-letters", headers: admin).json()
                    let letters = try #require(dead["items"] as? [[String: Any]])
                    #expect(letters.count == 1 && letters[0]["attempts"] as? Int == 3, "\(letters)")
                    #expect((letters[0]["event"] as? [String: Any])?["type"] as? String == "report.submitted")
                    #expect(broken.deliveries.count == 4, "three at the first event, one at the next")

                    // Steps the platform did not ask for, at the end of the outbox: passed over, it
                    // stands at the head with nothing sent.
                    let brokenId = try #require(endpoints[1]["endpoint_id"] as? Int)
                    #expect(try await client.post("/api/v1/admin/webhooks/\(brokenId)/pause", json: "{}", headers: admin).status == .ok)
                    _ = try await Scene.act(client, second["report_id"] as! String, "reject", note: "经核实不属实", cg)
                    _ = try await Scene.act(client, first["report_id"] as! String, "handle", note: "已处理", cg)
                    await deliverer.tick(http)
                    let head = try #require(
                        (try await client.get("/api/v1/admin/events?after=0&limit=500", headers: admin).json()["items"] as? [[String: Any]])?.last?[
                            "id"] as? String)
                    let standing = try await client.get("/api/v1/admin/webhooks", headers: admin).json()["items"] as? [[String: Any]]
                    #expect(standing?.first?["delivered_through"] as? String == head && good.deliveries.count == 5)
                }
            }
        }
        try await http.shutdown()
    }

    @Test("text messages: the reporter who asked and the vendor are told through the gateway, retried; a daily cap; at night only what cannot wait")
    func textMessages() async throws {
        let time = TestTime(TestService.midSeason)
        let service = try await Scene.permitIssued(clock: time.clock)
        let gateway = Receiver(statuses: [503])
        let receiver = Application(router: gateway.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let feedback = service.database.workflows.feedback
        try await service.run { client in
            try await receiver.test(.live) { live in
                let dispatcher = SMSDispatcher(
                    feedback: feedback, gateway: SMSGateway(url: "http://127.0.0.1:\(live.port!)/hook", key: "gw-key", dailyCap: 2),
                    clock: time.clock,
                    logger: Logger(label: "test"))
                await dispatcher.tick(http)
                #expect(gateway.deliveries.isEmpty, "nothing from before the gateway was set up")
                func sent() -> [(to: String, message: String)] {
                    gateway.deliveries.compactMap { delivery in
                        guard let body = try? JSONSerialization.jsonObject(with: Data(delivery.body)) as? [String: String] else { return nil }
                        return (body["to"] ?? "", body["message"] ?? "")
                    }
                }

                // One reporter asks to be told, another leaves a number but does not.
                let told = try await Scene.submit(
                    client,
                    #"{"category": "hygiene", "description": "垃圾", "slot_id": "CG-001-01", "contact_phone": "13700003333", "notify_sms": true}"#)
                let quiet = try await Scene.submit(
                    client, #"{"category": "noise", "description": "吵", "slot_id": "CG-002-01", "contact_phone": "13700004444"}"#)
                try await client.post(
                    "/api/v1/reports", json: #"{"category": "noise", "description": "吵", "slot_id": "CG-002-01", "notify_sms": true}"#
                ).expectError(.badRequest, code: "VALIDATION_FAILED", field: "notify_sms")
                let cg = try await client.signIn("cg.li")
                for id in [told["report_id"], quiet["report_id"]].compactMap({ $0 as? String }) {
                    _ = try await Scene.act(client, id, "accept", note: "已立案", cg)
                    _ = try await Scene.act(client, id, "dispatch", cg)
                }
                await dispatcher.tick(http)
                #expect(gateway.deliveries.count == 2, "the first failed, the second went")
                time.set("2026-07-15T09:01:00+08:00")
                await dispatcher.tick(http)
                let day = sent()
                #expect(day.count == 3 && day.allSatisfy { $0.to == "13700003333" }, "\(day)")
                #expect(day.contains { $0.message.contains("已立案") } && day.contains { $0.message.contains("已派遣至区执法中队") })
                #expect(gateway.deliveries.allSatisfy { $0.headers[.authorization] == "Bearer gw-key" })
                // A third message the same day: over the cap of two, not sent.
                _ = try await Scene.act(client, told["report_id"] as! String, "handle", note: "已清理", cg)
                await dispatcher.tick(http)
                #expect(sent().count == 3)

                // At night: the idle warning waits for the morning, the suspension goes at once.
                time.set("2026-07-15T23:00:00+08:00")
                let admin = try await client.signIn("admin")
                #expect(try await client.post("/api/v1/admin/idle-permits/LZ2026-CG-000001/warn", json: "{}", headers: admin).status == .created)
                let suspended = try await client.post(
                    "/api/v1/permits/LZ2026-CG-000001/transitions", json: #"{"action": "suspend", "reason": "占用盲道"}"#, headers: admin)
                #expect(suspended.status == .ok, "\(suspended.text)")
                await dispatcher.tick(http)
                let night = sent().dropFirst(3)
                #expect(night.count == 1 && night.first?.to == "13912345678" && night.first?.message.contains("已暂停") == true, "\(night)")
                time.set("2026-07-16T07:00:30+08:00")
                await dispatcher.tick(http)
                #expect(sent().last?.message.contains("多日未出摊") == true)

                let listed = try await client.get("/api/v1/admin/sms", headers: try await client.signIn("admin"))
                #expect(!listed.text.contains("13700003333") && listed.text.contains("137****3333"))
                let states = (try listed.json()["items"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? String }
                #expect(states.filter { $0 == "sent" }.count == 4 && states.contains("skipped"), "\(states)")
            }
        }
        try await http.shutdown()
    }

    @Test(
        "scorecards agree with a known month: received, dispatched, on time, reworked, reopened, satisfaction, handling times, per squad and officer")
    func scorecards() async throws {
        let time = TestTime(BusinessTime.parseInstant("2026-06-30T09:00:00+08:00")!)
        let service = try await Scene.permitIssued(clock: time.clock)
        let feedback = service.database.workflows.feedback
        try await service.run { client in
            func file(_ category: String, _ slot: String) async throws -> (id: String, code: String) {
                let made = try await Scene.submit(client, #"{"category": "\#(category)", "description": "问题", "slot_id": "\#(slot)"}"#)
                return (made["report_id"] as! String, made["tracking_code"] as! String)
            }
            func step(_ id: String, _ action: String, _ who: HTTPFields, note: String? = "处理") async throws {
                let answer = try await Scene.act(client, id, action, note: note, who)
                #expect(answer.status == .ok, "\(action): \(answer.text)")
            }
            // Before the month: counted nowhere.
            let before = try await file("hygiene", "CG-003-01")
            var cg = try await client.signIn("cg.li")
            try await step(before.id, "accept", cg)

            // A: hygiene (4 h), handled in 1 h, verified, closed, rated 5.
            time.set("2026-07-01T09:00:00+08:00")
            cg = try await client.signIn("cg.li")
            let admin = try await client.signIn("admin")
            let a = try await file("hygiene", "CG-001-01")
            try await step(a.id, "accept", cg)
            try await step(a.id, "dispatch", cg)
            time.set("2026-07-01T10:00:00+08:00")
            try await step(a.id, "handle", cg)
            try await step(a.id, "verify", admin)
            try await step(a.id, "close", cg)
            #expect(try await client.post("/api/v1/reports/track/\(a.code)/rating", json: #"{"score": 5}"#).status == .ok)

            // B: occupying the road (2 h), handled after 3 h, sent back from verification, done, closed, reopened.
            time.set("2026-07-02T09:00:00+08:00")
            cg = try await client.signIn("cg.li")
            let b = try await file("occupying_road", "CG-002-01")
            try await step(b.id, "accept", cg)
            try await step(b.id, "dispatch", cg)
            time.set("2026-07-02T12:00:00+08:00")
            try await step(b.id, "handle", cg)
            try await step(b.id, "redispatch", admin)
            try await step(b.id, "handle", cg)
            try await step(b.id, "verify", admin)
            try await step(b.id, "close", cg)
            #expect(try await client.post("/api/v1/reports/track/\(b.code)/reopen", json: #"{"note": "又占道了"}"#).status == .ok)

            // C: XG's, dispatched and never handled; escalated.
            time.set("2026-07-05T09:00:00+08:00")
            let xg = try await client.signIn("xg.sun")
            let c = try await file("noise", "XG-001-01")
            try await step(c.id, "accept", xg)
            try await step(c.id, "dispatch", xg)
            time.set("2026-07-06T09:00:00+08:00")
            _ = try await feedback.escalate(now: time.now)

            let fresh = try await client.signIn("admin")
            let squads = try await client.get("/api/v1/admin/scorecards?from=2026-07-01&to=2026-07-31", headers: fresh).json()
            let cards = Dictionary(uniqueKeysWithValues: (squads["items"] as? [[String: Any]] ?? []).map { ($0["key"] as! String, $0) })
            #expect(cards.count == 2, "\(cards.keys)")
            let cgCard = try #require(cards["CG"])
            #expect(cgCard["received"] as? Int == 2 && cgCard["dispatched"] as? Int == 2 && cgCard["handled"] as? Int == 2)
            #expect(cgCard["handled_in_time"] as? Int == 1 && cgCard["on_time_rate"] as? Double == 0.5)
            #expect(cgCard["reworked"] as? Int == 1 && cgCard["rework_rate"] as? Double == 0.5)
            #expect(cgCard["closed"] as? Int == 2 && cgCard["reopened"] as? Int == 1 && cgCard["reopen_rate"] as? Double == 0.5)
            #expect(cgCard["ratings"] as? Int == 1 && cgCard["average_rating"] as? Double == 5 && cgCard["satisfaction"] as? Double == 1)
            #expect(cgCard["average_handling_minutes"] as? Double == 120 && cgCard["p90_handling_minutes"] as? Double == 180)
            #expect(cgCard["escalated"] as? Int == 1, "B, reopened and left past its new limit")
            let xgCard = try #require(cards["XG"])
            #expect(xgCard["received"] as? Int == 1 && xgCard["handled"] as? Int == 0 && xgCard["escalated"] as? Int == 1)
            #expect(xgCard["on_time_rate"] == nil || xgCard["on_time_rate"] is NSNull)

            let officers = try await client.get("/api/v1/admin/scorecards?from=2026-07-01&to=2026-07-31&by=officer", headers: fresh).json()
            let li = try #require((officers["items"] as? [[String: Any]])?.first { $0["key"] as? String == "cg.li" })
            #expect(li["handled"] as? Int == 2 && li["handled_in_time"] as? Int == 1 && li["p90_handling_minutes"] as? Double == 180)
            let csv = try await client.get("/api/v1/admin/scorecards?from=2026-07-01&to=2026-07-31&format=csv", headers: fresh)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.text.contains("\r\nCG,2,2,2,1,0.500,1,0.500,2,1,0.500,1,1,5.000,1.000,120.000,180.000\r\n"), "\(csv.text)")
            try await client.get("/api/v1/admin/scorecards?by=team", headers: fresh).expectError(.badRequest, code: "VALIDATION_FAILED", field: "by")
        }
    }
}
