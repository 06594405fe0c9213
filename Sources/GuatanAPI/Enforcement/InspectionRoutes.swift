import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird

/// Enforcement (执法监督): officers inspect stalls, violations cost the permit points, the
/// officer's day (queue and coverage), a vendor's own points, an administrator's annulment.
struct InspectionRoutes {
    let inspections: any InspectionStore
    let workflow: InspectionService
    let checkIns: any CheckInStore
    let permits: any PermitStore
    let photos: PhotoIntake
    let snapshots: RegistrySnapshotCache
    let clock: ServiceClock

    struct JSONInput: Decodable {
        let slotId: String?
        let result: String?
        let violations: [String]?
        let note: String?
        let lat: Double?
        let lng: Double?
        let crs: String?
        let resolvesReports: [String]?
    }

    struct AnnulInput: Decodable {
        let reason: String
    }

    func register(on routes: RouteTable<GuatanRequestContext>) {
        routes.post("/api/v1/inspections") { request, context in try await inspect(request, context) }
        routes.get("/api/v1/inspections") { request, context in
            let filter = try InspectionFilter(request)
            return try await list(filter, context)
        }
        routes.get("/api/v1/officer/queue") { request, context in
            let district = try Query(request).string("district", maxLength: 10)?.uppercased()
            return try await queue(district, context)
        }
        routes.get("/api/v1/officer/coverage") { request, context in
            let query = Query(request)
            let days = try query.int("days", in: 1...365, default: 7)!
            let district = try query.string("district", maxLength: 10)?.uppercased()
            return try await coverage(days: days, district: district, context)
        }
        routes.get("/api/v1/me/points") { _, context in try await myPoints(context) }
        routes.post("/api/v1/admin/deductions/{deduction_id}/annul") { request, context in try await annul(request, context) }
    }

    /// The district an officer works (his own), or the one an administrator names.
    static func district(_ actor: Account, asked: String?) throws -> String {
        guard let district = try Access.districtScope(actor, asked: asked) else { throw APIError.validation("name the district", field: "district") }
        return district
    }

    func inspect(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let officer = try context.require(.officer, .admin)
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("multipart/form-data") else {
            let fields = try await JSONBody.decode(JSONInput.self, from: request, context: context, limit: 16 * 1024)
            return try await record(fields, uploads: [], by: officer)
        }
        return try await photos.uploads.run {
            let form = try await MultipartForm.read(request, limit: ReportRoutes.intakeLimit)
            let list: (String) -> [String]? = { name in
                form.fields[name].map {
                    $0.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
                }
            }
            let fields = JSONInput(
                slotId: form.field("slot_id"), result: form.field("result"), violations: list("violations"), note: form.fields["note"]?.last,
                lat: try ReportRoutes.number(form.field("lat"), field: "lat"), lng: try ReportRoutes.number(form.field("lng"), field: "lng"),
                crs: form.field("crs"), resolvesReports: list("resolves_reports"))
            let uploads = form.files(named: "photo").map(\.bytes)
            guard uploads.count <= ReportRules.maxPhotos else { throw APIError.validation("at most \(ReportRules.maxPhotos) photos", field: "photo") }
            return try await record(fields, uploads: uploads, by: officer)
        }
    }

