import Foundation
import GuatanCore
import GuatanStoreInterface

extension SQLStoreTransaction: FeedbackTransaction {
    public func emit(_ type: OutboxEventType, entity: String, entityId: String, district: String?, payload: [String: String], at: Date) throws {
        pendingEvents.append((type, entity, entityId, district, payload, at))
    }

    /// Writes the transaction's outbox events, as its last statements: the counter's row is
    /// locked until commit, so numbers are gap-free and in commit order (a reader's cursor never
    /// passes an event that commits later with a smaller number), and a transaction holding it
    /// waits for no other lock — two writers can never deadlock over it.
    public func finish() throws {
        guard !pendingEvents.isEmpty else { return }
        let count = pendingEvents.count
        let last: Int64 = try db.value(
            """
            INSERT INTO number_sequence (name, value) VALUES ('outbox', ?)
            ON CONFLICT (name) DO UPDATE SET value = number_sequence.value + ? RETURNING value
            """, [count, count])!
        var sequence = last - Int64(count) + 1
        // Several rows a statement: a national allocation tells 200,000 vendors at once.
        let chunk = 60
        for start in stride(from: 0, to: count, by: chunk) {
            let part = pendingEvents[start..<min(start + chunk, count)]
            var arguments = SQLArguments()
            for event in part {
                arguments.values +=
                    ([
                        sequence, event.type.rawValue, event.entity, event.entityId, event.district, event.type.isPublic,
                        SQLQueries.json(event.payload), BusinessTime.rfc3339(event.at),
                    ] as [(any SQLArgument)?]).map { $0?.sqlValue ?? .null }
                sequence += 1
            }
            try db.run(
                "INSERT INTO outbox_event (seq, type, entity, entity_id, district, public, payload_json, at) VALUES "
                    + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?)", count: part.count).joined(separator: ", "),
                arguments, cached: part.count == chunk)
        }
        pendingEvents = []
    }

    public func outbox(after sequence: Int64, limit: Int) throws -> [OutboxEvent] {
        try SQLQueries.outbox(db, after: sequence, limit: limit)
    }

    public func outboxHead() throws -> Int64 {
        try db.value("SELECT COALESCE(MAX(seq), 0) FROM outbox_event") ?? 0
    }

    public func overdueReports(now: Date, limit: Int) throws -> [String] {
        try db.values(
            "SELECT id FROM report WHERE state = 'dispatched' AND escalated_at IS NULL AND due_epoch < ? ORDER BY due_epoch, seq LIMIT ?",
            [now.timeIntervalSince1970, limit])
    }

    public func insertExtension(reportId: String, requestedBy: String, reason: String, previousDueAt: Date?, newDueAt: Date, at: Date) throws -> Int64
    {
        try db.value(
            """
            INSERT INTO report_extension (report_id, requested_by, requested_at, reason, previous_due_at, new_due_at, state)
            VALUES (?, ?, ?, ?, ?, ?, 'pending') RETURNING id
            """,
            [reportId, requestedBy, BusinessTime.rfc3339(at), reason, previousDueAt.map(BusinessTime.rfc3339), BusinessTime.rfc3339(newDueAt)])!
    }

    public func reportExtension(id: Int64) throws -> ReportExtension? {
        try db.row(SQLQueries.extensionColumns + " WHERE e.id = ?" + db.dialect.lock("e"), [id]).map(SQLRows.reportExtension)
    }

    public func reportExtensions(reportId: String) throws -> [ReportExtension] {
        try db.rows(SQLQueries.extensionColumns + " WHERE e.report_id = ? ORDER BY e.id", [reportId]).map(SQLRows.reportExtension)
    }

    public func answerExtension(id: Int64, state: ExtensionState, by: String, answer: String, at: Date) throws {
        try db.run(
            "UPDATE report_extension SET state = ?, answered_by = ?, answered_at = ?, answer = ? WHERE id = ?",
            [state.rawValue, by, BusinessTime.rfc3339(at), answer, id])
    }

    public func insertWebhookEndpoint(name: String, url: String, secret: String, events: Set<OutboxEventType>, by: String, at: Date) throws -> Int64 {
        // A new endpoint hears of what happens from now on, not of the whole history.
        try db.value(
            """
            INSERT INTO webhook_endpoint (name, url, secret, events_json, delivered_through, created_by, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id
            """,
            [name, url, secret, SQLRows.json(events.map(\.rawValue).sorted()), try outboxHead(), by, BusinessTime.rfc3339(at)])!
    }

    public func webhookEndpoint(id: Int64) throws -> WebhookEndpoint? {
        try db.row("SELECT * FROM webhook_endpoint w WHERE id = ?" + db.dialect.lock("w"), [id]).map(SQLRows.webhookEndpoint)
    }

    public func setWebhookEndpointActive(id: Int64, active: Bool) throws {
        try db.run("UPDATE webhook_endpoint SET active = ?, attempts = 0, next_attempt_at = NULL WHERE id = ?", [active, id])
    }

    public func leaseWebhookEndpoint(id: Int64, owner: String, now: Date, until: Date) throws -> Bool {
        let epoch = now.timeIntervalSince1970
        return try db.run(
            """
            UPDATE webhook_endpoint SET lease_owner = ?, lease_until = ?
            WHERE id = ? AND active = 1 AND (lease_until IS NULL OR lease_until < ? OR lease_owner = ?)
              AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
            """, [owner, until.timeIntervalSince1970, id, epoch, owner, epoch]) == 1
    }

    public func recordDelivery(endpointId: Int64, owner: String, _ outcome: DeliveryOutcome, retryAt: Date?, givenUp: Bool, at: Date) throws {
        let stamp = BusinessTime.rfc3339(at)
        if outcome.delivered {
            try db.run(
                """
                UPDATE webhook_endpoint SET delivered_through = ?, attempts = 0, next_attempt_at = NULL, last_status = ?, last_error = NULL,
                    last_attempt_at = ?, last_success_at = ?, delivered_count = delivered_count + 1
                WHERE id = ? AND lease_owner = ?
                """, [outcome.eventSequence, outcome.status, stamp, stamp, endpointId, owner])
        } else if givenUp {
            let attempts: Int = try db.value("SELECT attempts FROM webhook_endpoint WHERE id = ?", [endpointId]) ?? 0
            try db.run(
                """
                INSERT INTO webhook_dead_letter (endpoint_id, event_seq, attempts, last_status, last_error, dead_at) VALUES (?, ?, ?, ?, ?, ?)
                """, [endpointId, outcome.eventSequence, attempts + 1, outcome.status, outcome.error, stamp])
            try db.run(
                """
                UPDATE webhook_endpoint SET delivered_through = ?, attempts = 0, next_attempt_at = NULL, last_status = ?, last_error = ?,
                    last_attempt_at = ?
                WHERE id = ? AND lease_owner = ?
                """, [outcome.eventSequence, outcome.status, outcome.error, stamp, endpointId, owner])
        } else {
            try db.run(
                """
                UPDATE webhook_endpoint SET attempts = attempts + 1, next_attempt_at = ?, last_status = ?, last_error = ?, last_attempt_at = ?
                WHERE id = ? AND lease_owner = ?
                """, [retryAt?.timeIntervalSince1970, outcome.status, outcome.error, stamp, endpointId, owner])
        }
    }

    public func skipEvents(endpointId: Int64, owner: String, through sequence: Int64) throws {
        try db.run(
            "UPDATE webhook_endpoint SET delivered_through = ? WHERE id = ? AND lease_owner = ? AND delivered_through < ?",
            [sequence, endpointId, owner, sequence])
    }

    public func releaseWebhookEndpoint(id: Int64, owner: String) throws {
        try db.run("UPDATE webhook_endpoint SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?", [id, owner])
    }

    public func outboxReader(_ name: String) throws -> Int64 {
        // Made on first use, from the outbox's head (a gateway configured later texts nobody about
        // the past), and locked: a second instance waits for this transaction, then reads on.
        try db.run(
            "INSERT INTO outbox_reader (name, delivered_through) SELECT ?, COALESCE(MAX(seq), 0) FROM outbox_event WHERE true ON CONFLICT (name) DO NOTHING",
            [name])
        return try db.value("SELECT delivered_through FROM outbox_reader r WHERE name = ?" + db.dialect.lock("r"), [name]) ?? 0
    }

    public func setOutboxReader(_ name: String, through sequence: Int64) throws {
        try db.run("UPDATE outbox_reader SET delivered_through = ? WHERE name = ?", [sequence, name])
    }

    public func smsRecipient(of event: OutboxEvent, audience: SMSRules.Audience) throws -> String? {
        switch audience {
        case .reporter:
            return try db.value("SELECT contact_phone FROM report WHERE id = ? AND notify_sms = 1", [event.payload["report_id"] ?? event.entityId])
        case .vendor:
            return try db.value(
                "SELECT v.phone FROM permit p JOIN vendor v ON v.id = p.vendor_id WHERE p.permit_no = ?",
                [event.payload["permit_no"] ?? event.entityId])
        }
    }

    public func insertSMS(_ message: NewSMS) throws {
        try db.run(
            """
            INSERT INTO sms_message (event_seq, recipient, audience, body, urgent, state, send_after, created_at)
            VALUES (?, ?, ?, ?, ?, 'queued', ?, ?) ON CONFLICT (event_seq, recipient) DO NOTHING
            """,
            [
                message.eventSequence, message.recipient, message.audience == .reporter ? "reporter" : "vendor", message.body, message.urgent,
                message.sendAfter.timeIntervalSince1970, BusinessTime.rfc3339(message.at),
            ])
    }

    public func claimDueSMS(now: Date, claimFor: TimeInterval, limit: Int) throws -> [SMSMessage] {
        let due = try db.rows(
            "SELECT * FROM sms_message s WHERE state = 'queued' AND send_after <= ? ORDER BY send_after, id LIMIT ?" + db.dialect.lock("s"),
            [now.timeIntervalSince1970, limit]
        ).map(SQLRows.smsMessage)
        for message in due {
            try db.run("UPDATE sms_message SET send_after = ? WHERE id = ?", [now.addingTimeInterval(claimFor).timeIntervalSince1970, message.id])
        }
        return due
    }

    public func smsSentCount(recipient: String, day: LocalDate) throws -> Int {
        try db.value("SELECT COUNT(*) FROM sms_message WHERE recipient = ? AND sent_day = ? AND state = 'sent'", [recipient, day.description]) ?? 0
    }

    public func replyTemplates(category: ReportCategory?, action: ReportAction?) throws -> [ReplyTemplate] {
        var conditions = ["retired_at IS NULL"]
        var arguments = SQLArguments()
        if let category {
            conditions.append("(category IS NULL OR category = ?)")
            arguments += [category.rawValue]
        }
        if let action {
            conditions.append("action = ?")
            arguments += [action.rawValue]
        }
        // The category's own first, then those for every category.
        return try db.rows(
            "SELECT * FROM reply_template WHERE \(conditions.joined(separator: " AND ")) ORDER BY action, category IS NULL, category, id", arguments,
            cached: false
        ).compactMap { row in
            guard let action = ReportAction(rawValue: row["action"]) else { return nil }
            return ReplyTemplate(
                id: row["id"], category: (row["category"] as String?).flatMap(ReportCategory.init(rawValue:)), action: action, text: row["text"])
        }
    }

    public func insertReplyTemplate(category: ReportCategory?, action: ReportAction, text: String, by: String, at: Date) throws -> Int64 {
        try db.value(
            "INSERT INTO reply_template (category, action, text, created_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
            [category?.rawValue, action.rawValue, text, by, BusinessTime.rfc3339(at)])!
    }

    public func retireReplyTemplate(id: Int64, at: Date) throws -> Bool {
        try db.run("UPDATE reply_template SET retired_at = ? WHERE id = ? AND retired_at IS NULL", [BusinessTime.rfc3339(at), id]) == 1
    }

    public func permitsToRemind(day: LocalDate, openedBy: LocalTime, now: LocalTime, limit: Int) throws -> [PermitToRemind] {
        try db.rows(
            """
            SELECT p.permit_no, p.vendor_id, p.slot_id, p.district, s.opens_at
            FROM permit p JOIN slot sl ON sl.id = p.slot_id JOIN site s ON s.id = sl.site_id
            WHERE p.season = ? AND p.state = 'issued' AND s.opens_at <= ? AND s.closes_at > ?
              AND NOT EXISTS (SELECT 1 FROM checkin c WHERE c.permit_no = p.permit_no AND c.business_date = ?)
              AND NOT EXISTS (SELECT 1 FROM checkin_reminder r WHERE r.permit_no = p.permit_no AND r.day = ?)
            ORDER BY p.permit_no LIMIT ?
            """, [day.year, openedBy.description, now.description, day.description, day.description, limit]
        ).map { row in
            PermitToRemind(
                permitNumber: row["permit_no"], vendorId: row["vendor_id"], slotId: row["slot_id"], district: row["district"],
                opensAt: row["opens_at"])
        }
    }

    public func pruneFeedback(before: Date, heldBefore: Date, remindersBefore: LocalDate, limit: Int) throws -> Int {
        // Instants are all written the same way (+08:00), so text order is time order.
        let cutoff = BusinessTime.rfc3339(before)
        let held = BusinessTime.rfc3339(heldBefore)
        var removed = try db.run(
            """
            DELETE FROM sms_message WHERE id IN (
                SELECT id FROM sms_message WHERE (state <> 'queued' AND created_at < ?) OR created_at < ? ORDER BY id LIMIT ?)
            """, [cutoff, held, limit])
        removed += try db.run(
            "DELETE FROM webhook_dead_letter WHERE id IN (SELECT id FROM webhook_dead_letter WHERE dead_at < ? ORDER BY id LIMIT ?)",
            [cutoff, limit])
        removed += try db.run(
            """
            DELETE FROM outbox_event WHERE seq IN (
                SELECT e.seq FROM outbox_event e
                WHERE e.at < ?
                    AND (e.at < ? OR (
                        e.seq <= COALESCE((SELECT MIN(delivered_through) FROM webhook_endpoint WHERE active = 1), e.seq)
                        AND e.seq <= COALESCE((SELECT MIN(delivered_through) FROM outbox_reader), e.seq)))
                    AND NOT EXISTS (SELECT 1 FROM sms_message s WHERE s.event_seq = e.seq)
                    AND NOT EXISTS (SELECT 1 FROM webhook_dead_letter d WHERE d.event_seq = e.seq)
                ORDER BY e.seq LIMIT ?)
            """, [cutoff, held, limit])
        removed += try db.run(
            "DELETE FROM checkin_reminder WHERE (permit_no, day) IN (SELECT permit_no, day FROM checkin_reminder WHERE day < ? LIMIT ?)",
            [remindersBefore.description, limit])
        return removed
    }

    public func markReminded(permitNumber: String, day: LocalDate) throws -> Bool {
        try db.run("INSERT INTO checkin_reminder (permit_no, day) VALUES (?, ?) ON CONFLICT DO NOTHING", [permitNumber, day.description]) == 1
    }

    public func districtName(code: String) throws -> String? {
        try db.value("SELECT name FROM district WHERE code = ?", [code])
    }

    public func recordSMS(id: Int64, state: SMSState, reason: String?, status: Int?, error: String?, retryAt: Date?, at: Date) throws {
        let sent = state == .sent
        try db.run(
            """
            UPDATE sms_message SET state = ?, reason = ?, last_status = ?, last_error = ?, attempts = attempts + ?,
                send_after = COALESCE(?, send_after), sent_at = ?, sent_day = ?
            WHERE id = ?
            """,
            [
                state.rawValue, reason, status, error, state == .skipped ? 0 : 1, retryAt?.timeIntervalSince1970,
                sent ? BusinessTime.rfc3339(at) : nil, sent ? BusinessTime.localDate(of: at).description : nil, id,
            ])
    }
}

