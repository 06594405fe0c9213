import AsyncHTTPClient
import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Escalates dispatched cases past their time limit and reminds vendors who have not checked in
/// half an hour after their site opened, every half minute and at start-up, on the service's
/// own clock: neither waits for anyone to ask.
public struct EscalationScheduler: Service {
    let feedback: FeedbackService
    let clock: ServiceClock
    let logger: Logger
    var interval: Duration = .seconds(30)

    public init(feedback: FeedbackService, clock: ServiceClock, logger: Logger, interval: Duration = .seconds(30)) {
        self.feedback = feedback
        self.clock = clock
        self.logger = logger
        self.interval = interval
    }

    public func tick() async {
        do {
            let total = try await drain { try await feedback.escalate(now: clock.now()) }
            if total > 0 { logger.info("cases escalated past their time limit", metadata: ["count": "\(total)"]) }
            let reminded = try await drain { try await feedback.remindCheckIns(now: clock.now()) }
            if reminded > 0 { logger.info("vendors reminded to check in", metadata: ["count": "\(reminded)"]) }
        } catch {
            logger.warning("escalation not checked: the database did not answer", metadata: ["error": "\(error)"])
        }
    }

    public func run() async throws {
        await tickUntilShutdown(every: interval) { await tick() }
    }
}

/// Keeps the feedback loop's tables bounded: at start-up and every hour, outbox events, texts
/// and dead letters older than the retention (`--outbox-retention-days`) are forgotten.
public struct FeedbackPruner: Service {
    let feedback: FeedbackService
    let clock: ServiceClock
    let retentionDays: Int
    let logger: Logger
    var interval: Duration = .seconds(3600)

    public func tick() async {
        do {
            let removed = try await feedback.prune(now: clock.now(), retentionDays: retentionDays)
            if removed > 0 { logger.info("feedback records past their retention forgotten", metadata: ["rows": "\(removed)"]) }
        } catch {
            logger.warning("feedback retention not applied: the database did not answer", metadata: ["error": "\(error)"])
        }
    }

    public func run() async throws {
        await tickUntilShutdown(every: interval) { await tick() }
    }
}

/// How webhook deliveries are retried (`--webhook-retry-base`, `--webhook-attempts`).
public struct WebhookPolicy: Sendable {
    /// The first wait after a failure; each further failure doubles it (at most an hour).
    public var retryBase: TimeInterval = 30
    /// Attempts at one event before it goes to the dead letters and delivery moves on.
    public var attempts = 8
    /// How long one attempt may take before it counts as failed.
    public var timeout: TimeInterval = 10

    public init(retryBase: TimeInterval = 30, attempts: Int = 8, timeout: TimeInterval = 10) {
        self.retryBase = retryBase
        self.attempts = attempts
        self.timeout = timeout
    }
}

/// Delivers the outbox to each registered endpoint, in order, at least once: an event is
/// marked delivered only after the receiver answered 2xx, so a crash between the two sends it
/// again with the same `Idempotency-Key`. One instance holds an endpoint at a time (a lease in
/// the database), so several instances never deliver one event side by side.
public struct WebhookDeliverer: Service {
    let endpoints: any FeedbackStore
    let store: any WorkflowStore
    let clock: ServiceClock
    let policy: WebhookPolicy
    let logger: Logger
    var interval: Duration = .seconds(1)
    let owner = "instance-" + UUID().uuidString

    public init(
        endpoints: any FeedbackStore, store: any WorkflowStore, clock: ServiceClock, policy: WebhookPolicy, logger: Logger,
        interval: Duration = .seconds(1)
    ) {
        self.endpoints = endpoints
        self.store = store
        self.clock = clock
        self.policy = policy
        self.logger = logger
        self.interval = interval
    }

    public func run() async throws {
        let client = outboundClient(timeout: policy.timeout)
        await tickUntilShutdown(every: interval) { await tick(client) }
        try? await client.shutdown()
    }

    /// One round: every active endpoint that is due, each with what it has not had yet.
    public func tick(_ client: HTTPClient) async {
        do {
            let now = clock.now()
            let due = try await endpoints.webhookEndpoints().filter { $0.active && ($0.nextAttemptAt.map { $0 <= now } ?? true) }.map(\.id)
            // Side by side: a receiver that hangs until its timeout holds up no other.
            await withTaskGroup(of: Void.self) { group in
                for id in due { group.addTask { await deliver(to: id, client) } }
            }
        } catch {
            logger.warning("webhooks not delivered: the database did not answer", metadata: ["error": "\(error)"])
        }
    }

