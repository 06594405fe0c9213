import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird

extension InspectionRoutes {
    struct JSONInput: Decodable {
        let slotId: String?
        let result: String?
        let violations: [String]?
        let note: String?
        let lat: Double?
        let lng: Double?
        let crs: String?
        let resolvesReports: [String]?
        let atStall: String?
    }

    struct AnnulInput: Decodable {
        let reason: String
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
    let atStall: String?

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
        atStall = inspection.atStall?.rawValue
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