extension SQLStore {
    public func outbox(after sequence: Int64, limit: Int) async throws -> [OutboxEvent] {
        try await sqlRead { db in try SQLQueries.outbox(db, after: sequence, limit: limit) }
    }

    public func escalations(district: String?) async throws -> [Report] {
        try await reportsWhere("state = 'dispatched' AND escalated_at IS NOT NULL", district: district, order: "due_epoch, seq")
    }

    public func sentBack(district: String?) async throws -> [Report] {
        try await reportsWhere("state = 'sent_back'", district: district, order: "updated_at, seq")
    }

    func reportsWhere(_ condition: String, district: String?, order: String) async throws -> [Report] {
        try await sqlRead { db in
            let ids: [String] = try db.values(
                "SELECT id FROM report WHERE \(condition)" + (district == nil ? "" : " AND district = ?") + " ORDER BY \(order) LIMIT 500",
                SQLArguments(district.map { [$0] } ?? []))
            return try ids.compactMap { try SQLQueries.report(db, id: $0, withTimeline: true) }
        }
    }

    public func pendingExtensions(district: String?) async throws -> [ReportExtension] {
        try await sqlRead { db in
            try db.rows(
                SQLQueries.extensionColumns + " WHERE e.state = 'pending'" + (district == nil ? "" : " AND r.district = ?") + " ORDER BY e.id",
                SQLArguments(district.map { [$0] } ?? [])
            ).map(SQLRows.reportExtension)
        }
    }

