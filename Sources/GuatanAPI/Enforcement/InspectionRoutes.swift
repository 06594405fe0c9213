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
                crs: form.field("crs"), resolvesReports: list("resolves_reports"), atStall: form.field("at_stall"))
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
        var atStall: AtStall?
        if let raw = fields.atStall, !raw.isEmpty {
            guard let found = AtStall(rawValue: raw.lowercased()) else {
                throw APIError.validation("at_stall must be holder, helper or other", field: "at_stall")
            }
            atStall = found
        }
        let given = try (fields.violations ?? []).map { code in
            guard let violation = ViolationCode(rawValue: code.lowercased()) else {
                throw APIError.validation(
                    "unknown violation '\(code)'; one of \(ViolationCode.allCases.map(\.rawValue).joined(separator: ", "))", field: "violations")
            }
            return violation
        }
        // Someone other than the holder or a registered helper at the stall is itself the violation.
        if atStall == .other, result != .violation {
            throw APIError.validation(
                "someone other than the holder or a registered helper at the stall is a violation (person_permit_slot_mismatch)", field: "result")
        }
        let violations = AtStall.violations(given, found: atStall)
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
                    resolvesReports: resolves, photos: stored, atStall: atStall),
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
