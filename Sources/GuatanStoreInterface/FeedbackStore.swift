import Foundation
import GuatanCore

/// A receiver of the outbox's events (the city's operations platform and others), as the
/// admin sees it: where, what it wants, how delivery stands.
public struct WebhookEndpoint: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var url: String
    /// The HMAC key; shown once when the endpoint is registered, never listed.
    public var secret: String
    public var events: Set<OutboxEventType>
    public var active: Bool
    /// Every event up to this sequence has been delivered (or given up on).
    public var deliveredThrough: Int64
    /// Failed attempts at the next event.
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var lastStatus: Int?
    public var lastError: String?
    public var lastAttemptAt: Date?
    public var lastSuccessAt: Date?
    public var deliveredCount: Int
    public var createdAt: Date

    public init(
        id: Int64, name: String, url: String, secret: String, events: Set<OutboxEventType>, active: Bool, deliveredThrough: Int64,
        attempts: Int, nextAttemptAt: Date?, lastStatus: Int?, lastError: String?, lastAttemptAt: Date?, lastSuccessAt: Date?,
        deliveredCount: Int, createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.url = url
        self.secret = secret
        self.events = events
        self.active = active
        self.deliveredThrough = deliveredThrough
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.lastAttemptAt = lastAttemptAt
        self.lastSuccessAt = lastSuccessAt
        self.deliveredCount = deliveredCount
        self.createdAt = createdAt
    }
}

/// An event an endpoint would not take after every retry.
public struct DeadLetter: Sendable, Hashable {
    public var id: Int64
    public var endpointId: Int64
    public var event: OutboxEvent
    public var attempts: Int
    public var lastStatus: Int?
    public var lastError: String?
    public var deadAt: Date

    public init(id: Int64, endpointId: Int64, event: OutboxEvent, attempts: Int, lastStatus: Int?, lastError: String?, deadAt: Date) {
        self.id = id
        self.endpointId = endpointId
        self.event = event
        self.attempts = attempts
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.deadAt = deadAt
    }
}

/// How one delivery attempt went, as the worker records it.
public struct DeliveryOutcome: Sendable, Hashable {
    public var eventSequence: Int64
    public var status: Int?
    public var error: String?
    public var delivered: Bool

    public init(eventSequence: Int64, status: Int?, error: String?, delivered: Bool) {
        self.eventSequence = eventSequence
        self.status = status
        self.error = error
        self.delivered = delivered
    }
}

/// The feedback loop's reads and writes (issue 17), inside a workflow's transaction.
public protocol FeedbackTransaction {
    /// Writes an event to the outbox, numbered next in commit order (the counter's row stays
    /// locked until this transaction ends, so no later number commits first).
    func emit(_ type: OutboxEventType, entity: String, entityId: String, district: String?, payload: [String: String], at: Date) throws
    /// The outbox after `sequence`, in order.
    func outbox(after sequence: Int64, limit: Int) throws -> [OutboxEvent]
    /// The last sequence written (0 for none).
    func outboxHead() throws -> Int64

    /// Dispatched cases past their time limit and not escalated yet, oldest limit first.
    func overdueReports(now: Date, limit: Int) throws -> [String]

    func insertExtension(reportId: String, requestedBy: String, reason: String, previousDueAt: Date?, newDueAt: Date, at: Date) throws -> Int64
    /// Locked where writers run side by side.
    func reportExtension(id: Int64) throws -> ReportExtension?
    func reportExtensions(reportId: String) throws -> [ReportExtension]
    func answerExtension(id: Int64, state: ExtensionState, by: String, answer: String, at: Date) throws