    func deliver(to id: Int64, _ client: HTTPClient) async {
        await deliverBatches(to: id, client)
        let owner = self.owner
        _ = try? await store.transaction { tx in try tx.releaseWebhookEndpoint(id: id, owner: owner) }
    }

    func deliverBatches(to id: Int64, _ client: HTTPClient) async {
        let owner = self.owner
        do {
            // Up to 200 events a round an endpoint; the next round goes on.
            for _ in 0..<4 {
                let now = clock.now()
                // Short, renewed before each attempt: an instance that dies holding it keeps the
                // endpoint from the others for two timeouts at most.
                let lease = policy.timeout * 2 + 5
                let leaseUntil = now.addingTimeInterval(lease)
                let batch: (WebhookEndpoint, [OutboxEvent])? = try await store.transaction { tx in
                    guard try tx.leaseWebhookEndpoint(id: id, owner: owner, now: now, until: leaseUntil),
                        let endpoint = try tx.webhookEndpoint(id: id)
                    else { return nil }
                    return (endpoint, try tx.outbox(after: endpoint.deliveredThrough, limit: 50))
                }
                guard let (endpoint, events) = batch, !events.isEmpty else { return }
                // Events the endpoint did not ask for are passed over a run at a time, in one write.
                var unwanted: Int64?
                func passOver() async throws {
                    guard let through = unwanted else { return }
                    try await store.transaction { tx in try tx.skipEvents(endpointId: id, owner: owner, through: through) }
                    unwanted = nil
                }
                for event in events {
                    guard endpoint.events.contains(event.type) else {
                        unwanted = event.sequence
                        continue
                    }
                    try await passOver()
                    let renewAt = clock.now()
                    let attempt: Int? = try await store.transaction { tx in
                        guard try tx.leaseWebhookEndpoint(id: id, owner: owner, now: renewAt, until: renewAt.addingTimeInterval(lease)) else {
                            return nil
                        }
                        return (try tx.webhookEndpoint(id: id)?.attempts ?? 0) + 1
                    }
                    guard let attempt else { return }
                    let outcome = await post(event, to: endpoint, attempt: attempt, client)
                    let givenUp = !outcome.delivered && attempt >= policy.attempts
                    let at = clock.now()
                    let retryAt =
                        outcome.delivered || givenUp
                        ? nil : at.addingTimeInterval(WebhookSignature.backoff(attempts: attempt, base: policy.retryBase))
                    try await store.transaction { tx in
                        try tx.recordDelivery(endpointId: id, owner: owner, outcome, retryAt: retryAt, givenUp: givenUp, at: at)
                    }
                    if givenUp {
                        logger.warning(
                            "webhook event given up", metadata: ["endpoint": "\(id)", "event": "\(event.id)", "error": "\(outcome.error ?? "-")"])
                    }
                    // In order: a failure waits for its retry before anything after it is sent.
                    if !outcome.delivered, !givenUp { return }
                }
                try await passOver()
            }
        } catch {
            logger.warning("webhook delivery stopped: the database did not answer", metadata: ["endpoint": "\(id)", "error": "\(error)"])
        }
    }

    func post(_ event: OutboxEvent, to endpoint: WebhookEndpoint, attempt: Int, _ client: HTTPClient) async -> DeliveryOutcome {
        do {
            let body = Array(try APIJSON.encoder().encode(EventBody(event)))
            var request = HTTPClientRequest(url: endpoint.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "guatan-webhooks/1")
            request.headers.add(name: "X-Guatan-Event", value: event.type.rawValue)
            request.headers.add(name: "Idempotency-Key", value: event.id)
            request.headers.add(name: "X-Guatan-Attempt", value: String(attempt))
            request.headers.add(
                name: "X-Guatan-Signature",
                value: WebhookSignature.sign(body: body, secret: endpoint.secret, timestamp: Int(clock.now().timeIntervalSince1970)))
            request.body = .bytes(ByteBuffer(bytes: body))
            let response = try await client.execute(request, timeout: .seconds(Int64(policy.timeout)))
            // Read (a little of) the answer so the connection can be used again.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            let status = Int(response.status.code)
            return DeliveryOutcome(
                eventSequence: event.sequence, status: status, error: (200..<300).contains(status) ? nil : "HTTP \(status)",
                delivered: (200..<300).contains(status))
        } catch {
            return DeliveryOutcome(
                eventSequence: event.sequence, status: nil, error: String(describing: error).prefix(300).description, delivered: false)
        }
    }
}

