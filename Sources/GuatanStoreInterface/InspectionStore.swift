import Foundation
import GuatanCore

/// What an officer records at a stall.
public struct InspectionInput: Sendable {
    public var slotId: String
    public var result: InspectionResult
    public var violations: [ViolationCode]
    public var note: String?
    public var position: Coordinate?
    public var resolvesReports: [String]
    public var photos: [StoredPhoto]
    /// Who was selling: the holder, a registered helper, someone else (not said: not checked).
    public var atStall: AtStall?

    public init(
        slotId: String, result: InspectionResult, violations: [ViolationCode], note: String?, position: Coordinate?, resolvesReports: [String],
        photos: [StoredPhoto], atStall: AtStall? = nil
    ) {
        self.slotId = slotId
        self.result = result
        self.violations = violations
        self.note = note
        self.position = position
        self.resolvesReports = resolvesReports
        self.photos = photos
        self.atStall = atStall
    }
}

public struct Inspection: Sendable, Hashable {
    public var id: String
    public var slotId: String
    public var siteId: String
    public var district: String
    public var permitNumber: String?
    public var officer: String
    public var result: InspectionResult
    public var violations: [ViolationCode]
    public var note: String?
    public var position: Coordinate?
    public var distanceM: Double?
    public var at: Date
    public var businessDate: LocalDate
    public var photoIds: [String]
    /// Points deducted by this inspection (0 for a warning or when no permit holds the stall).
    public var pointsDeducted: Int
    /// What the inspection led to: `permit_revoked`, `vendor_barred` (empty most days).
    public var consequences: [String]
    public var atStall: AtStall?

    public init(
        id: String, slotId: String, siteId: String, district: String, permitNumber: String? = nil, officer: String, result: InspectionResult,
        violations: [ViolationCode], note: String? = nil, position: Coordinate? = nil, distanceM: Double? = nil, at: Date, businessDate: LocalDate,
        photoIds: [String], pointsDeducted: Int, consequences: [String]
    ) {
        self.id = id
        self.slotId = slotId
        self.siteId = siteId
        self.district = district
        self.permitNumber = permitNumber
        self.officer = officer
        self.result = result
        self.violations = violations
        self.note = note
        self.position = position
        self.distanceM = distanceM
        self.at = at
        self.businessDate = businessDate
        self.photoIds = photoIds
        self.pointsDeducted = pointsDeducted
        self.consequences = consequences
        self.atStall = nil
    }
}

public struct PointDeduction: Sendable, Hashable {
    public var id: Int64
    public var permitNumber: String
    public var month: String
    public var points: Int
    public var code: String
    public var inspectionId: String?
    public var at: Date
    public var annulled: Bool
    public var annulReason: String?

    public init(
        id: Int64, permitNumber: String, month: String, points: Int, code: String, inspectionId: String? = nil, at: Date, annulled: Bool,
        annulReason: String? = nil
    ) {
        self.id = id
        self.permitNumber = permitNumber
        self.month = month
        self.points = points
        self.code = code
        self.inspectionId = inspectionId
        self.at = at
        self.annulled = annulled
        self.annulReason = annulReason
    }
}

public struct CoverageGap: Sendable, Hashable {
    public var siteId: String
    public var siteName: String
    public var position: Coordinate
    public var lastInspected: LocalDate?

    public init(siteId: String, siteName: String, position: Coordinate, lastInspected: LocalDate? = nil) {
        self.siteId = siteId
        self.siteName = siteName
        self.position = position
        self.lastInspected = lastInspected
    }
}

public protocol InspectionStore: Sendable {
    /// A photo of an inspection, with the districts of the inspections that carry it (staff only).
    func inspectionPhoto(id: String) async throws -> (photo: StoredPhoto, districts: Set<String>)?
    func inspections(slotId: String?, district: String?, from: LocalDate?, to: LocalDate?, page: PageRequest) async throws -> Page<Inspection>
    /// A vendor's deductions, newest first, with this month's balance of his current permit.
    func deductions(vendorId: String, season: Int) async throws -> [PointDeduction]
    /// Sites of a district not inspected since `since` (never inspected first).
    func coverageGaps(district: String, since: LocalDate) async throws -> [CoverageGap]
    /// The district's dispatched cases by due time.
    func queue(district: String) async throws -> [Report]
    /// Points per violation in a season: the season's own values over API.md's defaults.
    func violationRules(season: Int) async throws -> [ViolationCode: Int]
}
