import Foundation
import GuatanCore
import GuatanStoreInterface

extension FeedbackRoutes {
    struct ExtensionInput: Decodable {
        let newDueAt: String
        let reason: String?
    }

    struct DecisionInput: Decodable {
        let approve: Bool
        let answer: String?
    }

    struct TemplateInput: Decodable {
        let category: String?
        let action: String?
        let text: String?
    }

    struct WebhookInput: Decodable {
        let name: String?
        let url: String?
        let events: [String]?
    }
}

/// Lists of the feedback loop, each a concrete type built in a sync init (Swift 6.3.1's release
/// optimiser crashes on a generic list body built inside an async route).
struct ExtensionListBody: Encodable {
    let items: [ExtensionBody]
    let total: Int

    init(_ list: [ReportExtension]) {
        items = list.map(ExtensionBody.init)
        total = items.count
    }
}

struct CaseQueueBody: Encodable {
    let items: [ReportBody]
    let total: Int

    init(_ list: [Report], now: Date) {
        items = list.map { ReportBody($0, view: .staff, now: now, crs: .wgs84) }
        total = items.count
    }
}

struct WebhookListBody: Encodable {
    let items: [WebhookBody]
    let total: Int

    init(_ list: [WebhookEndpoint]) {
        items = list.map { WebhookBody($0, withSecret: false) }
        total = items.count
    }
}

struct DeadLetterListBody: Encodable {
    let items: [DeadLetterBody]
    let total: Int

    init(_ list: [DeadLetter]) {
        items = list.map(DeadLetterBody.init)
        total = items.count
    }
}

struct ExtensionBody: Encodable {
    let extensionId: Int64
    let reportId: String
    let district: String
    let requestedBy: String
    let requestedAt: String
    let reason: String
    let previousDueAt: String?
    let newDueAt: String
    let status: String
    let answeredBy: String?
    let answeredAt: String?
    let answer: String?

    init(_ request: ReportExtension) {
        extensionId = request.id
        reportId = request.reportId
        district = request.district
        requestedBy = request.requestedBy
        requestedAt = BusinessTime.rfc3339(request.requestedAt)
        reason = request.reason
        previousDueAt = request.previousDueAt.map(BusinessTime.rfc3339)
        newDueAt = BusinessTime.rfc3339(request.newDueAt)
        status = request.state.rawValue
        answeredBy = request.answeredBy
        answeredAt = request.answeredAt.map(BusinessTime.rfc3339)
        answer = request.answer
    }
}

/// One outbox event as webhooks and the events cursor carry it.
struct EventBody: Encodable {
    let id: String
    let sequence: Int64
    let type: String
    let occurredAt: String
    let entity: String
    let entityId: String
    let district: String?
    let data: [String: String]

    init(_ event: OutboxEvent) {
        id = event.id
        sequence = event.sequence
        type = event.type.rawValue
        occurredAt = BusinessTime.rfc3339(event.at)
        entity = event.entity
        entityId = event.entityId
        district = event.district
        data = event.payload
    }
}

struct EventListBody: Encodable {
    let items: [EventBody]
    /// Give it as `after` to read on from here (where this page ended, or where it began).
    let nextCursor: String

    init(_ list: [OutboxEvent], after: Int64) {
        items = list.map(EventBody.init)
        nextCursor = "evt_" + zeroPadded(Int(list.last?.sequence ?? after), width: 10)
    }
}

struct WebhookBody: Encodable {
    let endpointId: Int64
    let name: String
    let url: String
    /// Only in the answer to registering: keep it to check signatures.
    let secret: String?
    let events: [String]
    let active: Bool
    let deliveredThrough: String
    let failingAttempts: Int
    let nextAttemptAt: String?
    let lastStatus: Int?
    let lastError: String?
    let lastAttemptAt: String?
    let lastSuccessAt: String?
    let deliveredCount: Int
    let createdAt: String

    init(_ endpoint: WebhookEndpoint, withSecret: Bool) {
        endpointId = endpoint.id
        name = endpoint.name
        url = endpoint.url
        secret = withSecret ? endpoint.secret : nil
        events = endpoint.events.map(\.rawValue).sorted()
        active = endpoint.active
        deliveredThrough = "evt_" + zeroPadded(Int(endpoint.deliveredThrough), width: 10)
        failingAttempts = endpoint.attempts
        nextAttemptAt = endpoint.nextAttemptAt.map(BusinessTime.rfc3339)
        lastStatus = endpoint.lastStatus
        lastError = endpoint.lastError
        lastAttemptAt = endpoint.lastAttemptAt.map(BusinessTime.rfc3339)
        lastSuccessAt = endpoint.lastSuccessAt.map(BusinessTime.rfc3339)
        deliveredCount = endpoint.deliveredCount
        createdAt = BusinessTime.rfc3339(endpoint.createdAt)
    }
}