    public func webhookEndpoints() async throws -> [WebhookEndpoint] {
        try await sqlRead { db in try db.rows("SELECT * FROM webhook_endpoint ORDER BY id").map(SQLRows.webhookEndpoint) }
    }

    public func deadLetters(endpointId: Int64?, limit: Int) async throws -> [DeadLetter] {
        try await sqlRead { db in
            try db.rows(
                """
                SELECT d.id AS dead_id, d.endpoint_id, d.attempts, d.last_status, d.last_error, d.dead_at, o.*
                FROM webhook_dead_letter d JOIN outbox_event o ON o.seq = d.event_seq
                \(endpointId == nil ? "" : "WHERE d.endpoint_id = ?") ORDER BY d.id DESC LIMIT ?
                """, SQLArguments((endpointId.map { [$0] } ?? []) + [limit])
            ).map { row in
                DeadLetter(
                    id: row["dead_id"], endpointId: row["endpoint_id"], event: SQLRows.outboxEvent(row), attempts: row["attempts"],
                    lastStatus: row["last_status"], lastError: row["last_error"],
                    deadAt: BusinessTime.parseInstant(row["dead_at"]) ?? Date(timeIntervalSince1970: 0))
            }
        }
    }

    public func caseFacts(from: Date, to: Date) async throws -> [CaseFacts] {
        try await sqlRead { db in
            try db.rows(
                """
                SELECT r.id, r.district, r.rating, COALESCE(r.handled_due_at, r.due_at) AS due,
                    (SELECT MIN(e.at) FROM report_event e WHERE e.report_id = r.id AND e.action = 'dispatch') AS first_dispatch,
                    (SELECT MIN(e.at) FROM report_event e WHERE e.report_id = r.id AND e.action = 'handle') AS first_handle,
                    (SELECT e.actor FROM report_event e WHERE e.report_id = r.id AND e.action = 'handle' ORDER BY e.id LIMIT 1) AS handler,
                    (SELECT COUNT(*) FROM report_event e WHERE e.report_id = r.id AND e.action = 'redispatch') AS reworked,
                    (SELECT COUNT(*) FROM report_event e WHERE e.report_id = r.id AND e.action = 'reopen') AS reopened,
                    (SELECT COUNT(*) FROM report_event e WHERE e.report_id = r.id AND e.action = 'close') AS closes,
                    (SELECT COUNT(*) FROM report_event e WHERE e.report_id = r.id AND e.action = 'escalate') AS escalations
                FROM report r WHERE r.created_epoch >= ? AND r.created_epoch < ? AND r.state <> 'duplicate' ORDER BY r.seq
                """, [from.timeIntervalSince1970, to.timeIntervalSince1970]
            ).map { row in
                CaseFacts(
                    reportId: row["id"], district: row["district"],
                    firstDispatchAt: (row["first_dispatch"] as String?).flatMap(BusinessTime.parseInstant),
                    firstHandleAt: (row["first_handle"] as String?).flatMap(BusinessTime.parseInstant), handledBy: row["handler"],
                    dueAtHandling: (row["due"] as String?).flatMap(BusinessTime.parseInstant), reworked: (row["reworked"] as Int) > 0,
                    reopened: (row["reopened"] as Int) > 0, everClosed: (row["closes"] as Int) > 0, escalated: (row["escalations"] as Int) > 0,
                    rating: row["rating"])
            }
        }
    }

