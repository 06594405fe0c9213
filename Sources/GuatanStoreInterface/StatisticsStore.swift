import Foundation
import GuatanCore

public struct IdlePermit: Sendable, Hashable {
    public var permitNumber: String
    public var vendorId: String
    public var slotId: String
    public var district: String
    public var lastCheckIn: LocalDate?
    /// Consecutive season days without a check-in, up to yesterday.
    public var idleDays: Int
    /// The warning the holder was given, and the day from which the slot may be taken back.
    public var warnedAt: Date?
    public var reclaimOn: LocalDate?

    public init(
        permitNumber: String, vendorId: String, slotId: String, district: String, lastCheckIn: LocalDate? = nil, idleDays: Int,
        warnedAt: Date? = nil, reclaimOn: LocalDate? = nil
    ) {
        self.warnedAt = warnedAt
        self.reclaimOn = reclaimOn
        self.permitNumber = permitNumber
        self.vendorId = vendorId
        self.slotId = slotId
        self.district = district
        self.lastCheckIn = lastCheckIn
        self.idleDays = idleDays
    }
}

public struct Sanction: Sendable, Hashable {
    /// `suspended`, `revoked` or `barred`.
    public var kind: String
    public var vendorId: String
    public var permitNumber: String?
    public var season: Int
    public var reason: String
    public var at: Date?
    public var by: String

    public init(kind: String, vendorId: String, permitNumber: String? = nil, season: Int, reason: String, at: Date? = nil, by: String) {
        self.kind = kind
        self.vendorId = vendorId
        self.permitNumber = permitNumber
        self.season = season
        self.reason = reason
        self.at = at
        self.by = by
    }
}

public struct DailyCheckInRate: Sendable, Hashable {
    public var date: LocalDate
    public var district: String
    public var issued: Int
    public var checkedIn: Int

    public init(date: LocalDate, district: String, issued: Int, checkedIn: Int) {
        self.date = date
        self.district = district
        self.issued = issued
        self.checkedIn = checkedIn
    }
}

public struct Statistics: Sendable {
    public var checkInRates: [DailyCheckInRate]
    /// category → status → count
    public var reports: [String: [String: Int]]
    public var casesWithLimit: Int
    public var closedWithinLimit: Int
    public var medianHandlingMinutes: Double?
    public var inspectionsByDistrict: [String: Int]
    /// Sites with the most reports in the period.
    public var hotspots: [(siteId: String, siteName: String, reports: Int)]
    /// channel (web, open311, hotline, walk_in, officer) → district → reports received.
    public var reportsByChannel: [String: [String: Int]] = [:]

    public init(
        checkInRates: [DailyCheckInRate], reports: [String: [String: Int]], casesWithLimit: Int, closedWithinLimit: Int,
        medianHandlingMinutes: Double? = nil, inspectionsByDistrict: [String: Int], hotspots: [(siteId: String, siteName: String, reports: Int)]
    ) {
        self.checkInRates = checkInRates
        self.reports = reports
        self.casesWithLimit = casesWithLimit
        self.closedWithinLimit = closedWithinLimit
        self.medianHandlingMinutes = medianHandlingMinutes
        self.inspectionsByDistrict = inspectionsByDistrict
        self.hotspots = hotspots
    }
}

public protocol StatisticsStore: Sendable {
    func idlePermits(on today: LocalDate, minimumDays: Int) async throws -> [IdlePermit]
    func sanctions(season: Int) async throws -> [Sanction]
    func statistics(from: LocalDate, to: LocalDate) async throws -> Statistics
    /// Rows for a CSV export: a header, then one row per record in the period.
    func export(_ kind: ExportKind, from: LocalDate, to: LocalDate) async throws -> [[String]]
}

public enum ExportKind: String, Sendable, CaseIterable {
    case checkins, reports, inspections, permits
}
