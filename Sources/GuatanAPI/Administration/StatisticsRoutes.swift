import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird
import Synchronization

/// What the bureau watches: check-in rates, the case loop's figures, inspections, hotspots;
/// permits left idle; sanctions and their reasons; CSV exports. Administrators only.
struct StatisticsRoutes {
    let statistics: any StatisticsStore
    let inspections: any InspectionStore
    let workflows: GuatanWorkflows
    let reports: any ReportStore
    let registry: any RegistryStore
    let clock: ServiceClock
    let cache = StatisticsCache()

    func register(on routes: RouteTable<GuatanRequestContext>) {
        routes.get("/api/v1/admin/stats") { request, context in
            let query = try PeriodQuery(request, today: BusinessTime.localDate(of: clock.now()))
            return try await stats(query, context)
        }
        routes.get("/api/v1/admin/idle-permits") { request, context in
            let days = try Query(request).int("days", in: 1...120, default: 5)!
            return try await idle(days: days, context)
        }
        routes.get("/api/v1/admin/sanctions") { request, context in
            let season = try Query(request).int("season", in: 2000...2100)
            return try await sanctions(season: season, context)
        }
        routes.get("/api/v1/admin/violation-rules") { request, context in
            let season = try Query(request).int("season", in: 2000...2100)
            return try await violationRules(season: season, context)
        }
        routes.post("/api/v1/admin/violation-rules") { request, context in try await setViolationRule(request, context) }
        routes.post("/api/v1/admin/report-categories/{code}") { request, context in try await setTimeLimit(request, context) }
        routes.get("/api/v1/admin/exports/{file}") { request, context in
            let query = try PeriodQuery(request, today: BusinessTime.localDate(of: clock.now()))
            return try await export(query, context)
        }
    }

    /// `from` and `to` (business dates) as asked, read before the first await.
    struct PeriodQuery {
        let from: LocalDate?
        let to: LocalDate?
        let today: LocalDate

        init(_ request: Request, today: LocalDate) throws {
            let history = try HistoryFilter(request)
            from = history.from
            to = history.to
            self.today = today
        }
    }

    /// The period a figure covers: as asked, by default the current season (as the store
    /// configures it) up to today.
    struct Period {
        let from: LocalDate
        let to: LocalDate

        init(_ query: PeriodQuery, season: Season) throws {
            to = query.to ?? min(query.today, season.endsOn)
            from = query.from ?? min(season.startsOn, to)
            guard to.daysSinceEpoch - from.daysSinceEpoch <= 366 else {
                throw APIError.validation("a period covers at most a year", field: "to")
            }
        }
    }

    func period(_ query: PeriodQuery) async throws -> Period {
        try Period(query, season: try await registry.season(year: query.today.year))
    }

    func stats(_ query: PeriodQuery, _ context: GuatanRequestContext) async throws -> Response {
        _ = try context.require(.admin)
        let period = try await period(query)
        let key = "\(period.from)|\(period.to)"
        let body: ByteBuffer
        let asOf = clock.now()
        if let cached = cache.figures(for: key, at: asOf) {
            body = cached
        } else {
            let figures = try await statistics.statistics(from: period.from, to: period.to)
            body = ByteBuffer(bytes: try APIJSON.encoder().encode(StatsBody(figures, period: period, asOf: asOf)))
            cache.store(body, for: key, at: asOf)
        }
        return Response(status: .ok, headers: [.contentType: APIJSON.contentType, .cacheControl: "no-store"], body: .init(byteBuffer: body))
    }

    func idle(days: Int, _ context: GuatanRequestContext) async throws -> Response {
        _ = try context.require(.admin)
        let idle = try await statistics.idlePermits(on: BusinessTime.localDate(of: clock.now()), minimumDays: days)
        let items = idle.map {
            IdleBody(
                permitNo: $0.permitNumber, vendorId: $0.vendorId, slotId: $0.slotId, district: $0.district, lastCheckIn: $0.lastCheckIn?.description,
                idleDays: $0.idleDays, warnedAt: $0.warnedAt.map(BusinessTime.rfc3339), reclaimOn: $0.reclaimOn?.description)
        }
        return try APIJSON.response(IdleListBody(minimumDays: days, items: items, total: items.count), headers: [.cacheControl: "no-store"])
    }

    func sanctions(season: Int?, _ context: GuatanRequestContext) async throws -> Response {
        _ = try context.require(.admin)
        let year = season ?? BusinessTime.localDate(of: clock.now()).year
        let items = try await statistics.sanctions(season: year).map {
            SanctionBody(
                kind: $0.kind, vendorId: $0.vendorId, permitNo: $0.permitNumber, season: $0.season, reason: $0.reason,
                at: $0.at.map(BusinessTime.rfc3339), by: $0.by)
        }
        return try APIJSON.response(SanctionListBody(season: year, items: items, total: items.count), headers: [.cacheControl: "no-store"])
    }