    public func smsMessages(limit: Int) async throws -> [SMSMessage] {
        try await sqlRead { db in try db.rows("SELECT * FROM sms_message ORDER BY id DESC LIMIT ?", [limit]).map(SQLRows.smsMessage) }
    }

    public func publicCaseSteps(of scope: FeedScope, limit: Int) async throws -> [PublicCaseStep] {
        let (condition, value): (String, String) =
            switch scope {
            case .stall(let id): ("slot_id = ?", id)
            case .site(let id): ("site_id = ?", id)
            case .district(let code): ("district = ?", code)
            }
        return try await sqlRead { db in
            // The scope's cases first (by their index), then their steps: a public feed never
            // walks the whole timeline table.
            try db.rows(
                """
                SELECT e.id AS event_id, e.at, e.action, e.to_state, e.public_note, r.id, r.category, r.slot_id, r.site_id, r.district
                FROM report r JOIN report_event e ON e.report_id = r.id
                WHERE r.id IN (SELECT id FROM report WHERE \(condition) ORDER BY seq DESC LIMIT 200) ORDER BY e.id DESC LIMIT ?
                """, [value, limit]
            ).map { row in
                PublicCaseStep(
                    eventId: row["event_id"], reportId: row["id"], category: ReportCategory(rawValue: row["category"]) ?? .other,
                    slotId: row["slot_id"], siteId: row["site_id"], district: row["district"], action: row["action"],
                    toState: ReportState(rawValue: row["to_state"]) ?? .submitted, publicNote: row["public_note"],
                    at: BusinessTime.parseInstant(row["at"]) ?? Date(timeIntervalSince1970: 0))
            }
        }
    }
}

