import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird

/// The feedback loop's HTTP side (issue 17): extensions and the bureau's queues, the outbox
/// for platforms that pull (events cursor) and its webhook receivers, public Atom feeds.
struct FeedbackRoutes {
    let feedback: any FeedbackStore
    let workflow: FeedbackService
    let publicURL: String?
    let clock: ServiceClock
    /// The public report lists' one-second cache (any case's step drops it): a feed read by
    /// many readers at once is computed once.
    let lists: MicroCache

    func register(on routes: RouteTable<GuatanRequestContext>) {
        routes.post("/api/v1/reports/{report_id}/extensions") { request, context in try await requestExtension(request, context) }
        routes.get("/api/v1/reports/{report_id}/extensions") { _, context in try await extensions(context) }
        routes.post("/api/v1/report-extensions/{extension_id}/decision") { request, context in try await decide(request, context) }
        routes.get("/api/v1/admin/report-extensions") { request, context in
            let district = try Query(request).string("district", maxLength: 10)?.uppercased()
            return try await pending(district: district, context)
        }
        routes.get("/api/v1/admin/escalations") { request, context in
            let district = try Query(request).string("district", maxLength: 10)?.uppercased()
            return try await queue(district: district, sentBack: false, context)
        }
        routes.get("/api/v1/admin/sent-back") { request, context in
            let district = try Query(request).string("district", maxLength: 10)?.uppercased()
            return try await queue(district: district, sentBack: true, context)
        }
        routes.get("/api/v1/admin/events") { request, context in
            let query = Query(request)
            let after = try Self.cursor(query.string("after", maxLength: 30))
            let limit = try query.int("limit", in: 1...500, default: 100)!
            return try await events(after: after, limit: limit, context)
        }
        routes.post("/api/v1/admin/webhooks") { request, context in try await register(request, context) }
        routes.get("/api/v1/admin/webhooks") { _, context in try await endpoints(context) }
        routes.post("/api/v1/admin/webhooks/{endpoint_id}/pause") { _, context in try await setActive(false, context) }
        routes.post("/api/v1/admin/webhooks/{endpoint_id}/resume") { _, context in try await setActive(true, context) }
        routes.get("/api/v1/admin/webhooks/dead-letters") { request, context in
            let endpoint = try Query(request).int("endpoint_id", in: 1...Int(Int32.max))
            return try await deadLetters(endpoint: endpoint.map(Int64.init), context)
        }
        routes.get("/api/v1/admin/sms") { request, context in
            let limit = try Query(request).int("limit", in: 1...500, default: 100)!
            return try await messages(limit: limit, context)
        }
        routes.get("/api/v1/reply-templates") { _, context in try await templates(context) }
        routes.post("/api/v1/admin/reply-templates") { request, context in try await addTemplate(request, context) }
        routes.post("/api/v1/admin/reply-templates/{template_id}/retire") { _, context in try await retireTemplate(context) }
        routes.get("/api/v1/reports/{report_id}/replies") { request, context in
            let action = try Query(request).string("action", maxLength: 30)
            return try await replies(action: action, context)
        }
        routes.get("/api/v1/admin/scorecards") { request, context in
            let query = try ScorecardQuery(request, today: BusinessTime.localDate(of: clock.now()))
            return try await scorecards(query, context)
        }
        routes.get("/feeds/stalls/{file}") { _, context in try await feed(.stall, context) }
        routes.get("/feeds/sites/{file}") { _, context in try await feed(.site, context) }
        routes.get("/feeds/districts/{file}") { _, context in try await feed(.district, context) }
    }

    /// `after` is an event ID (`evt_0000000042`) or its number; nothing means from the start.
    static func cursor(_ raw: String?) throws -> Int64 {
        guard let raw, !raw.isEmpty else { return 0 }
        let digits = raw.hasPrefix("evt_") ? String(raw.dropFirst(4)) : raw
        guard let value = Int64(digits), value >= 0 else {
            throw APIError.validation("after must be an event id (evt_…) or its number", field: "after")
        }
        return value
    }