    func record(_ fields: JSONInput, uploads: [[UInt8]], by officer: Account) async throws -> Response {
        guard let slotId = fields.slotId?.trimmingCharacters(in: .whitespaces).uppercased(), !slotId.isEmpty else {
            throw APIError.validation("slot_id is required", field: "slot_id")
        }
        guard let raw = fields.result, let result = InspectionResult(rawValue: raw.lowercased()) else {
            throw APIError.validation("result must be compliant, warning or violation", field: "result")
        }
        let violations = try (fields.violations ?? []).map { code in
            guard let violation = ViolationCode(rawValue: code.lowercased()) else {
                throw APIError.validation(
                    "unknown violation '\(code)'; one of \(ViolationCode.allCases.map(\.rawValue).joined(separator: ", "))", field: "violations")
            }
            return violation
        }
        try InspectionRules.validate(result: result, violations: violations)
        let note = fields.note?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (note?.count ?? 0) <= 2000 else { throw APIError.validation("note must have at most 2000 characters", field: "note") }
        var position: Coordinate?
        if fields.lat != nil || fields.lng != nil {
            guard let lat = fields.lat else { throw APIError.validation("lat is required with lng", field: "lat") }
            guard let lng = fields.lng else { throw APIError.validation("lng is required with lat", field: "lng") }
            position = try PositionInput.parse(lat: lat, lng: lng, crs: fields.crs)
        }
        let now = clock.now()
        let resolves = (fields.resolvesReports ?? []).map { $0.uppercased() }
        let inspection = try await photos.keeping(uploads, field: "photo") { [workflow] stored in
            try await workflow.inspect(
                InspectionInput(
                    slotId: slotId, result: result, violations: violations, note: note?.isEmpty == true ? nil : note, position: position,
                    resolvesReports: resolves, photos: stored),
                by: officer, at: now)
        }
        return try APIJSON.response(InspectionBody(inspection), status: .created, headers: [.cacheControl: "no-store"])
    }

    func list(_ filter: InspectionFilter, _ context: GuatanRequestContext) async throws -> Response {
        let actor = try context.require(.officer, .admin)
        let district = try Access.districtScope(actor, asked: filter.district)
        let page = try await inspections.inspections(slotId: filter.slotId, district: district, from: filter.from, to: filter.to, page: filter.page)
        return try APIJSON.response(InspectionListBody(page), headers: [.cacheControl: "no-store"])
    }

    func queue(_ asked: String?, _ context: GuatanRequestContext) async throws -> Response {
        let actor = try context.require(.officer, .admin)
        let district = try Self.district(actor, asked: asked)
        let now = clock.now()
        let cases = try await inspections.queue(district: district)
        // Overdue first, then by due time (the store's order).
        let items = cases.map { ReportBody($0, view: .staff, now: now, crs: .wgs84) }
        let ordered = items.filter(\.overdue) + items.filter { !$0.overdue }
        return try APIJSON.response(
            QueueBody(district: district, overdueCount: items.filter(\.overdue).count, items: ordered), headers: [.cacheControl: "no-store"])
    }

    func coverage(days: Int, district asked: String?, _ context: GuatanRequestContext) async throws -> Response {
        let actor = try context.require(.officer, .admin)
        let district = try Self.district(actor, asked: asked)
        let today = BusinessTime.localDate(of: clock.now())
        let gaps = try await inspections.coverageGaps(district: district, since: today.adding(days: -days + 1))
        let items = gaps.map {
            CoverageBody(
                siteId: $0.siteId, siteName: $0.siteName, position: PositionBody($0.position, crs: .wgs84),
                lastInspected: $0.lastInspected?.description,
                daysSince: $0.lastInspected.map { today.daysSinceEpoch - $0.daysSinceEpoch })
        }
        return try APIJSON.response(
            CoverageListBody(district: district, days: days, items: items, total: items.count), headers: [.cacheControl: "no-store"])
    }

    func myPoints(_ context: GuatanRequestContext) async throws -> Response {
        let vendorId = try CheckInRoutes.vendorId(context)
        let today = BusinessTime.localDate(of: clock.now())
        let deductions = try await inspections.deductions(vendorId: vendorId, season: today.year)
        let current = try await permits.permits(vendorId: vendorId).first { $0.permit.season == today.year }
        var balance: Int?
        if let current {
            balance = Scoring.balance(
                deducted: try await checkIns.pointsDeducted(permitNumber: current.permit.number, month: Scoring.month(of: today)))
        }
        let body = PointsBody(
            permitNo: current?.permit.number, month: Scoring.month(of: today), balance: balance, monthlyPoints: Scoring.monthlyPoints,
            blockedUntil: balance == 0
                ? LocalDate(year: today.year, month: today.month, day: LocalDate.daysIn(month: today.month, year: today.year))?.description : nil,
            deductions: deductions.map(DeductionBody.init))
        return try APIJSON.response(body, headers: [.cacheControl: "no-store"])
    }