extension SQLQueries {
    static let extensionColumns = "SELECT e.*, r.district FROM report_extension e JOIN report r ON r.id = e.report_id"

    static func outbox(_ db: any SQLConnection, after sequence: Int64, limit: Int) throws -> [OutboxEvent] {
        try db.rows("SELECT * FROM outbox_event WHERE seq > ? ORDER BY seq LIMIT ?", [sequence, limit]).map(SQLRows.outboxEvent)
    }
}

extension SQLRows {
    static func outboxEvent(_ row: SQLRow) -> OutboxEvent {
        OutboxEvent(
            sequence: row["seq"], type: OutboxEventType(rawValue: row["type"]) ?? .reportSubmitted, entity: row["entity"], entityId: row["entity_id"],
            district: row["district"],
            payload: (try? JSONDecoder().decode([String: String].self, from: Data((row["payload_json"] as String).utf8))) ?? [:],
            at: BusinessTime.parseInstant(row["at"]) ?? Date(timeIntervalSince1970: 0))
    }

    static func smsMessage(_ row: SQLRow) -> SMSMessage {
        SMSMessage(
            id: row["id"], eventSequence: row["event_seq"], recipient: row["recipient"], audience: row["audience"], body: row["body"],
            urgent: row["urgent"], state: SMSState(rawValue: row["state"]) ?? .queued, reason: row["reason"], attempts: row["attempts"],
            sendAfter: Date(timeIntervalSince1970: row["send_after"]), sentAt: (row["sent_at"] as String?).flatMap(BusinessTime.parseInstant),
            lastError: row["last_error"])
    }

