import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Testing

/// The feedback loop's store on every backend: the outbox numbered gap-free in commit order
/// however many write at once, escalation once a case, extensions, webhook leases.
@Suite("Feedback store: the outbox, escalation, extensions, webhook leases (every backend)")
struct FeedbackStoreTests {
    static let officer = Account(id: 8, username: "cg.li", role: .officer, district: "CG", vendorId: nil)

    static func dispatchedCase(_ store: SeededStore, at: Date) async throws -> Report {
        let reports = store.workflows.reports
        let report = try await reports.submit(
            ReportIntake(category: .occupyingRoad, description: "占道", subject: .slot("CG-001-01"), contactPhone: "13800001111"), photos: [],
            trackingHash: UUID().uuidString, channel: .hotline,
            enteredBy: Account(id: 9, username: "hotline.wang", role: .callTaker, district: nil, vendorId: nil),
            notifySMS: true, at: at)
        _ = try await reports.transition(
            reportId: report.id, action: .accept, by: Self.officer, publicNote: nil, internalNote: nil, duplicateOf: nil, at: at)
        return try await reports.transition(
            reportId: report.id, action: .dispatch, by: Self.officer, publicNote: nil, internalNote: nil, duplicateOf: nil, at: at)
    }

    @Test("events written side by side are numbered without gaps, in the order their transactions committed", arguments: StoreBackend.allCases)
    func outboxOrder(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let reports = store.workflows.reports
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<12 {
                group.addTask {
                    _ = try await reports.submit(
                        ReportIntake(category: .hygiene, description: "垃圾\(n)", subject: .slot("CG-00\(n % 9 + 1)-01"), contactPhone: nil),
                        photos: [], trackingHash: "hash-\(n)", at: Fixtures.now)
                }
            }
            try await group.waitForAll()
        }
        let events = try await store.stores.feedback.outbox(after: 0, limit: 100)
        #expect(events.map(\.sequence) == Array(1...12))
        #expect(Set(events.map(\.entityId)).count == 12 && events.allSatisfy { $0.type == .reportSubmitted })
        // A reader that stopped at 5 finds exactly the rest.
        #expect(try await store.stores.feedback.outbox(after: 5, limit: 100).map(\.sequence) == Array(6...12))
        // A transaction that rolls back leaves no number behind.
        await #expect(throws: (any Error).self) {
            try await store.stores.workflow.transaction { tx in
                try tx.emit(.reportAccepted, entity: "report", entityId: "R999999", district: "CG", payload: [:], at: Fixtures.now)
                throw StoreError.conflict("rolled back")
            }
        }
        _ = try await reports.submit(
            ReportIntake(category: .noise, description: "吵", subject: .slot("CG-001-01"), contactPhone: nil), photos: [], trackingHash: "h-13",
            at: Fixtures.now)
        #expect(try await store.stores.feedback.outbox(after: 12, limit: 10).map(\.sequence) == [13])
    }

    @Test(
        "a report's voice note is stored with it, read back with its case and in lists, and kept by the photo folder's sweep",
        arguments: StoreBackend.allCases)
    func voiceNote(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let note = VoiceNote(id: String(repeating: "ab", count: 32), format: .ogg, milliseconds: 12_340)
        let report = try await store.workflows.reports.submit(
            ReportIntake(category: .noise, description: "听语音", subject: .slot("CG-001-01"), contactPhone: nil), photos: [],
            voice: StoredVoice(note: note, byteCount: 4321), trackingHash: "voice-hash", channel: .hotline,
            enteredBy: Account(id: 9, username: "hotline.wang", role: .callTaker, district: nil, vendorId: nil), at: Fixtures.now)
        #expect(report.voiceNote == note)
        #expect(try await store.stores.reports.report(id: report.id)?.voiceNote == note)
        #expect(try await store.stores.reports.report(trackingHash: "voice-hash")?.voiceNote == note)
        let listed = try await store.stores.reports.reports(matching: ReportFilter(), page: try PageRequest(page: 1, perPage: 50))
        #expect(listed.items.first { $0.id == report.id }?.voiceNote == note)
        #expect(listed.items.filter { $0.id != report.id }.allSatisfy { $0.voiceNote == nil })
        #expect(try await store.stores.operations.referencedPhotoIds().contains(note.id))
    }

    @Test("a case past its time limit escalates once; an approved extension lifts it; the queue shows what is late", arguments: StoreBackend.allCases)
    func escalation(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let report = try await Self.dispatchedCase(store, at: Fixtures.now)
        let due = try #require(report.dueAt)
        let feedback = store.workflows.feedback
        #expect(try await feedback.escalate(now: due.addingTimeInterval(-60)) == 0)
        #expect(try await feedback.escalate(now: due.addingTimeInterval(60)) == 1)
        #expect(try await feedback.escalate(now: due.addingTimeInterval(120)) == 0, "once")
        #expect(try await store.stores.feedback.escalations(district: "CG").map(\.id) == [report.id])
        #expect(try await store.stores.feedback.escalations(district: "XG").isEmpty)

        let later = due.addingTimeInterval(3 * 3600)
        let asked = try await feedback.requestExtension(
            reportId: report.id, newDueAt: later, reason: "需要联系摊主", by: Self.officer, at: due.addingTimeInterval(180))
        await #expect(throws: StoreError.self) {
            try await feedback.requestExtension(reportId: report.id, newDueAt: later, reason: "再来", by: Self.officer, at: due)
        }
        #expect(try await store.stores.feedback.pendingExtensions(district: "CG").map(\.id) == [asked.id])
        let answered = try await feedback.answerExtension(id: asked.id, approve: true, answer: "同意", by: .testAdmin, at: due.addingTimeInterval(240))
        #expect(answered.state == .approved)
        #expect(try await store.stores.feedback.escalations(district: nil).isEmpty)
        let extended = try #require(try await store.stores.reports.report(id: report.id))
        #expect(extended.dueAt == later && extended.escalatedAt == nil && extended.channel == .hotline && extended.notifySMS)
        // Late again after the new limit: escalated again, the timeline says both.
        #expect(try await feedback.escalate(now: later.addingTimeInterval(1)) == 1)
        let timeline = try #require(try await store.stores.reports.report(id: report.id)).timeline.map(\.action)
        #expect(timeline.filter { $0 == "escalate" }.count == 2 && timeline.contains("approve_extension"))
        // The stall's public feed has every step of the case, newest first.
        let steps = try await store.stores.feedback.publicCaseSteps(of: .stall("CG-001-01"), limit: 100)
        #expect(steps.map(\.action) == timeline.reversed() && steps.allSatisfy { $0.reportId == report.id })
        #expect(try await store.stores.feedback.publicCaseSteps(of: .district("CG"), limit: 2).count == 2)
        #expect(try await store.stores.feedback.publicCaseSteps(of: .site("XG-001"), limit: 100).isEmpty)
        let types = try await store.stores.feedback.outbox(after: 0, limit: 100).filter { $0.entityId == report.id }.map(\.type)
        #expect(
            types == [
                .reportSubmitted, .reportAccepted, .reportDispatched, .reportEscalated, .extensionRequested, .extensionAnswered, .reportEscalated,
            ])
    }

    @Test("one instance holds a webhook endpoint at a time; delivery moves on only for its holder", arguments: StoreBackend.allCases)
    func webhookLease(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let endpoint = try await store.workflows.feedback.registerWebhook(
            name: "平台", url: "https://platform.example/hook", events: [], by: .testAdmin, at: Fixtures.now)
        _ = try await Self.dispatchedCase(store, at: Fixtures.now)
        let workflow = store.stores.workflow
        let now = Fixtures.now
        let first = try await workflow.transaction { tx in
            try tx.leaseWebhookEndpoint(id: endpoint.id, owner: "a", now: now, until: now.addingTimeInterval(60))
        }
        let second = try await workflow.transaction { tx in
            try tx.leaseWebhookEndpoint(id: endpoint.id, owner: "b", now: now, until: now.addingTimeInterval(60))
        }
        #expect(first && !second)
        // The other instance's record of a delivery is ignored; the holder's moves the cursor on.
        try await workflow.transaction { tx in
            try tx.recordDelivery(
                endpointId: endpoint.id, owner: "b", DeliveryOutcome(eventSequence: 1, status: 200, error: nil, delivered: true), retryAt: nil,
                givenUp: false, at: now)
        }
        #expect(try await store.stores.feedback.webhookEndpoints().first?.deliveredThrough == 0)
        try await workflow.transaction { tx in
            try tx.recordDelivery(
                endpointId: endpoint.id, owner: "a", DeliveryOutcome(eventSequence: 1, status: 200, error: nil, delivered: true), retryAt: nil,
                givenUp: false, at: now)
            try tx.recordDelivery(
                endpointId: endpoint.id, owner: "a", DeliveryOutcome(eventSequence: 2, status: 500, error: "HTTP 500", delivered: false),
                retryAt: nil, givenUp: true, at: now)
            try tx.releaseWebhookEndpoint(id: endpoint.id, owner: "a")
        }
        let after = try #require(try await store.stores.feedback.webhookEndpoints().first)
        #expect(after.deliveredThrough == 2 && after.deliveredCount == 1)
        let dead = try await store.stores.feedback.deadLetters(endpointId: endpoint.id, limit: 10)
        #expect(dead.map(\.event.sequence) == [2] && dead.first?.lastStatus == 500)
        // Lease expired or released: the other instance may take it.
        #expect(
            try await workflow.transaction { tx in
                try tx.leaseWebhookEndpoint(id: endpoint.id, owner: "b", now: now, until: now.addingTimeInterval(60))
            })
    }

    @Test(
        "text messages are written once from the outbox, claimed by one sender at a time, counted per number and day",
        arguments: StoreBackend.allCases)
    func textMessages(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let feedback = store.workflows.feedback
        #expect(try await feedback.writeMessages(now: Fixtures.now) == 0, "a new reader starts at the outbox's head")
        let report = try await Self.dispatchedCase(store, at: Fixtures.now)
        #expect(try await feedback.writeMessages(now: Fixtures.now) == 3)
        #expect(try await feedback.writeMessages(now: Fixtures.now) == 0, "read once")
        let claimed = try await feedback.claimMessages(now: Fixtures.now)
        #expect(claimed.map(\.recipient) == ["13800001111", "13800001111"], "accepted and dispatched, to the reporter who asked")
        #expect(claimed.allSatisfy { $0.body.contains(report.id) })
        #expect(try await feedback.claimMessages(now: Fixtures.now).isEmpty, "claimed: another sender skips them")
        try await feedback.recordMessage(claimed[0], state: .sent, reason: nil, status: 200, error: nil, retryAt: nil, at: Fixtures.now)
        try await feedback.recordMessage(
            claimed[1], state: .queued, reason: nil, status: 503, error: "HTTP 503", retryAt: Fixtures.now.addingTimeInterval(30), at: Fixtures.now)
        #expect(try await feedback.overDailyCap(claimed[1], cap: 1, now: Fixtures.now))
        #expect(try await !feedback.overDailyCap(claimed[1], cap: 2, now: Fixtures.now))
        let again = try await feedback.claimMessages(now: Fixtures.now.addingTimeInterval(31))
        #expect(again.map(\.id) == [claimed[1].id] && again.first?.attempts == 1)
        let listed = try await store.stores.feedback.smsMessages(limit: 10)
        #expect(listed.map(\.state).sorted { $0.rawValue < $1.rawValue } == [.queued, .sent])
    }

    @Test(
        "past the retention the outbox, texts and reminder marks are forgotten, never what an endpoint or a queued text still needs",
        arguments: StoreBackend.allCases)
    func retention(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let feedback = store.workflows.feedback
        func at(_ text: String) -> Date { BusinessTime.parseInstant(text)! }
        let spring = at("2026-04-01T10:00:00+08:00")
        // The platform registered before anything happened, and has delivered nothing yet.
        let endpoint = try await store.stores.workflow.transaction { tx in
            try tx.insertWebhookEndpoint(
                name: "平台", url: "https://platform.example/hook", secret: "s", events: [.reportSubmitted], by: "admin", at: spring)
        }
        for n in 0..<3 {
            _ = try await store.workflows.reports.submit(
                ReportIntake(category: .hygiene, description: "春天的垃圾\(n)", subject: .slot("CG-00\(n + 1)-01"), contactPhone: nil), photos: [],
                trackingHash: "spring-\(n)", at: spring)
        }
        let vendors = try await Fixtures.vendors(store.workflows, count: 1)
        let permit = try await store.workflows.permits.create(
            vendorId: vendors[0], slotId: "CG-001-01", season: 2026, produce: [], state: .issued, by: .testAdmin, at: Fixtures.now)
        #expect(try await feedback.remindCheckIns(now: at("2026-07-20T07:31:00+08:00")) == 1)
        let recent = try await store.stores.feedback.outbox(after: 3, limit: 100).map(\.sequence)
        #expect(!recent.isEmpty)
        // Two texts written in spring: one sent long ago, one still waiting for its gateway.
        try await store.stores.workflow.transaction { tx in
            for sequence: Int64 in [1, 2] {
                try tx.insertSMS(
                    NewSMS(
                        eventSequence: sequence, recipient: "1380000000\(sequence)", audience: .reporter, body: "已受理", urgent: false,
                        sendAfter: spring, at: spring))
            }
        }
        let sent = try #require(try await store.stores.feedback.smsMessages(limit: 10).first { $0.recipient == "13800000001" })
        try await store.stores.workflow.transaction { tx in
            try tx.recordSMS(id: sent.id, state: .sent, reason: nil, status: 200, error: nil, retryAt: nil, at: spring)
        }

        let august = at("2026-08-01T09:00:00+08:00")
        // An active endpoint that has not passed spring's events holds them; the sent text and the
        // reminder mark of 20 July (more than a week old) go.
        #expect(try await feedback.prune(now: august) == 2)
        #expect(try await store.stores.feedback.outbox(after: 0, limit: 100).map(\.sequence) == [1, 2, 3] + recent)
        #expect(try await store.stores.feedback.smsMessages(limit: 10).map(\.recipient) == ["13800000002"])
        // Paused, it holds nothing: spring's events go but the one a queued text still names.
        try await store.stores.workflow.transaction { tx in try tx.setWebhookEndpointActive(id: endpoint, active: false) }
        #expect(try await feedback.prune(now: august) == 2)
        #expect(try await store.stores.feedback.outbox(after: 0, limit: 100).map(\.sequence) == [2] + recent)
        // Within the retention nothing goes; the reminder mark of 20 July was forgotten.
        #expect(try await feedback.prune(now: august) == 0)
        #expect(
            try await store.stores.workflow.transaction { tx in try tx.markReminded(permitNumber: permit.permit.number, day: LocalDate("2026-07-20")!)
            })
        // Resumed, the receiver never answers: it holds July's events past their 90 days, but
        // only up to twice that; a text that waited half a year for its gateway goes too.
        try await store.stores.workflow.transaction { tx in try tx.setWebhookEndpointActive(id: endpoint, active: true) }
        #expect(try await feedback.prune(now: at("2026-10-15T09:00:00+08:00")) == 3, "the waiting text, its event, the new mark")
        #expect(try await store.stores.feedback.outbox(after: 0, limit: 100).map(\.sequence) == recent)
        #expect(try await store.stores.feedback.smsMessages(limit: 10).isEmpty)
        #expect(try await feedback.prune(now: at("2027-01-20T09:00:00+08:00")) == recent.count)
        #expect(try await store.stores.feedback.outbox(after: 0, limit: 100).isEmpty)
    }

    @Test("a vendor not checked in half an hour after his site opened is reminded once that day, in season only", arguments: StoreBackend.allCases)
    func checkInReminders(backend: StoreBackend) async throws {
        let store = try await backend.seeded()
        let vendors = try await Fixtures.vendors(store.workflows, count: 1)
        let permit = try await store.workflows.permits.create(
            vendorId: vendors[0], slotId: "CG-001-01", season: 2026, produce: [], state: .issued, by: .testAdmin, at: Fixtures.now)
        let feedback = store.workflows.feedback
        func at(_ text: String) -> Date { BusinessTime.parseInstant(text)! }
        // CG-001 opens at 07:00.
        #expect(try await feedback.remindCheckIns(now: at("2026-07-20T07:20:00+08:00")) == 0)
        #expect(try await feedback.remindCheckIns(now: at("2026-07-20T07:31:00+08:00")) == 1)
        #expect(try await feedback.remindCheckIns(now: at("2026-07-20T08:31:00+08:00")) == 0, "once a day")
        #expect(try await feedback.remindCheckIns(now: at("2026-07-21T07:45:00+08:00")) == 1, "the next day again")
        #expect(try await feedback.remindCheckIns(now: at("2026-10-20T08:00:00+08:00")) == 0, "out of season")
        let reminders = try await store.stores.feedback.outbox(after: 0, limit: 100).filter { $0.type == .checkInReminder }
        #expect(reminders.map(\.entityId) == [permit.permit.number, permit.permit.number])
        #expect(reminders.first?.payload["opens_at"] == "07:00" && reminders.first?.payload["day"] == "2026-07-20")
        #expect(SMSRules.message(for: reminders[0])?.text.contains("还没有出摊打卡") == true)
    }
}