    func insertWebhookEndpoint(name: String, url: String, secret: String, events: Set<OutboxEventType>, by: String, at: Date) throws -> Int64
    func webhookEndpoint(id: Int64) throws -> WebhookEndpoint?
    func setWebhookEndpointActive(id: Int64, active: Bool) throws
    /// Takes the endpoint for `owner` until `until` when nobody holds it and it is due: one
    /// instance delivers to an endpoint at a time.
    func leaseWebhookEndpoint(id: Int64, owner: String, now: Date, until: Date) throws -> Bool
    /// Records an attempt by the lease's owner: delivered moves `delivered_through` on; a
    /// failure counts and waits `retryAt`, or, given up, goes to the dead letters and moves on.
    func recordDelivery(endpointId: Int64, owner: String, _ outcome: DeliveryOutcome, retryAt: Date?, givenUp: Bool, at: Date) throws
    /// Moves past events the endpoint does not want.
    func skipEvents(endpointId: Int64, owner: String, through sequence: Int64) throws
    func releaseWebhookEndpoint(id: Int64, owner: String) throws

    /// How far a reader of the outbox inside the service has come (0 before its first), locked
    /// where writers run side by side so two instances never read on from the same place.
    func outboxReader(_ name: String) throws -> Int64
    func setOutboxReader(_ name: String, through sequence: Int64) throws
    /// The number an event's message goes to: the reporter's, when he asked to be told; the
    /// permit holder's registered one.
    func smsRecipient(of event: OutboxEvent, audience: SMSRules.Audience) throws -> String?
    /// Writes a message once per event and number (a second writing is ignored).
    func insertSMS(_ message: NewSMS) throws
    /// Messages due to go, claimed for `claimFor` seconds (another instance skips them meanwhile).
    func claimDueSMS(now: Date, claimFor: TimeInterval, limit: Int) throws -> [SMSMessage]
    /// Messages sent to a number on a business day.
    func smsSentCount(recipient: String, day: LocalDate) throws -> Int
    func recordSMS(id: Int64, state: SMSState, reason: String?, status: Int?, error: String?, retryAt: Date?, at: Date) throws

    /// The bureau's public-note templates still in use; for a category, those of that category and those for every one.
    func replyTemplates(category: ReportCategory?, action: ReportAction?) throws -> [ReplyTemplate]
    func insertReplyTemplate(category: ReportCategory?, action: ReportAction, text: String, by: String, at: Date) throws -> Int64
    /// False when there is no such template in use.
    func retireReplyTemplate(id: Int64, at: Date) throws -> Bool
    func districtName(code: String) throws -> String?

    /// Issued permits of `day`'s season at sites open since `openedBy` (and not closed at
    /// `now`) with no check-in that day and no reminder yet, up to `limit`.
    func permitsToRemind(day: LocalDate, openedBy: LocalTime, now: LocalTime, limit: Int) throws -> [PermitToRemind]
    /// False when the permit was reminded that day already.
    func markReminded(permitNumber: String, day: LocalDate) throws -> Bool

    /// Forgets what the feedback loop no longer needs, at most `limit` rows of each kind a
    /// call: texts sent, skipped or given up and dead letters from before `before`; then outbox
    /// events from before it that no remaining text or dead letter names and that every active
    /// endpoint and every reader has passed (a paused endpoint resumes with what is left); and
    /// reminder marks of days before `remindersBefore`. Nothing holds on past `heldBefore`: a
    /// receiver that never answers, a gateway switched off with texts still waiting, or a
    /// reader left behind cannot make the tables grow for ever. The number of rows removed.
    func pruneFeedback(before: Date, heldBefore: Date, remindersBefore: LocalDate, limit: Int) throws -> Int
}

public struct PermitToRemind: Sendable, Hashable {
    public var permitNumber: String
    public var vendorId: String
    public var slotId: String
    public var district: String
    public var opensAt: String

    public init(permitNumber: String, vendorId: String, slotId: String, district: String, opensAt: String) {
        self.permitNumber = permitNumber
        self.vendorId = vendorId
        self.slotId = slotId
        self.district = district
        self.opensAt = opensAt
    }
}

/// A public note the bureau keeps for an action (and a category, or every one): `{report_id}`,
/// `{stall}`, `{category}`, `{due_at}` and `{district}` are filled from the case.
public struct ReplyTemplate: Sendable, Hashable {
    public var id: Int64
    public var category: ReportCategory?
    public var action: ReportAction
    public var text: String