    static func reportExtension(_ row: SQLRow) -> ReportExtension {
        ReportExtension(
            id: row["id"], reportId: row["report_id"], district: row["district"], requestedBy: row["requested_by"],
            requestedAt: BusinessTime.parseInstant(row["requested_at"]) ?? Date(timeIntervalSince1970: 0), reason: row["reason"],
            previousDueAt: (row["previous_due_at"] as String?).flatMap(BusinessTime.parseInstant),
            newDueAt: BusinessTime.parseInstant(row["new_due_at"]) ?? Date(timeIntervalSince1970: 0),
            state: ExtensionState(rawValue: row["state"]) ?? .pending, answeredBy: row["answered_by"],
            answeredAt: (row["answered_at"] as String?).flatMap(BusinessTime.parseInstant), answer: row["answer"])
    }

    static func webhookEndpoint(_ row: SQLRow) -> WebhookEndpoint {
        WebhookEndpoint(
            id: row["id"], name: row["name"], url: row["url"], secret: row["secret"],
            events: Set(decodeList(row["events_json"]).compactMap(OutboxEventType.init(rawValue:))), active: row["active"],
            deliveredThrough: row["delivered_through"], attempts: row["attempts"],
            nextAttemptAt: (row["next_attempt_at"] as Double?).map { Date(timeIntervalSince1970: $0) }, lastStatus: row["last_status"],
            lastError: row["last_error"], lastAttemptAt: (row["last_attempt_at"] as String?).flatMap(BusinessTime.parseInstant),
            lastSuccessAt: (row["last_success_at"] as String?).flatMap(BusinessTime.parseInstant), deliveredCount: row["delivered_count"],
            createdAt: BusinessTime.parseInstant(row["created_at"]) ?? Date(timeIntervalSince1970: 0))
    }
}
