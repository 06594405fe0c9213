import Crypto
import Foundation

/// How a report came in (issue 17): every channel runs into the one case loop.
public enum ReportChannel: String, Sendable, Hashable, Codable, CaseIterable {
    /// The public form, reached from the map or a stall's code.
    case web
    /// Open311 GeoReport v2 clients.
    case open311
    /// The city's hotlines (12319, 12345), taken by the bureau's call takers.
    case hotline
    /// Someone who came to the office.
    case walkIn = "walk_in"
    /// An officer saw it on patrol.
    case officer

    /// The channels staff enter reports by.
    public static let staff: Set<ReportChannel> = [.hotline, .walkIn, .officer]

    public var nameZh: String {
        switch self {
        case .web: "网页/扫码"
        case .open311: "Open311"
        case .hotline: "热线"
        case .walkIn: "来访"
        case .officer: "巡查发现"
        }
    }

    /// Who may enter a report by this channel: officers what they saw themselves, call takers
    /// and administrators what they were told.
    public static func mayEnter(_ channel: ReportChannel, as role: Role) -> Bool {
        switch channel {
        case .officer: role == .officer
        case .hotline, .walkIn: role == .callTaker || role == .admin
        case .web, .open311: false
        }
    }
}

/// Why a squad sends a case back to the bureau (退单).
public enum SendBackReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// Not a matter for the stall programme's squads.
    case notOurs = "not_ours"
    case wrongDistrict = "wrong_district"
    case duplicate
}

public enum ExtensionState: String, Sendable, Hashable, Codable, CaseIterable {
    case pending
    case approved
    case refused
}

/// A squad's request for more time on a dispatched case (延期), and the bureau's answer.
public struct ReportExtension: Sendable, Hashable {
    public var id: Int64
    public var reportId: String
    public var district: String
    public var requestedBy: String
    public var requestedAt: Date
    public var reason: String
    public var previousDueAt: Date?
    public var newDueAt: Date
    public var state: ExtensionState
    public var answeredBy: String?
    public var answeredAt: Date?
    public var answer: String?

    public init(
        id: Int64, reportId: String, district: String, requestedBy: String, requestedAt: Date, reason: String, previousDueAt: Date?,
        newDueAt: Date, state: ExtensionState, answeredBy: String?, answeredAt: Date?, answer: String?
    ) {
        self.id = id
        self.reportId = reportId
        self.district = district
        self.requestedBy = requestedBy
        self.requestedAt = requestedAt
        self.reason = reason
        self.previousDueAt = previousDueAt
        self.newDueAt = newDueAt
        self.state = state
        self.answeredBy = answeredBy
        self.answeredAt = answeredAt
        self.answer = answer
    }
}

public enum FeedbackRules {
    /// An extension gives at most a week more than the time limit it replaces.
    public static let maxExtension: TimeInterval = 7 * 86_400

    /// A reason of 2–500 characters: the bureau decides on it and the case keeps it.
    public static func validateReason(_ text: String?, field: String = "reason") throws(ValidationError) -> String {
        let trimmed = (text ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard (2...500).contains(trimmed.count) else { throw ValidationError(field: field, message: "\(field) must have 2–500 characters") }
        return trimmed
    }

    /// The new time asked for: later than the present limit and than now, within a week of it.
    public static func validateNewDue(_ newDue: Date, currentDue: Date?, now: Date) throws(ValidationError) {
        let base = max(currentDue ?? now, now)
        guard newDue > base else {
            throw ValidationError(field: "new_due_at", message: "new_due_at must be later than the present time limit and than now")
        }
        guard newDue.timeIntervalSince(currentDue ?? now) <= maxExtension else {
            throw ValidationError(field: "new_due_at", message: "an extension gives at most 7 days more")
        }
    }

    /// A dispatched case past its time limit that has not been escalated yet.
    public static func shouldEscalate(state: ReportState, dueAt: Date?, escalatedAt: Date?, now: Date) -> Bool {
        escalatedAt == nil && ReportWorkflow.isOverdue(state: state, dueAt: dueAt, at: now)
    }

    /// What the tracking page says comes next, and by when.
    public static func nextStep(state: ReportState, dueAt: Date?, now: Date) -> String? {
        switch state {
        case .submitted: return "市城管委将核实并立案 (the bureau checks the report and opens a case)"
        case .accepted: return "正在派遣给区执法中队 (being dispatched to the district's squad)"
        case .dispatched:
            guard let dueAt else { return "区执法中队正在处理 (the district's squad is handling it)" }
            let minutes = Int(dueAt.timeIntervalSince(now) / 60)
            if minutes <= 0 { return "已超过处置时限，已上报市城管委督办 (past its time limit: the bureau is chasing it)" }
            let span = minutes >= 120 ? "\(minutes / 60) 小时" : "\(max(minutes, 1)) 分钟"
            return "区执法中队将在 \(span)内处理 (the district's squad will handle it by \(BusinessTime.rfc3339(dueAt)))"
        case .handled: return "等待核查处置结果 (the handling is being checked)"
        case .verified: return "即将结案 (about to be closed)"
        case .sentBack: return "市城管委正在重新派遣 (the bureau is re-dispatching it)"
        case .closed, .rejected, .duplicate: return nil
        }
    }
}

/// What someone should hear of, written to the outbox in the transaction that made it happen.
public enum OutboxEventType: String, Sendable, Hashable, Codable, CaseIterable {
    case reportSubmitted = "report.submitted"
    case reportAccepted = "report.accepted"
    case reportRejected = "report.rejected"
    case reportDispatched = "report.dispatched"
    case reportHandled = "report.handled"
    case reportVerified = "report.verified"
    case reportRedispatched = "report.redispatched"
    case reportClosed = "report.closed"
    case reportReopened = "report.reopened"
    case reportRated = "report.rated"
    case reportDuplicate = "report.duplicate"
    case reportEscalated = "report.escalated"
    case reportSentBack = "report.sent_back"
    case extensionRequested = "report.extension_requested"
    case extensionAnswered = "report.extension_answered"
    case permitReviewed = "permit.reviewed"
    case permitApproved = "permit.approved"
    case permitIssued = "permit.issued"
    case permitSuspended = "permit.suspended"
    case permitRevoked = "permit.revoked"
    case permitRejected = "permit.rejected"
    case pointsDeducted = "permit.points_deducted"
    case idleWarning = "permit.idle_warning"
    /// Half an hour after the site opened, a vendor with a permit has not checked in today.
    case checkInReminder = "permit.checkin_reminder"