    public init(id: Int64, category: ReportCategory?, action: ReportAction, text: String) {
        self.id = id
        self.category = category
        self.action = action
        self.text = text
    }
}

public enum SMSState: String, Sendable, Hashable, Codable, CaseIterable {
    case queued, sent, failed, skipped
}

public struct NewSMS: Sendable, Hashable {
    public var eventSequence: Int64
    public var recipient: String
    public var audience: SMSRules.Audience
    public var body: String
    public var urgent: Bool
    public var sendAfter: Date
    public var at: Date

    public init(eventSequence: Int64, recipient: String, audience: SMSRules.Audience, body: String, urgent: Bool, sendAfter: Date, at: Date) {
        self.eventSequence = eventSequence
        self.recipient = recipient
        self.audience = audience
        self.body = body
        self.urgent = urgent
        self.sendAfter = sendAfter
        self.at = at
    }
}

/// A text message as written and as it went.
public struct SMSMessage: Sendable, Hashable {
    public var id: Int64
    public var eventSequence: Int64
    /// The number: for the gateway only; every list shows it masked.
    public var recipient: String
    public var audience: String
    public var body: String
    public var urgent: Bool
    public var state: SMSState
    public var reason: String?
    public var attempts: Int
    public var sendAfter: Date
    public var sentAt: Date?
    public var lastError: String?

    public init(
        id: Int64, eventSequence: Int64, recipient: String, audience: String, body: String, urgent: Bool, state: SMSState, reason: String?,
        attempts: Int, sendAfter: Date, sentAt: Date?, lastError: String?
    ) {
        self.id = id
        self.eventSequence = eventSequence
        self.recipient = recipient
        self.audience = audience
        self.body = body
        self.urgent = urgent
        self.state = state
        self.reason = reason
        self.attempts = attempts
        self.sendAfter = sendAfter
        self.sentAt = sentAt
        self.lastError = lastError
    }
}

/// The feedback loop's reads outside a workflow.
public protocol FeedbackStore: Sendable {
    func outbox(after sequence: Int64, limit: Int) async throws -> [OutboxEvent]
    /// Cases escalated and still dispatched (the bureau's escalation queue), a district's or all.
    func escalations(district: String?) async throws -> [Report]
    /// Extension requests waiting for the bureau, a district's or all.
    func pendingExtensions(district: String?) async throws -> [ReportExtension]
    /// Cases the squads sent back, waiting for the bureau.
    func sentBack(district: String?) async throws -> [Report]
    func webhookEndpoints() async throws -> [WebhookEndpoint]
    func deadLetters(endpointId: Int64?, limit: Int) async throws -> [DeadLetter]
    /// The facts scorecards count, for the cases received from `from` up to `to` (duplicates aside).
    func caseFacts(from: Date, to: Date) async throws -> [CaseFacts]
    /// The latest text messages, newest first (numbers masked by whoever shows them).
    func smsMessages(limit: Int) async throws -> [SMSMessage]
    /// Public timeline steps of cases at a stall, a site or in a district, newest first (Atom feeds).
    func publicCaseSteps(of scope: FeedScope, limit: Int) async throws -> [PublicCaseStep]
}

public enum FeedScope: Sendable, Hashable {
    case stall(String)
    case site(String)
    case district(String)
}

/// One step of a case's public timeline, with the case it belongs to.
public struct PublicCaseStep: Sendable, Hashable {
    public var eventId: Int64
    public var reportId: String
    public var category: ReportCategory
    public var slotId: String?
    public var siteId: String?
    public var district: String
    public var action: String
    public var toState: ReportState
    public var publicNote: String?
    public var at: Date

    public init(
        eventId: Int64, reportId: String, category: ReportCategory, slotId: String?, siteId: String?, district: String, action: String,
        toState: ReportState, publicNote: String?, at: Date
    ) {
        self.eventId = eventId
        self.reportId = reportId
        self.category = category
        self.slotId = slotId
        self.siteId = siteId
        self.district = district
        self.action = action
        self.toState = toState
        self.publicNote = publicNote
        self.at = at
    }
}
