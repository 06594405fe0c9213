import Crypto
import Foundation
import GuatanCore
import GuatanStoreInterface

/// The feedback loop around the cases (issue 17): escalation past the time limit, the squads'
/// extensions, the outbox's receivers.
public struct FeedbackService: Sendable {
    let store: any WorkflowStore

    public init(store: any WorkflowStore) {
        self.store = store
    }

    // MARK: escalation

    /// Every dispatched case past its time limit goes to the bureau's escalation queue, with a
    /// timeline entry and an outbox event (the squad and the bureau are told): run by the
    /// service's scheduler on its own clock, never by a request. Returns how many escalated.
    /// Batches stay small: each takes the outbox counter's lock, which every user's step that
    /// tells someone also needs, so a morning's backlog never holds a squad's click for long.
    public static let batch = 40

    public func escalate(now: Date, limit: Int = FeedbackService.batch) async throws -> Int {
        try await store.transaction { tx in
            var escalated = 0
            for id in try tx.overdueReports(now: now, limit: limit) {
                // Read again inside the transaction: a case handled meanwhile is not escalated.
                guard let report = try tx.report(id: id, withTimeline: false),
                    FeedbackRules.shouldEscalate(state: report.state, dueAt: report.dueAt, escalatedAt: report.escalatedAt, now: now)
                else { continue }
                var update = ReportUpdate(state: report.state)
                update.escalatedAt = now
                try tx.updateReport(id: id, slotId: report.slotId, update, at: now)
                let note = "已超过处置时限，已上报市城管委督办 (past its time limit: escalated to the bureau)"
                try tx.addReportEvent(
                    NewReportEvent(
                        reportId: id, at: now, role: "system", actor: "system", action: "escalate", from: report.state, to: report.state,
                        publicNote: note, internalNote: report.dueAt.map { "时限 \(BusinessTime.rfc3339($0))" }),
                    slotId: report.slotId)
                var done = report
                done.escalatedAt = now
                try ReportService.emit(tx, .reportEscalated, done, from: report.state, note: note, at: now)
                escalated += 1
            }
            return escalated
        }
    }

    // MARK: check-in reminders

    /// How long after a site opens a vendor who has not checked in is reminded.
    public static let reminderDelayMinutes = 30

    /// On a season day, half an hour after each site opens, every vendor of an issued permit
    /// there who has not checked in is reminded once (an outbox event: his SMS). Returns how
    /// many were reminded.
    public func remindCheckIns(now: Date, limit: Int = FeedbackService.batch) async throws -> Int {
        try await store.transaction { tx in
            let day = BusinessTime.localDate(of: now)
            let season = try tx.season(year: day.year)?.season ?? Season.standard(year: day.year)
            guard season.contains(day) else { return 0 }
            let time = BusinessTime.localTime(of: now)
            let openedBy = BusinessTime.localTime(of: now.addingTimeInterval(-Double(Self.reminderDelayMinutes * 60)))
            // Just after midnight the half hour would reach back into yesterday: nobody is reminded then.
            guard openedBy <= time else { return 0 }
            var reminded = 0
            for permit in try tx.permitsToRemind(day: day, openedBy: openedBy, now: time, limit: limit)
            where try tx.markReminded(permitNumber: permit.permitNumber, day: day) {
                try tx.emit(
                    .checkInReminder, entity: "permit", entityId: permit.permitNumber, district: permit.district,
                    payload: [
                        "permit_no": permit.permitNumber, "vendor_id": permit.vendorId, "slot_id": permit.slotId, "opens_at": permit.opensAt,
                        "day": day.description,
                    ], at: now)
                reminded += 1
            }
            return reminded
        }
    }

    // MARK: retention

    /// How long the outbox, the texts and the dead letters are kept (`--outbox-retention-days`).
    public static let defaultRetentionDays = 90
    /// A day's check-in reminder marks are needed that day only; a week is kept to look back on.
    static let reminderMarkDays = 7