/// Where text messages go: an HTTP SMS gateway (`--sms-gateway`, `--sms-key`).
public struct SMSGateway: Sendable {
    public var url: String
    public var key: String?
    /// Messages one number receives a day at most, urgent ones aside (`--sms-daily-cap`).
    public var dailyCap: Int
    public var timeout: TimeInterval = 10

    public init(url: String, key: String?, dailyCap: Int = SMSRules.defaultDailyCap) {
        self.url = url
        self.key = key
        self.dailyCap = dailyCap
    }
}

/// Writes each outbox event's text message and sends the ones that are due through the
/// gateway: `POST {url}` with `{"id", "to", "message"}`, `Authorization: Bearer {key}` and the
/// message's `Idempotency-Key`; a 2xx answer means sent, anything else is tried again (five
/// attempts), never at night unless it cannot wait.
public struct SMSDispatcher: Service {
    let feedback: FeedbackService
    let gateway: SMSGateway
    let clock: ServiceClock
    let logger: Logger
    var interval: Duration = .seconds(1)

    public init(feedback: FeedbackService, gateway: SMSGateway, clock: ServiceClock, logger: Logger, interval: Duration = .seconds(1)) {
        self.feedback = feedback
        self.gateway = gateway
        self.clock = clock
        self.logger = logger
        self.interval = interval
    }

    public func run() async throws {
        let client = outboundClient(timeout: gateway.timeout)
        await tickUntilShutdown(every: interval) { await tick(client) }
        try? await client.shutdown()
    }

    public func tick(_ client: HTTPClient) async {
        do {
            while try await feedback.writeMessages(now: clock.now()) > 0 {}
            for message in try await feedback.claimMessages(now: clock.now()) {
                let now = clock.now()
                if try await feedback.overDailyCap(message, cap: gateway.dailyCap, now: now) {
                    try await feedback.recordMessage(
                        message, state: .skipped, reason: "daily cap of \(gateway.dailyCap)", status: nil, error: nil, retryAt: nil, at: now)
                    continue
                }
                let (status, error) = await send(message, client)
                let at = clock.now()
                if let status, (200..<300).contains(status) {
                    try await feedback.recordMessage(message, state: .sent, reason: nil, status: status, error: nil, retryAt: nil, at: at)
                } else if message.attempts + 1 >= SMSRules.attempts {
                    try await feedback.recordMessage(message, state: .failed, reason: "gave up", status: status, error: error, retryAt: nil, at: at)
                    logger.warning("text message given up", metadata: ["sms": "\(message.id)", "error": "\(error ?? "-")"])
                } else {
                    let retry = SMSRules.sendAfter(
                        at.addingTimeInterval(WebhookSignature.backoff(attempts: message.attempts + 1, base: 30)), urgent: message.urgent)
                    try await feedback.recordMessage(message, state: .queued, reason: nil, status: status, error: error, retryAt: retry, at: at)
                }
            }
        } catch {
            logger.warning("text messages not sent: the database did not answer", metadata: ["error": "\(error)"])
        }
    }

    func send(_ message: SMSMessage, _ client: HTTPClient) async -> (status: Int?, error: String?) {
        do {
            let body: [String: String] = ["id": "sms_\(message.id)", "to": message.recipient, "message": message.body]
            var request = HTTPClientRequest(url: gateway.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Idempotency-Key", value: "sms_\(message.id)")
            if let key = gateway.key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])))
            let response = try await client.execute(request, timeout: .seconds(Int64(gateway.timeout)))
            _ = try? await response.body.collect(upTo: 64 * 1024)
            let status = Int(response.status.code)
            return (status, (200..<300).contains(status) ? nil : "HTTP \(status)")
        } catch {
            return (nil, String(describing: error).prefix(300).description)
        }
    }
}

/// The client webhooks and text messages go out by: a receiver answers where it was
/// registered (a redirect is a failure to look at), within its time.
func outboundClient(timeout: TimeInterval) -> HTTPClient {
    var configuration = HTTPClient.Configuration()
    configuration.redirectConfiguration = .disallow
    configuration.timeout = .init(connect: .seconds(5), read: .seconds(Int64(timeout)))
    return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
}