    func requestExtension(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let officer = try context.require(.officer, .admin)
        let id = try context.parameters.require("report_id").uppercased()
        let input = try await JSONBody.decode(ExtensionInput.self, from: request, context: context, limit: 4096)
        guard let due = BusinessTime.parseInstant(input.newDueAt) else {
            throw APIError.validation("new_due_at must be an RFC 3339 time with its offset", field: "new_due_at")
        }
        let made = try await workflow.requestExtension(reportId: id, newDueAt: due, reason: input.reason ?? "", by: officer, at: clock.now())
        return try APIJSON.response(ExtensionBody(made), status: .created, headers: [.cacheControl: "no-store"])
    }

    func extensions(_ context: GuatanRequestContext) async throws -> Response {
        let staff = try context.require(.officer, .admin)
        let id = try context.parameters.require("report_id").uppercased()
        let list = try await workflow.extensions(reportId: id, by: staff)
        return try APIJSON.response(ExtensionListBody(list), headers: [.cacheControl: "no-store"])
    }

    func decide(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let admin = try context.require(.admin)
        guard let id = Int64(try context.parameters.require("extension_id")) else { throw APIError.notFound("no such extension") }
        let input = try await JSONBody.decode(DecisionInput.self, from: request, context: context, limit: 4096)
        let answered = try await workflow.answerExtension(id: id, approve: input.approve, answer: input.answer ?? "", by: admin, at: clock.now())
        return try APIJSON.response(ExtensionBody(answered), headers: [.cacheControl: "no-store"])
    }

    func pending(district: String?, _ context: GuatanRequestContext) async throws -> Response {
        let staff = try context.require(.officer, .admin)
        let scope = try Access.districtScope(staff, asked: district)
        let list = try await feedback.pendingExtensions(district: scope)
        return try APIJSON.response(ExtensionListBody(list), headers: [.cacheControl: "no-store"])
    }

    /// The bureau's escalation queue (overdue cases), or the cases the squads sent back; an
    /// officer sees his own district's.
    func queue(district: String?, sentBack: Bool, _ context: GuatanRequestContext) async throws -> Response {
        let staff = try context.require(.officer, .admin)
        let scope = try Access.districtScope(staff, asked: district)
        let list = sentBack ? try await feedback.sentBack(district: scope) : try await feedback.escalations(district: scope)
        return try APIJSON.response(CaseQueueBody(list, now: clock.now()), headers: [.cacheControl: "no-store"])
    }

    func events(after: Int64, limit: Int, _ context: GuatanRequestContext) async throws -> Response {
        _ = try context.require(.admin)
        let list = try await feedback.outbox(after: after, limit: limit)
        return try APIJSON.response(EventListBody(list, after: after), headers: [.cacheControl: "no-store"])
    }

    func register(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let admin = try context.require(.admin)
        let input = try await JSONBody.decode(WebhookInput.self, from: request, context: context, limit: 8192)
        let endpoint = try await workflow.registerWebhook(
            name: input.name ?? "", url: input.url ?? "", events: input.events ?? [], by: admin, at: clock.now())
        return try APIJSON.response(WebhookBody(endpoint, withSecret: true), status: .created, headers: [.cacheControl: "no-store"])
    }

    func endpoints(_ context: GuatanRequestContext) async throws -> Response {
        _ = try context.require(.admin)
        let list = try await feedback.webhookEndpoints()
        return try APIJSON.response(WebhookListBody(list), headers: [.cacheControl: "no-store"])
    }

    func setActive(_ active: Bool, _ context: GuatanRequestContext) async throws -> Response {
        let admin = try context.require(.admin)
        guard let id = Int64(try context.parameters.require("endpoint_id")) else { throw APIError.notFound("no such webhook endpoint") }
        let endpoint = try await workflow.setWebhookActive(id: id, active: active, by: admin, at: clock.now())
        return try APIJSON.response(WebhookBody(endpoint, withSecret: false), headers: [.cacheControl: "no-store"])
    }

