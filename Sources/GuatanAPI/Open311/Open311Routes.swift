import Foundation
import FoundationXML
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird
import Logging

/// Open311 GeoReport v2 (`/open311/v2/`), so the city's 12345/12319 platform or any
/// third-party app can read the categories (services) and cases (requests) and submit new
/// ones. Every resource in `.json` and `.xml`; errors as the spec says, a list of
/// `{code, description}`.
struct Open311Routes {
    let reports: any ReportStore
    let workflow: ReportService
    let apiKey: String?
    let clock: ServiceClock
    /// The pages' caches of stalls and case lists: a new request changes both.
    let snapshots: RegistrySnapshotCache
    /// Open311 answers its own errors, so real failures are logged here rather than by ErrorMiddleware.
    let logger: Logger

    static let maxWindow: TimeInterval = 90 * 86_400
    static let maxPageSize = 1000

    func register(on routes: RouteTable<GuatanRequestContext>) {
        for format in Open311Format.allCases {
            routes.get("/open311/v2/discovery.\(format.rawValue)") { request, context in
                await respondAsync(format) { discovery(origin: context.origin(of: request)) }
            }
            routes.get("/open311/v2/services.\(format.rawValue)") { _, _ in
                await respondAsync(format) { try await services() }
            }
            routes.get("/open311/v2/requests.\(format.rawValue)") { request, context in
                let query = Result { try RequestsQuery(request, now: clock.now()) }
                let origin = context.origin(of: request)
                return await respondAsync(format) { try await requests(try query.get(), origin: origin) }
            }
            routes.post("/open311/v2/requests.\(format.rawValue)") { request, context in
                await respondAsync(format, status: .created) { try await submit(request, context) }
            }
        }
        routes.get("/open311/v2/services/{service_code}") { request, context in
            let (code, format) = Self.split(context.parameters.get("service_code") ?? "")
            return await respondAsync(format) { try await definition(code) }
        }
        routes.get("/open311/v2/requests/{service_request_id}") { request, context in
            let (id, format) = Self.split(context.parameters.get("service_request_id") ?? "")
            let origin = context.origin(of: request)
            return await respondAsync(format) { try await single(id, origin: origin) }
        }
        routes.get("/open311/v2/tokens/{token}") { _, context in
            let (token, format) = Self.split(context.parameters.get("token") ?? "")
            return await respondAsync(format) { try await tokenLookup(token) }
        }
    }

    /// `hygiene.json` → ("hygiene", .json); an unknown suffix answers 404 in JSON.
    static func split(_ raw: String) -> (String, Open311Format?) {
        guard let dot = raw.lastIndex(of: ".") else { return (raw, nil) }
        return (String(raw[..<dot]), Open311Format(rawValue: String(raw[raw.index(after: dot)...]).lowercased()))
    }

    // MARK: resources

    func discovery(origin: String) -> Open311Value {
        let changeset = "2026-11-29T00:00:00+08:00"
        return .object([
            ("changeset", .string(changeset)),
            ("contact", .string("兰州市城市管理委员会 12319 城管热线")),
            ("key_service", .string("api_key from the programme's administrators")),
            (
                "endpoints",
                .list(
                    "endpoint",
                    [
                        .object([
                            ("specification", .string("http://wiki.open311.org/GeoReport_v2")),
                            ("url", .string(origin + "/open311/v2")),
                            ("changeset", .string(changeset)),
                            ("type", .string("production")),
                            ("formats", .list("format", [.string("application/json"), .string("text/xml")])),
                        ])
                    ])
            ),
        ])
    }

    func services() async throws -> Open311Value {
        let categories = try await reports.reportCategories()
        return .list(
            "service",
            categories.map { info in
                .object([
                    ("service_code", .string(info.category.rawValue)),
                    ("service_name", .string(info.category.nameZh)),
                    ("description", .string("\(info.category.nameEn); time limit \(info.timeLimitMinutes / 60) h from dispatch")),
                    ("metadata", .bool(true)),
                    ("type", .string("realtime")),
                    ("keywords", .string("瓜果摊点,\(info.category.rawValue)")),
                    ("group", .string("瓜果摊点 seasonal fruit stalls")),
                ])
            })
    }

    func definition(_ code: String) async throws -> Open311Value {
        guard let category = ReportCategory(rawValue: code) else { throw Open311Error(.notFound, "no service \(code)") }
        return .object([
            ("service_code", .string(category.rawValue)),
            (
                "attributes",
                .list(
                    "attribute",
                    [
                        .object([
                            ("variable", .bool(true)),
                            ("code", .string("slot_id")),
                            ("datatype", .string("string")),
                            ("required", .bool(false)),
                            ("datatype_description", .string("the stall's ID on its code, such as CG-001-03")),
                            ("order", .number(1)),
                            ("description", .string("摊位编号（扫摊位码可见）; the report then takes the stall's place and district")),
                        ])
                    ])
            ),
        ])
    }