    func violationRules(season: Int?, _ context: GuatanRequestContext) async throws -> Response {
        _ = try context.require(.admin)
        let year = season ?? BusinessTime.localDate(of: clock.now()).year
        let rules = try await inspections.violationRules(season: year)
        let items = ViolationCode.allCases.map { ViolationRuleBody(code: $0.rawValue, name: $0.nameZh, points: rules[$0] ?? $0.defaultPoints) }
        return try APIJSON.response(ViolationRulesBody(season: year, items: items), headers: [.cacheControl: "no-store"])
    }

    /// Sets what a violation costs in a season; deductions already made keep their points.
    func setViolationRule(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let admin = try context.require(.admin)
        let input = try await JSONBody.decode(ViolationRuleInput.self, from: request, context: context, limit: 4096)
        guard let code = ViolationCode(rawValue: input.code) else {
            throw APIError.validation("code must be one of \(ViolationCode.allCases.map(\.rawValue).joined(separator: ", "))", field: "code")
        }
        guard (0...Scoring.monthlyPoints).contains(input.points) else {
            throw APIError.validation("points must be from 0 to \(Scoring.monthlyPoints)", field: "points")
        }
        let season = input.season ?? BusinessTime.localDate(of: clock.now()).year
        guard (2000...2100).contains(season) else { throw APIError.validation("season must be a year", field: "season") }
        try await workflows.inspections.setViolationPoints(season: season, code: code, points: input.points, by: admin, at: clock.now())
        return try await violationRules(season: season, context)
    }

    /// Sets a report category's time limit, for cases dispatched from now on.
    func setTimeLimit(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let admin = try context.require(.admin)
        let raw = try context.parameters.require("code")
        guard let category = ReportCategory(rawValue: raw) else { throw APIError.notFound("no report category \(raw)") }
        let input = try await JSONBody.decode(TimeLimitInput.self, from: request, context: context, limit: 4096)
        guard (10...(30 * 24 * 60)).contains(input.timeLimitMinutes) else {
            throw APIError.validation("time_limit_minutes must be from 10 to 43200 (30 days)", field: "time_limit_minutes")
        }
        try await workflows.reports.setTimeLimit(category, minutes: input.timeLimitMinutes, by: admin, at: clock.now())
        let items = try await reports.reportCategories().map {
            CategoryBody(code: $0.category.rawValue, name: $0.category.nameZh, nameEn: $0.category.nameEn, timeLimitMinutes: $0.timeLimitMinutes)
        }
        return try APIJSON.response(ListBody(items: items), headers: [.cacheControl: "no-store"])
    }

    func export(_ query: PeriodQuery, _ context: GuatanRequestContext) async throws -> Response {
        _ = try context.require(.admin)
        let file = try context.parameters.require("file")
        guard file.hasSuffix(".csv"), let kind = ExportKind(rawValue: String(file.dropLast(4))) else {
            throw APIError.notFound("exports are \(ExportKind.allCases.map { $0.rawValue + ".csv" }.joined(separator: ", "))")
        }
        let period = try await period(query)
        let rows = try await statistics.export(kind, from: period.from, to: period.to)
        // A BOM so spreadsheet programs read the Chinese as UTF-8.
        let text = "\u{FEFF}" + rows.map { $0.map(CSVText.field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"guatan-\(kind.rawValue)-\(period.from)-\(period.to).csv\"",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// RFC 4180 fields: quoted when they hold a comma, quote or line break. A field starting
/// with = + - @ is prefixed with ' so a spreadsheet does not run it as a formula.
enum CSVText {
    static func field(_ value: String) -> String {
        var text = value
        if let first = text.first, "=+-@".contains(first), Double(text) == nil { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// A season's statistics, computed at most once every 30 seconds per period: a dashboard
/// open in a few offices must not recount 170,000 check-ins on every refresh. The answer
/// says when it was computed (`as_of`).
final class StatisticsCache: Sendable {
    /// Measured on the service's clock, so tests and demos that move time see it expire.
    static let lifetime: TimeInterval = 30

    private let entries = Mutex([String: (body: ByteBuffer, at: Date)]())

    func figures(for key: String, at now: Date) -> ByteBuffer? {
        entries.withLock { entries in
            guard let entry = entries[key], now.timeIntervalSince(entry.at) < Self.lifetime, now >= entry.at else { return nil }
            return entry.body
        }
    }

    func store(_ body: ByteBuffer, for key: String, at now: Date) {
        entries.withLock { entries in
            // Periods are few (the season, a month, a week); old ones are dropped as they expire.
            entries = entries.filter { now.timeIntervalSince($0.value.at) < Self.lifetime }
            entries[key] = (body, now)
        }
    }
}