    func deadLetters(endpoint: Int64?, _ context: GuatanRequestContext) async throws -> Response {
        _ = try context.require(.admin)
        let list = try await feedback.deadLetters(endpointId: endpoint, limit: 200)
        return try APIJSON.response(DeadLetterListBody(list), headers: [.cacheControl: "no-store"])
    }

    func messages(limit: Int, _ context: GuatanRequestContext) async throws -> Response {
        _ = try context.require(.admin)
        let list = try await feedback.smsMessages(limit: limit)
        return try APIJSON.response(SMSListBody(list), headers: [.cacheControl: "no-store"])
    }

    func templates(_ context: GuatanRequestContext) async throws -> Response {
        let staff = try context.require(.officer, .admin)
        let list = try await workflow.replyTemplates(by: staff)
        return try APIJSON.response(ReplyTemplateListBody(list), headers: [.cacheControl: "no-store"])
    }

    func addTemplate(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let admin = try context.require(.admin)
        let input = try await JSONBody.decode(TemplateInput.self, from: request, context: context, limit: 8192)
        guard let action = ReportAction(rawValue: input.action ?? "") else {
            throw APIError.validation("action must be one of \(ReportAction.allCases.map(\.rawValue).joined(separator: ", "))", field: "action")
        }
        var category: ReportCategory?
        if let raw = input.category {
            guard let known = ReportCategory(rawValue: raw) else {
                throw APIError.validation(
                    "category must be one of \(ReportCategory.allCases.map(\.rawValue).joined(separator: ", "))", field: "category")
            }
            category = known
        }
        let made = try await workflow.addReplyTemplate(category: category, action: action, text: input.text ?? "", by: admin, at: clock.now())
        return try APIJSON.response(ReplyTemplateBody(made, filled: nil), status: .created, headers: [.cacheControl: "no-store"])
    }

    func retireTemplate(_ context: GuatanRequestContext) async throws -> Response {
        let admin = try context.require(.admin)
        guard let id = Int64(try context.parameters.require("template_id")) else { throw APIError.notFound("no such reply template") }
        try await workflow.retireReplyTemplate(id: id, by: admin, at: clock.now())
        return Response(status: .noContent)
    }

    func replies(action raw: String?, _ context: GuatanRequestContext) async throws -> Response {
        let staff = try context.require(.officer, .admin)
        let id = try context.parameters.require("report_id").uppercased()
        var action: ReportAction?
        if let raw {
            guard let known = ReportAction(rawValue: raw) else {
                throw APIError.validation("action must be one of \(ReportAction.allCases.map(\.rawValue).joined(separator: ", "))", field: "action")
            }
            action = known
        }
        let list = try await workflow.replies(reportId: id, action: action, by: staff)
        return try APIJSON.response(ReplyTemplateListBody(filled: list), headers: [.cacheControl: "no-store"])
    }

    /// `from`, `to` (dates; this month so far by default), `by` (`district` or `officer`), `format` (`json` or `csv`).
    struct ScorecardQuery {
        let from: LocalDate
        let to: LocalDate
        let byOfficer: Bool
        let csv: Bool

        init(_ request: Request, today: LocalDate) throws {
            let history = try HistoryFilter(request)
            let query = Query(request)
            to = history.to ?? today
            from = history.from ?? LocalDate(year: to.year, month: to.month, day: 1)!
            guard from <= to else { throw APIError.validation("to must not be before from", field: "to") }
            guard to.daysSinceEpoch - from.daysSinceEpoch <= 366 else { throw APIError.validation("a period covers at most a year", field: "to") }
            switch try query.string("by", maxLength: 10) ?? "district" {
            case "district": byOfficer = false
            case "officer": byOfficer = true
            default: throw APIError.validation("by must be district or officer", field: "by")
            }
            switch try query.string("format", maxLength: 10) ?? "json" {
            case "json": csv = false
            case "csv": csv = true
            default: throw APIError.validation("format must be json or csv", field: "format")
            }
        }
    }