    func requests(_ query: RequestsQuery, origin: String) async throws -> Open311Value {
        let page = try await reports.reports(matching: query.filter, page: query.page)
        return try await list(page.items, origin: origin)
    }

    func single(_ id: String, origin: String) async throws -> Open311Value {
        guard let report = try await reports.report(id: id.uppercased()) else { throw Open311Error(.notFound, "no service request \(id)") }
        return try await list([report], origin: origin)
    }

    func tokenLookup(_ token: String) async throws -> Open311Value {
        guard let report = try await reports.report(trackingHash: TrackingCode.hash(token)) else {
            throw Open311Error(.notFound, "no service request for this token")
        }
        return .list("request", [.object([("service_request_id", .string(report.id)), ("token", .string(token.uppercased()))])])
    }

    /// POST, form-encoded as the spec says; needs the configured api_key (403 without it).
    func submit(_ request: Request, _ context: GuatanRequestContext) async throws -> Open311Value {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else {
            throw Open311Error(.unsupportedMediaType, "send the request as application/x-www-form-urlencoded")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: 64 * 1024)
        } catch {
            throw Open311Error(.contentTooLarge, "the request must be at most 64 KB")
        }
        let form = Self.formFields(String(buffer: body))
        guard let apiKey, let given = form["api_key"], Self.constantTimeEqual(given, apiKey) else {
            throw Open311Error(.forbidden, "a valid api_key is required to submit service requests")
        }
        let (category, description, phone) = try ReportRules.validate(
            category: form["service_code"], description: form["description"], contactPhone: form["phone"])
        let subject: ReportIntake.Subject
        if let slot = form["attribute[slot_id]"], !slot.isEmpty {
            subject = .slot(slot.uppercased())
        } else {
            guard let lat = form["lat"].flatMap(Double.init), let lng = form["long"].flatMap(Double.init), lat.isFinite, lng.isFinite,
                (-90...90).contains(lat), (-180...180).contains(lng)
            else { throw Open311Error(.badRequest, "lat and long (WGS-84) are required, or attribute[slot_id]") }
            subject = .place(Coordinate(lat: lat, lng: lng))
        }
        let code = TrackingCode.make()
        // The reporter's name and e-mail are not kept: the programme needs neither.
        let report = try await workflow.submit(
            ReportIntake(category: category, description: description, subject: subject, contactPhone: phone), photos: [],
            trackingHash: TrackingCode.hash(code), channel: .open311, at: clock.now())
        return .list(
            "request",
            [
                .object([
                    ("service_request_id", .string(report.id)),
                    ("token", .string(code)),
                    (
                        "service_notice",
                        .string(report.duplicateOf.map { "已并入 \($0) (linked to \($0), already being handled)" } ?? "已受理，请凭 token 查询进度")
                    ),
                    ("account_id", .null),
                ])
            ])
    }

    // MARK: mapping

    func list(_ items: [Report], origin: String) async throws -> Open311Value {
        let places = try await reports.places(of: items)
        return .list(
            "request",
            items.map { report in
                let place = places[report.id]
                let lastNote = report.timeline.last(where: { $0.publicNote != nil })?.publicNote
                let shown = report.slotId != nil ? report.position : ReportRules.publicPosition(report.position)
                return .object([
                    ("service_request_id", .string(report.id)),
                    ("status", .string(report.state.isOpen ? "open" : "closed")),
                    ("status_notes", Open311Value(ReportRules.publicDescription(lastNote ?? report.state.rawValue))),
                    ("service_name", .string(report.category.nameZh)),
                    ("service_code", .string(report.category.rawValue)),
                    ("description", .string(ReportRules.publicDescription(report.description))),
                    ("agency_responsible", .string("\(place?.districtName ?? report.district)城管执法中队")),
                    ("service_notice", report.duplicateOf.map { .string("duplicate of \($0)") } ?? .null),
                    ("requested_datetime", .string(BusinessTime.rfc3339(report.createdAt))),
                    ("updated_datetime", .string(BusinessTime.rfc3339(report.updatedAt))),
                    ("expected_datetime", report.dueAt.map { .string(BusinessTime.rfc3339($0)) } ?? .null),
                    ("address", Open311Value(place?.address)),
                    ("address_id", Open311Value(report.slotId ?? report.siteId)),
                    ("zipcode", .null),
                    ("lat", .number(PositionBody.round6(shown.lat))),
                    ("long", .number(PositionBody.round6(shown.lng))),
                    ("media_url", report.photoIds.first.map { .string(origin + "/api/v1/photos/\($0)") } ?? .null),
                ])
            })
    }

    static func formFields(_ body: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            guard let name = parts.first else { continue }
            result[decode(name)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return result
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    // MARK: answers

    func respondAsync(_ format: Open311Format?, status: HTTPResponse.Status = .ok, _ make: () async throws -> Open311Value) async -> Response {
        do {
            guard let format else { throw Open311Error(.notFound, "ask for .json or .xml") }
            return format.response(try await make(), status: status)
        } catch {
            let mapped = failure(error)
            return (format ?? .json).response(mapped.body, status: mapped.status)
        }
    }

    func failure(_ error: any Error) -> Open311Error {
        let mapped = Open311Error.from(error)
        if mapped.status.code >= 500 {
            logger.error("open311 request failed", metadata: ["error": "\(String(reflecting: error))"])
        }
        return mapped
    }
}

struct Open311Error: Error {
    let status: HTTPResponse.Status
    let description: String

    init(_ status: HTTPResponse.Status, _ description: String) {
        self.status = status
        self.description = description
    }

    var body: Open311Value {
        .list("error", [.object([("code", .number(Double(status.code))), ("description", .string(description))])], root: "errors")
    }

    /// Every error becomes the spec's list of `{code, description}`, with the status the rest of the API would give.
    static func from(_ error: any Error) -> Open311Error {
        if let error = error as? Open311Error { return error }
        let mapped = ErrorMiddleware<GuatanRequestContext>.map(error)
        return Open311Error(mapped.status, mapped.message)
    }
}

enum Open311Format: String, CaseIterable {
    case json
    case xml

    func response(_ value: Open311Value, status: HTTPResponse.Status) -> Response {
        switch self {
        case .json:
            let data = (try? JSONSerialization.data(withJSONObject: value.json, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("[]".utf8)
            return Response(
                status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-cache"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        case .xml:
            return Response(
                status: status, headers: [.contentType: "text/xml; charset=utf-8", .cacheControl: "no-cache"],
                body: .init(byteBuffer: ByteBuffer(bytes: value.xmlDocument())))
        }
    }
}

/// One Open311 answer, written as JSON or XML from the same value. Lists carry the name of
/// their XML items (`<services><service>…`), since JSON arrays have none.
indirect enum Open311Value {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case object([(String, Open311Value)])
    case list(String, [Open311Value], root: String? = nil)

    init(_ text: String?) {
        self = text.map { .string($0) } ?? .null
    }

    var json: Any {
        switch self {
        case .string(let text): text
        case .number(let number): number == number.rounded() && abs(number) < 1e15 ? Int(number) as Any : number as Any
        case .bool(let flag): flag
        case .null: NSNull()
        case .object(let fields): Dictionary(fields.map { ($0.0, $0.1.json) }, uniquingKeysWith: { a, _ in a })
        case .list(_, let items, _): items.map(\.json)
        }
    }

    /// The XML document, rooted as the spec names it: `services`, `service_requests`, `errors`,
    /// `discovery`, `service_definition`.
    func xmlDocument() -> Data {
        let rootName: String
        switch self {
        case .list(let item, _, let root):
            rootName = root ?? (item == "request" ? "service_requests" : item + "s")
        case .object(let fields):
            rootName = fields.contains { $0.0 == "attributes" } ? "service_definition" : "discovery"
        default:
            rootName = "response"
        }
        let root = XMLElement(name: rootName)
        switch self {
        case .list(let item, let items, _):
            for value in items { root.addChild(value.element(named: item)) }
        case .object(let fields):
            for (name, value) in fields { root.addChild(value.element(named: name)) }
        default:
            root.stringValue = "\(json)"
        }
        let document = XMLDocument(rootElement: root)
        document.version = "1.0"
        document.characterEncoding = "utf-8"
        return document.xmlData(options: [])
    }

    private func element(named name: String) -> XMLElement {
        let element = XMLElement(name: name)
        switch self {
        case .string(let text): element.stringValue = text
        case .number: element.stringValue = "\(json)"
        case .bool(let flag): element.stringValue = flag ? "true" : "false"
        case .null: break
        case .object(let fields):
            for (field, value) in fields { element.addChild(value.element(named: field)) }
        case .list(let item, let items, _):
            for value in items { element.addChild(value.element(named: item)) }
        }
        return element
    }
}