struct DeadLetterBody: Encodable {
    let deadLetterId: Int64
    let endpointId: Int64
    let event: EventBody
    let attempts: Int
    let lastStatus: Int?
    let lastError: String?
    let deadAt: String

    init(_ letter: DeadLetter) {
        deadLetterId = letter.id
        endpointId = letter.endpointId
        event = EventBody(letter.event)
        attempts = letter.attempts
        lastStatus = letter.lastStatus
        lastError = letter.lastError
        deadAt = BusinessTime.rfc3339(letter.deadAt)
    }
}

/// Text messages as the admin sees them: numbers masked.
struct SMSListBody: Encodable {
    struct Item: Encodable {
        let smsId: Int64
        let eventId: String
        let to: String
        let audience: String
        let message: String
        let urgent: Bool
        let status: String
        let reason: String?
        let attempts: Int
        let sendAfter: String
        let sentAt: String?
        let lastError: String?
    }
    let items: [Item]
    let total: Int

    init(_ list: [SMSMessage]) {
        items = list.map {
            Item(
                smsId: $0.id, eventId: "evt_" + zeroPadded(Int($0.eventSequence), width: 10), to: SMSRules.masked($0.recipient),
                audience: $0.audience, message: $0.body, urgent: $0.urgent, status: $0.state.rawValue, reason: $0.reason, attempts: $0.attempts,
                sendAfter: BusinessTime.rfc3339($0.sendAfter), sentAt: $0.sentAt.map(BusinessTime.rfc3339), lastError: $0.lastError)
        }
        total = items.count
    }
}

struct ReplyTemplateBody: Encodable {
    let templateId: Int64
    /// Nil: for every category.
    let category: String?
    let action: String
    let text: String
    /// For a case: the text with its facts filled in.
    let filled: String?

    init(_ template: ReplyTemplate, filled: String?) {
        templateId = template.id
        category = template.category?.rawValue
        action = template.action.rawValue
        text = template.text
        self.filled = filled
    }
}

struct ReplyTemplateListBody: Encodable {
    let items: [ReplyTemplateBody]
    let total: Int

    init(_ list: [ReplyTemplate]) {
        items = list.map { ReplyTemplateBody($0, filled: nil) }
        total = items.count
    }

    init(filled list: [(template: ReplyTemplate, text: String)]) {
        items = list.map { ReplyTemplateBody($0.template, filled: $0.text) }
        total = items.count
    }
}

struct ScorecardBody: Encodable {
    let key: String
    let received: Int
    let dispatched: Int
    let handled: Int
    let handledInTime: Int
    let onTimeRate: Double?
    let reworked: Int
    let reworkRate: Double?
    let closed: Int
    let reopened: Int
    let reopenRate: Double?
    let escalated: Int
    let ratings: Int
    let averageRating: Double?
    let satisfaction: Double?
    let averageHandlingMinutes: Double?
    let p90HandlingMinutes: Double?

    init(_ card: Scorecard) {
        key = card.key
        received = card.received
        dispatched = card.dispatched
        handled = card.handled
        handledInTime = card.handledInTime
        onTimeRate = card.onTimeRate
        reworked = card.reworked
        reworkRate = card.reworkRate
        closed = card.closed
        reopened = card.reopened
        reopenRate = card.reopenRate
        escalated = card.escalated
        ratings = card.ratings.count
        averageRating = card.averageRating
        satisfaction = card.satisfaction
        averageHandlingMinutes = card.averageHandlingMinutes
        p90HandlingMinutes = card.p90HandlingMinutes
    }
}

struct ScorecardListBody: Encodable {
    let from: String
    let to: String
    /// `district` (the squads) or `officer`.
    let by: String
    let items: [ScorecardBody]

    init(_ cards: [Scorecard], query: FeedbackRoutes.ScorecardQuery) {
        from = query.from.description
        to = query.to.description
        by = query.byOfficer ? "officer" : "district"
        items = cards.map(ScorecardBody.init)
    }

    func csvRows() -> [[String]] {
        func number(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "" }
        let header = [
            by, "received", "dispatched", "handled", "handled_in_time", "on_time_rate", "reworked", "rework_rate", "closed", "reopened",
            "reopen_rate", "escalated", "ratings", "average_rating", "satisfaction", "average_handling_minutes", "p90_handling_minutes",
        ]
        return [header]
            + items.map {
                [
                    $0.key, String($0.received), String($0.dispatched), String($0.handled), String($0.handledInTime), number($0.onTimeRate),
                    String($0.reworked), number($0.reworkRate), String($0.closed), String($0.reopened), number($0.reopenRate), String($0.escalated),
                    String($0.ratings), number($0.averageRating), number($0.satisfaction), number($0.averageHandlingMinutes),
                    number($0.p90HandlingMinutes),
                ]
            }
    }
}