    /// 数字城管's figures per squad or officer for the cases received in the period.
    func scorecards(_ query: ScorecardQuery, _ context: GuatanRequestContext) async throws -> Response {
        _ = try context.require(.admin)
        let facts = try await feedback.caseFacts(
            from: BusinessTime.instant(of: query.from, at: LocalTime(hour: 0, minute: 0)!),
            to: BusinessTime.instant(of: query.to.adding(days: 1), at: LocalTime(hour: 0, minute: 0)!))
        let body = ScorecardListBody(query.byOfficer ? Scorecards.byOfficer(facts) : Scorecards.byDistrict(facts), query: query)
        guard query.csv else { return try APIJSON.response(body, headers: [.cacheControl: "no-store"]) }
        let text = "\u{FEFF}" + body.csvRows().map { $0.map(CSVText.field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"guatan-scorecards-\(body.by)-\(query.from)-\(query.to).csv\"",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    enum FeedKind: String {
        case stall, site, district
    }

    /// An Atom feed (RFC 4287) of the public steps of cases at a stall, a site or in a district.
    func feed(_ kind: FeedKind, _ context: GuatanRequestContext) async throws -> Response {
        let file = try context.parameters.require("file")
        guard file.hasSuffix(".atom") else { throw APIError.notFound("feeds end in .atom") }
        let id = String(file.dropLast(5)).uppercased()
        guard (1...20).contains(id.count), id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw APIError.notFound("no such feed")
        }
        let scope: FeedScope =
            switch kind {
            case .stall: .stall(id)
            case .site: .site(id)
            case .district: .district(id)
            }
        let base = (publicURL ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let body = try await lists.body(for: "feed|\(kind.rawValue)|\(id)") { [feedback, clock] in
            let steps = try await feedback.publicCaseSteps(of: scope, limit: 100)
            return ByteBuffer(string: AtomFeed.render(kind: kind.rawValue, id: id, steps: steps, base: base, now: clock.now()))
        }
        return Response(
            status: .ok, headers: [.contentType: "application/atom+xml; charset=utf-8", .cacheControl: "public, max-age=60"],
            body: .init(byteBuffer: body))
    }
}

/// The Atom document: entries are the cases' public timeline steps, newest first, with what
/// the public timeline shows (masked notes, never contacts or internal notes).
enum AtomFeed {
    static func render(kind: String, id: String, steps: [PublicCaseStep], base: String, now: Date) -> String {
        let title = "瓜摊 市民监督 · \(kind) \(id)"
        let updated = BusinessTime.rfc3339(steps.first?.at ?? now)
        var xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom">
              <id>tag:guatan,2026:feed/\(kind)/\(escape(id))</id>
              <title>\(escape(title))</title>
              <updated>\(updated)</updated>
              <author><name>Guatan</name></author>
              <link rel="self" href="\(escape(base))/feeds/\(kind)s/\(escape(id)).atom"/>

            """
        for step in steps {
            let note = step.publicNote.map(ReportRules.publicDescription)
            let summary = "\(step.category.nameZh) · \(step.action) → \(step.toState.rawValue)" + (note.map { "：\($0)" } ?? "")
            xml += """
                  <entry>
                    <id>tag:guatan,2026:report/\(escape(step.reportId))/step/\(step.eventId)</id>
                    <title>\(escape("\(step.reportId) \(step.category.nameZh)：\(step.toState.rawValue)"))</title>
                    <updated>\(BusinessTime.rfc3339(step.at))</updated>
                    <link href="\(escape(base))/track.html?report=\(escape(step.reportId))"/>
                    <category term="\(escape(step.action))"/>
                    <summary>\(escape(summary))</summary>
                  </entry>

                """
        }
        return xml + "</feed>\n"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // XML 1.0 has no place for most control characters.
                if let scalar = character.unicodeScalars.first, scalar.value < 0x20, character != "\n", character != "\t" { continue }
                out.append(character)
            }
        }
        return out
    }
}
