import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird
import Synchronization

extension StatisticsRoutes {
    struct ViolationRuleInput: Decodable {
        let season: Int?
        let code: String
        let points: Int
    }

    struct TimeLimitInput: Decodable {
        let timeLimitMinutes: Int
    }
}

struct StatsBody: Encodable {
    struct Rate: Encodable {
        let date: String
        let district: String
        let issued: Int
        let checkedIn: Int
        let rate: Double?
    }

    struct Hotspot: Encodable {
        let siteId: String
        let siteName: String
        let reports: Int
    }

    let from: String
    let to: String
    let asOf: String
    let checkinRates: [Rate]
    let reportsByCategory: [String: [String: Int]]
    /// channel → district → reports received in the period.
    let reportsByChannel: [String: [String: Int]]
    let casesWithTimeLimit: Int
    let closedWithinTimeLimit: Int
    let closedWithinTimeLimitShare: Double?
    let medianHandlingMinutes: Double?
    let inspectionsByDistrict: [String: Int]
    let hotspots: [Hotspot]

    init(_ figures: Statistics, period: StatisticsRoutes.Period, asOf: Date) {
        from = period.from.description
        to = period.to.description
        self.asOf = BusinessTime.rfc3339(asOf)
        checkinRates = figures.checkInRates.map {
            Rate(
                date: $0.date.description, district: $0.district, issued: $0.issued, checkedIn: $0.checkedIn,
                rate: $0.issued == 0 ? nil : (Double($0.checkedIn) / Double($0.issued) * 1000).rounded() / 1000)
        }
        reportsByCategory = figures.reports
        reportsByChannel = figures.reportsByChannel
        casesWithTimeLimit = figures.casesWithLimit
        closedWithinTimeLimit = figures.closedWithinLimit
        closedWithinTimeLimitShare =
            figures.casesWithLimit == 0 ? nil : (Double(figures.closedWithinLimit) / Double(figures.casesWithLimit) * 1000).rounded() / 1000
        medianHandlingMinutes = figures.medianHandlingMinutes.map { ($0 * 10).rounded() / 10 }
        inspectionsByDistrict = figures.inspectionsByDistrict
        hotspots = figures.hotspots.map { Hotspot(siteId: $0.siteId, siteName: $0.siteName, reports: $0.reports) }
    }
}

struct ViolationRuleBody: Encodable {
    let code: String
    let name: String
    let points: Int
}

struct ViolationRulesBody: Encodable {
    let season: Int
    let items: [ViolationRuleBody]
}

struct IdleBody: Encodable {
    let permitNo: String
    let vendorId: String
    let slotId: String
    let district: String
    let lastCheckIn: String?
    let idleDays: Int
    let warnedAt: String?
    let reclaimOn: String?
}

struct IdleListBody: Encodable {
    let minimumDays: Int
    let items: [IdleBody]
    let total: Int
}

struct SanctionBody: Encodable {
    let kind: String
    let vendorId: String
    let permitNo: String?
    let season: Int
    let reason: String
    let at: String?
    let by: String
}

struct SanctionListBody: Encodable {
    let season: Int
    let items: [SanctionBody]
    let total: Int
}