    /// Forgets what is older than the retention, a thousand rows of each kind a transaction
    /// (no long lock on a busy morning): the tables the loop writes stay bounded. An event a
    /// receiver or a waiting text still needs is held, for twice the retention at most. The rows removed.
    public func prune(now: Date, retentionDays: Int = FeedbackService.defaultRetentionDays) async throws -> Int {
        let cutoff = now.addingTimeInterval(-Double(retentionDays) * 86_400)
        let held = now.addingTimeInterval(-Double(2 * retentionDays) * 86_400)
        let reminders = BusinessTime.localDate(of: now).adding(days: -Self.reminderMarkDays)
        var total = 0
        while true {
            let removed = try await store.transaction { tx in
                try tx.pruneFeedback(before: cutoff, heldBefore: held, remindersBefore: reminders, limit: 1000)
            }
            total += removed
            if removed == 0 { return total }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    // MARK: extensions (延期)

    /// The district's squad asks for more time on a dispatched case, with a reason and a new time.
    public func requestExtension(reportId: String, newDueAt: Date, reason: String, by officer: Account, at: Date) async throws -> ReportExtension {
        _ = try Access.require(officer, roles: [.officer, .admin])
        let reason = try FeedbackRules.validateReason(reason)
        return try await store.transaction { tx in
            guard let report = try tx.report(id: reportId, withTimeline: false) else { throw StoreError.notFound("no report \(reportId)") }
            try Access.requireDistrict(officer, report.district)
            guard report.state == .dispatched else {
                throw StoreError.conflict("more time is asked for a dispatched case; this one is \(report.state.rawValue)")
            }
            try FeedbackRules.validateNewDue(newDueAt, currentDue: report.dueAt, now: at)
            guard !(try tx.reportExtensions(reportId: reportId).contains { $0.state == .pending }) else {
                throw StoreError.conflict("an extension of \(reportId) is already waiting for the bureau")
            }
            let id = try tx.insertExtension(
                reportId: reportId, requestedBy: "account:\(officer.username)", reason: reason, previousDueAt: report.dueAt, newDueAt: newDueAt,
                at: at)
            try tx.addReportEvent(
                NewReportEvent(
                    reportId: reportId, at: at, role: officer.role.rawValue, actor: "account:\(officer.username)", action: "request_extension",
                    from: report.state, to: report.state, publicNote: nil,
                    internalNote: "申请延期至 \(BusinessTime.rfc3339(newDueAt))：\(reason)"),
                slotId: report.slotId)
            try tx.audit(
                actor: "account:\(officer.username)", action: "report.request_extension", entity: "report", entityId: reportId,
                before: report.dueAt.map { ["due_at": BusinessTime.rfc3339($0)] }, after: ["new_due_at": BusinessTime.rfc3339(newDueAt)], at: at)
            try tx.emit(
                .extensionRequested, entity: "report", entityId: reportId, district: report.district,
                payload: [
                    "report_id": reportId, "extension_id": String(id), "new_due_at": BusinessTime.rfc3339(newDueAt), "district": report.district,
                ],
                at: at)
            return try tx.reportExtension(id: id)!
        }
    }

    /// The bureau approves (the case's time limit becomes the new one, its escalation lifted)
    /// or refuses, with its answer.
    public func answerExtension(id: Int64, approve: Bool, answer: String, by admin: Account, at: Date) async throws -> ReportExtension {
        _ = try Access.require(admin, roles: [.admin])
        let answer = try FeedbackRules.validateReason(answer, field: "answer")
        return try await store.transaction { tx in
            guard let request = try tx.reportExtension(id: id) else { throw StoreError.notFound("no extension \(id)") }
            guard request.state == .pending else { throw StoreError.conflict("extension \(id) is answered already (\(request.state.rawValue))") }
            guard let report = try tx.report(id: request.reportId, withTimeline: false) else { throw StoreError.notFound("no report") }
            let state: ExtensionState = approve && report.state == .dispatched ? .approved : .refused
            if approve, report.state != .dispatched {
                throw StoreError.conflict("\(report.id) is no longer dispatched (\(report.state.rawValue)): there is no time limit to extend")
            }
            try tx.answerExtension(id: id, state: state, by: "account:\(admin.username)", answer: answer, at: at)
            var publicNote: String?
            if state == .approved {
                var update = ReportUpdate(state: report.state, dueAt: request.newDueAt)
                update.clearEscalation = true
                try tx.updateReport(id: report.id, slotId: report.slotId, update, at: at)
                publicNote = "处置时限延长至 \(BusinessTime.rfc3339(request.newDueAt)) (time limit extended)"
            }
            try tx.addReportEvent(
                NewReportEvent(
                    reportId: report.id, at: at, role: "admin", actor: "account:\(admin.username)",
                    action: state == .approved ? "approve_extension" : "refuse_extension", from: report.state, to: report.state,
                    publicNote: publicNote, internalNote: answer),
                slotId: report.slotId)
            try tx.audit(
                actor: "account:\(admin.username)", action: "report.\(state == .approved ? "approve" : "refuse")_extension", entity: "report",
                entityId: report.id, before: ["extension": "pending"], after: ["extension": state.rawValue, "answer": answer], at: at)
            var payload = ["report_id": report.id, "extension_id": String(id), "decision": state.rawValue, "district": report.district]
            payload["due_at"] = state == .approved ? BusinessTime.rfc3339(request.newDueAt) : report.dueAt.map(BusinessTime.rfc3339)
            try tx.emit(.extensionAnswered, entity: "report", entityId: report.id, district: report.district, payload: payload, at: at)
            return try tx.reportExtension(id: id)!
        }
    }

    /// A case's extension requests, for its district's officers and the bureau.
    public func extensions(reportId: String, by staff: Account) async throws -> [ReportExtension] {
        _ = try Access.require(staff, roles: [.officer, .admin])
        return try await store.transaction { tx in
            guard let report = try tx.report(id: reportId, withTimeline: false) else { throw StoreError.notFound("no report \(reportId)") }
            try Access.requireDistrict(staff, report.district)
            return try tx.reportExtensions(reportId: reportId)
        }
    }

    // MARK: text messages

    /// Writes the message of each outbox event not read yet, for its recipient (the reporter
    /// who asked to be told, the permit's holder), once; at night only what cannot wait is due
    /// before 07:00. Returns how many events were read.
    public func writeMessages(now: Date, limit: Int = 4 * FeedbackService.batch) async throws -> Int {
        try await store.transaction { tx in
            let from = try tx.outboxReader("sms")
            let events = try tx.outbox(after: from, limit: limit)
            for event in events {
                guard let (audience, text, urgent) = SMSRules.message(for: event), let to = try tx.smsRecipient(of: event, audience: audience) else {
                    continue
                }
                try tx.insertSMS(
                    NewSMS(
                        eventSequence: event.sequence, recipient: to, audience: audience, body: text, urgent: urgent,
                        sendAfter: SMSRules.sendAfter(now, urgent: urgent), at: now))
            }
            if let last = events.last { try tx.setOutboxReader("sms", through: last.sequence) }
            return events.count
        }
    }

    /// Messages due now, each claimed for a while so that another instance does not send it too.
    public func claimMessages(now: Date, limit: Int = 50) async throws -> [SMSMessage] {
        try await store.transaction { tx in try tx.claimDueSMS(now: now, claimFor: 120, limit: limit) }
    }

    /// Whether a number has had its day's messages (urgent ones go regardless).
    public func overDailyCap(_ message: SMSMessage, cap: Int, now: Date) async throws -> Bool {
        guard !message.urgent else { return false }
        return try await store.transaction { tx in
            try tx.smsSentCount(recipient: message.recipient, day: BusinessTime.localDate(of: now)) >= cap
        }
    }

    public func recordMessage(
        _ message: SMSMessage, state: SMSState, reason: String?, status: Int?, error: String?, retryAt: Date?, at: Date
    )
        async throws
    {
        try await store.transaction { tx in
            try tx.recordSMS(id: message.id, state: state, reason: reason, status: status, error: error, retryAt: retryAt, at: at)
        }
    }

    // MARK: reply templates

    /// The bureau's templates (every officer reads them; the admin keeps them).
    public func replyTemplates(by staff: Account) async throws -> [ReplyTemplate] {
        _ = try Access.require(staff, roles: [.officer, .admin])
        return try await store.transaction { tx in try tx.replyTemplates(category: nil, action: nil) }
    }

    public func addReplyTemplate(
        category: ReportCategory?, action: ReportAction, text: String, by admin: Account, at: Date
    ) async throws
        -> ReplyTemplate
    {
        _ = try Access.require(admin, roles: [.admin])
        let text = try ReplyRules.validate(text: text, action: action)
        return try await store.transaction { tx in
            let id = try tx.insertReplyTemplate(category: category, action: action, text: text, by: "account:\(admin.username)", at: at)
            var after = ["action": action.rawValue, "text": text]
            after["category"] = category?.rawValue
            try tx.audit(
                actor: "account:\(admin.username)", action: "reply_template.add", entity: "reply_template", entityId: String(id), before: nil,
                after: after, at: at)
            return ReplyTemplate(id: id, category: category, action: action, text: text)
        }
    }

    public func retireReplyTemplate(id: Int64, by admin: Account, at: Date) async throws {
        _ = try Access.require(admin, roles: [.admin])
        try await store.transaction { tx in
            guard try tx.retireReplyTemplate(id: id, at: at) else { throw StoreError.notFound("no reply template \(id) in use") }
            try tx.audit(
                actor: "account:\(admin.username)", action: "reply_template.retire", entity: "reply_template", entityId: String(id), before: nil,
                after: nil, at: at)
        }
    }

    /// The notes offered for a case's step, filled with its facts: its category's first.
    public func replies(reportId: String, action: ReportAction?, by staff: Account) async throws -> [(template: ReplyTemplate, text: String)] {
        _ = try Access.require(staff, roles: [.officer, .admin])
        return try await store.transaction { tx in
            guard let report = try tx.report(id: reportId, withTimeline: false) else { throw StoreError.notFound("no report \(reportId)") }
            try Access.requireDistrict(staff, report.district)
            let district = try tx.districtName(code: report.district) ?? report.district
            return try tx.replyTemplates(category: report.category, action: action).map {
                ($0, ReplyRules.fill($0.text, report: report, districtName: district))
            }
        }
    }

    // MARK: webhooks

    /// Registers a receiver of the outbox's events; returns it with its signing secret, which is
    /// shown this once.
    public func registerWebhook(name: String, url: String, events: [String], by admin: Account, at: Date) async throws -> WebhookEndpoint {
        _ = try Access.require(admin, roles: [.admin])
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else { throw ValidationError(field: "name", message: "name must have 1–100 characters") }
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "https" || scheme == "http", parsed.host != nil,
            url.count <= 500
        else {
            throw ValidationError(field: "url", message: "url must be an http(s) address of at most 500 characters")
        }
        var wanted: Set<OutboxEventType> = []
        for name in events {
            guard let type = OutboxEventType(rawValue: name) else {
                throw ValidationError(
                    field: "events", message: "unknown event \(name); one of \(OutboxEventType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            wanted.insert(type)
        }
        let chosen = wanted.isEmpty ? Set(OutboxEventType.allCases) : wanted
        let secret = "whsec_" + Draw.newSeed().seed
        return try await store.transaction { tx in
            let id = try tx.insertWebhookEndpoint(name: name, url: url, secret: secret, events: chosen, by: "account:\(admin.username)", at: at)
            try tx.audit(
                actor: "account:\(admin.username)", action: "webhook.register", entity: "webhook_endpoint", entityId: String(id), before: nil,
                after: ["name": name, "url": url, "events": chosen.map(\.rawValue).sorted().joined(separator: ",")], at: at)
            return try tx.webhookEndpoint(id: id)!
        }
    }

    public func setWebhookActive(id: Int64, active: Bool, by admin: Account, at: Date) async throws -> WebhookEndpoint {
        _ = try Access.require(admin, roles: [.admin])
        return try await store.transaction { tx in
            guard try tx.webhookEndpoint(id: id) != nil else { throw StoreError.notFound("no webhook endpoint \(id)") }
            try tx.setWebhookEndpointActive(id: id, active: active)
            try tx.audit(
                actor: "account:\(admin.username)", action: active ? "webhook.resume" : "webhook.pause", entity: "webhook_endpoint",
                entityId: String(id), before: nil, after: ["active": String(active)], at: at)
            return try tx.webhookEndpoint(id: id)!
        }
    }
}