    func annul(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let admin = try context.require(.admin)
        guard let id = Int64(try context.parameters.require("deduction_id")) else { throw APIError.notFound("no such deduction") }
        let input = try await JSONBody.decode(AnnulInput.self, from: request, context: context, limit: 4096)
        let reason = input.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...500).contains(reason.count) else {
            throw APIError.validation("say why the deduction is annulled (1–500 characters)", field: "reason")
        }
        let deduction = try await workflow.annulDeduction(id: id, by: admin, reason: reason, at: clock.now())
        return try APIJSON.response(DeductionBody(deduction), headers: [.cacheControl: "no-store"])
    }
}

/// `slot_id`, `district`, `from`, `to` and paging, read before the async route body.
struct InspectionFilter {
    let slotId: String?
    let district: String?
    let from: LocalDate?
    let to: LocalDate?
    let page: PageRequest

    init(_ request: Request) throws {
        let query = Query(request)
        slotId = try query.string("slot_id", maxLength: 20)?.uppercased()
        district = try query.string("district", maxLength: 10)?.uppercased()
        let history = try HistoryFilter(request)
        from = history.from
        to = history.to
        page = history.page
    }
}

struct InspectionBody: Encodable {
    let inspectionId: String
    let slotId: String
    let siteId: String
    let district: String
    let permitNo: String?
    let officer: String
    let result: String
    let violations: [String]
    let note: String?
    let position: PositionBody?
    let distanceM: Double?
    let at: String
    let businessDate: String
    let photos: [String]
    let pointsDeducted: Int
    let consequences: [String]

    init(_ inspection: Inspection) {
        inspectionId = inspection.id
        slotId = inspection.slotId
        siteId = inspection.siteId
        district = inspection.district
        permitNo = inspection.permitNumber
        officer = inspection.officer
        result = inspection.result.rawValue
        violations = inspection.violations.map(\.rawValue)
        note = inspection.note
        position = inspection.position.map { PositionBody($0, crs: .wgs84) }
        distanceM = inspection.distanceM.map { ($0 * 10).rounded() / 10 }
        at = BusinessTime.rfc3339(inspection.at)
        businessDate = inspection.businessDate.description
        photos = inspection.photoIds.map { "/api/v1/photos/\($0)" }
        pointsDeducted = inspection.pointsDeducted
        consequences = inspection.consequences
    }
}

struct InspectionListBody: Encodable {
    let items: [InspectionBody]
    let total: Int
    let page: Int
    let perPage: Int

    init(_ page: Page<Inspection>) {
        items = page.items.map(InspectionBody.init)
        total = page.total
        self.page = page.request.page
        perPage = page.request.perPage
    }
}

struct QueueBody: Encodable {
    let district: String
    let overdueCount: Int
    let items: [ReportBody]
}

struct CoverageBody: Encodable {
    let siteId: String
    let siteName: String
    let position: PositionBody
    let lastInspected: String?
    let daysSince: Int?
}

struct CoverageListBody: Encodable {
    let district: String
    let days: Int
    let items: [CoverageBody]
    let total: Int
}

struct DeductionBody: Encodable {
    let deductionId: Int64
    let permitNo: String
    let month: String
    let points: Int
    let code: String
    let reason: String
    let inspectionId: String?
    let at: String
    let annulled: Bool
    let annulReason: String?

    init(_ deduction: PointDeduction) {
        deductionId = deduction.id
        permitNo = deduction.permitNumber
        month = deduction.month
        points = deduction.points
        code = deduction.code
        reason = ViolationCode(rawValue: deduction.code)?.nameZh ?? deduction.code
        inspectionId = deduction.inspectionId
        at = BusinessTime.rfc3339(deduction.at)
        annulled = deduction.annulled
        annulReason = deduction.annulReason
    }
}

struct PointsBody: Encodable {
    let permitNo: String?
    let month: String
    let balance: Int?
    let monthlyPoints: Int
    /// The last day the permit is blocked when the balance is 0: it trades again the day after.
    let blockedUntil: String?
    let deductions: [DeductionBody]
}