    /// A report's step in the loop, as the outbox names it.
    public static func of(_ action: ReportAction) -> OutboxEventType {
        switch action {
        case .accept: .reportAccepted
        case .reject: .reportRejected
        case .dispatch: .reportDispatched
        case .handle: .reportHandled
        case .verify: .reportVerified
        case .redispatch: .reportRedispatched
        case .close: .reportClosed
        case .markDuplicate: .reportDuplicate
        case .reopen: .reportReopened
        case .sendBack: .reportSentBack
        }
    }

    /// Events about cases the public may read of (in Atom feeds): what a report's public
    /// timeline shows anyway.
    public var isPublic: Bool { rawValue.hasPrefix("report.") && self != .extensionRequested && self != .extensionAnswered }
}

/// One event of the outbox as it is delivered: webhooks' body, the events cursor's item.
public struct OutboxEvent: Sendable, Hashable {
    /// The cursor's position: gap-free and in commit order.
    public var sequence: Int64
    public var type: OutboxEventType
    /// `report` or `permit`.
    public var entity: String
    public var entityId: String
    public var district: String?
    /// The fields of the event (never contacts, names or hashes), as JSON object text.
    public var payload: [String: String]
    public var at: Date

    public init(sequence: Int64, type: OutboxEventType, entity: String, entityId: String, district: String?, payload: [String: String], at: Date) {
        self.sequence = sequence
        self.type = type
        self.entity = entity
        self.entityId = entityId
        self.district = district
        self.payload = payload
        self.at = at
    }

    /// The idempotency key a receiver keeps to ignore a second delivery of the same event.
    public var id: String { "evt_" + zeroPadded(Int(sequence), width: 10) }
}

/// Webhook signatures: HMAC-SHA256 of `"<timestamp>.<body>"` keyed by the endpoint's secret,
/// sent as `X-Guatan-Signature: t=<timestamp>,v1=<hex>` (README shows how to check one).
public enum WebhookSignature {
    public static func sign(body: [UInt8], secret: String, timestamp: Int) -> String {
        var message = Array("\(timestamp).".utf8)
        message += body
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(timestamp),v1=" + Draw.hex(Data(code))
    }

    /// The wait before the next attempt after `attempts` failures: doubling from `base`, at most an hour.
    public static func backoff(attempts: Int, base: TimeInterval) -> TimeInterval {
        min(base * pow(2, Double(max(attempts - 1, 0))), 3600)
    }
}

/// The bureau's reply templates: what may be written, and the case filled in.
public enum ReplyRules {
    public static let placeholders = ["{report_id}", "{stall}", "{category}", "{due_at}", "{district}"]

    /// A template's words: 2–500 characters, only the known placeholders, for an action that
    /// tells the reporter something.
    public static func validate(text: String, action: ReportAction) throws(ValidationError) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (2...500).contains(trimmed.count) else { throw ValidationError(field: "text", message: "text must have 2–500 characters") }
        var rest = trimmed
        for placeholder in placeholders { rest = rest.replacingOccurrences(of: placeholder, with: "") }
        if let open = rest.firstIndex(of: "{"), rest[open...].contains("}") {
            throw ValidationError(field: "text", message: "placeholders are \(placeholders.joined(separator: ", "))")
        }
        guard action != .reopen else { throw ValidationError(field: "action", message: "reopening is the reporter's, with his own words") }
        return trimmed
    }

    /// The template with the case's facts in place.
    public static func fill(_ text: String, report: Report, districtName: String) -> String {
        text.replacingOccurrences(of: "{report_id}", with: report.id)
            .replacingOccurrences(of: "{stall}", with: report.slotId ?? report.siteId ?? "现场")
            .replacingOccurrences(of: "{category}", with: report.category.nameZh)
            .replacingOccurrences(
                of: "{due_at}",
                with: report.dueAt.map {
                    "\(BusinessTime.localDate(of: $0).month)月\(BusinessTime.localDate(of: $0).day)日 \(BusinessTime.localTime(of: $0))"
                }
                    ?? ""
            )
            .replacingOccurrences(of: "{district}", with: districtName)
    }
}
