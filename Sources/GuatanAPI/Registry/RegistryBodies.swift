import Foundation
import GuatanCore
import GuatanStoreInterface
import Hummingbird

/// The JSON shapes of the public API. Field names become snake_case on the wire.

struct ListBody<Item: Encodable & Sendable>: Encodable {
    let items: [Item]
    let total: Int
    let page: Int
    let perPage: Int

    init(items: [Item]) {
        self.items = items
        self.total = items.count
        self.page = 1
        self.perPage = max(items.count, 1)
    }
}

/// A page of sites; built outside the async route (Swift 6.3.1's optimiser crashes on the
/// generic `ListBody(Page(...))` form inside it).
struct SiteListBody: Encodable {
    let items: [SiteBody]
    let total: Int
    let page: Int
    let perPage: Int

    init(_ page: Page<SiteSummary>, crs: CoordinateSystem) {
        items = page.items.map { SiteBody($0.site, districtName: nil, slotCount: $0.slotCount, slots: nil, crs: crs) }
        total = page.total
        self.page = page.request.page
        perPage = page.request.perPage
    }
}

struct PositionBody: Encodable {
    let lat: Double
    let lng: Double

    /// Converted for display when asked (`crs=gcj02`), rounded to 6 decimals (about 0.1 m).
    init(_ point: Coordinate, crs: CoordinateSystem) {
        let shown = crs.fromWGS84(point)
        self.lat = Self.round6(shown.lat)
        self.lng = Self.round6(shown.lng)
    }

    static func round6(_ value: Double) -> Double {
        (value * 1_000_000).rounded() / 1_000_000
    }
}

struct DistrictBody: Encodable {
    let code: String
    let adcode: String
    let name: String
    let nameEn: String
    let siteCount: Int
    let slotCount: Int

    init(_ summary: DistrictSummary) {
        code = summary.district.code
        adcode = summary.district.adcode
        name = summary.district.name
        nameEn = summary.district.nameEn
        siteCount = summary.siteCount
        slotCount = summary.slotCount
    }
}

struct HoursBody: Encodable {
    let opensAt: String
    let closesAt: String
}

struct SiteBody: Encodable {
    let siteId: String
    let district: String
    let districtName: String?
    let name: String
    let address: String
    let streetOffice: String
    let position: PositionBody
    let crs: String
    let openingHours: HoursBody
    let slotCount: Int?
    let slots: [SlotBody]?

    init(_ site: Site, districtName: String?, slotCount: Int?, slots: [SlotBody]?, crs: CoordinateSystem) {
        siteId = site.id
        district = site.district
        self.districtName = districtName
        name = site.name
        address = site.address
        streetOffice = site.streetOffice
        position = PositionBody(site.position, crs: crs)
        self.crs = crs.rawValue
        openingHours = HoursBody(opensAt: site.opensAt.description, closesAt: site.closesAt.description)
        self.slotCount = slotCount
        self.slots = slots
    }
}

struct SlotBody: Encodable {
    let slotId: String
    let number: Int
    let position: PositionBody
    let statusToday: String

    init(_ view: SlotView, crs: CoordinateSystem) {
        slotId = view.slot.id
        number = view.slot.number
        position = PositionBody(view.slot.position, crs: crs)
        statusToday = view.statusToday.rawValue
    }
}

/// The stall page: one slot with its site, the issued permit holding it, today's status, its
/// inspection record and its open reports.
struct StallBody: Encodable {
    let slotId: String
    let number: Int
    let position: PositionBody
    let crs: String
    let statusToday: String
    let site: SiteBody
    let permit: PermitSummaryBody?
    let lastInspection: InspectionSummaryBody?
    /// This season's inspections by result.
    let seasonInspections: SeasonInspectionsBody
    let openReportCount: Int
    let businessDate: String
    /// Family helpers registered on the permit: a number, never names.
    let registeredHelpers: Int

    init(_ stall: StallView, today: LocalDate, crs: CoordinateSystem) {
        slotId = stall.slot.slot.id
        number = stall.slot.slot.number
        position = PositionBody(stall.slot.slot.position, crs: crs)
        self.crs = crs.rawValue
        statusToday = stall.slot.statusToday.rawValue
        site = SiteBody(stall.site, districtName: stall.districtName, slotCount: nil, slots: nil, crs: crs)
        permit = stall.slot.permit.map {
            PermitSummaryBody(permitNo: $0.number, holderMasked: $0.holderMasked, produce: $0.produce, origin: $0.origin)
        }
        lastInspection = stall.lastInspection.map { InspectionSummaryBody(date: $0.date.description, result: $0.result.rawValue) }
        seasonInspections = SeasonInspectionsBody(
            compliant: stall.seasonInspections[.compliant] ?? 0, warning: stall.seasonInspections[.warning] ?? 0,
            violation: stall.seasonInspections[.violation] ?? 0)
        openReportCount = stall.openReportCount
        businessDate = today.description
        registeredHelpers = stall.registeredHelpers
    }
}

struct PermitSummaryBody: Encodable {
    let permitNo: String
    let holderMasked: String
    let produce: [String]
    let origin: String
}

struct SeasonInspectionsBody: Encodable {
    let compliant: Int
    let warning: Int
    let violation: Int
}

struct InspectionSummaryBody: Encodable {
    let date: String
    let result: String
}

struct NearbyStallBody: Encodable {
    let slotId: String
    let number: Int
    let siteId: String
    let siteName: String
    let district: String
    let districtName: String
    let address: String
    let position: PositionBody
    let statusToday: String
    let distanceM: Double

    init(_ nearby: NearbyStall, crs: CoordinateSystem) {
        let stall = nearby.stall
        slotId = stall.slot.slot.id
        number = stall.slot.slot.number
        siteId = stall.site.id
        siteName = stall.site.name
        district = stall.site.district
        districtName = stall.districtName
        address = stall.site.address
        position = PositionBody(stall.slot.slot.position, crs: crs)
        statusToday = stall.slot.statusToday.rawValue
        distanceM = (nearby.distanceMetres * 10).rounded() / 10
    }
}

struct NearbyBody: Encodable {
    let items: [NearbyStallBody]
    let total: Int
    let limit: Int
    let radiusM: Double
    let center: PositionBody
    let crs: String
}

struct SeasonBody: Encodable {
    let year: Int
    let startsOn: String
    let endsOn: String
    let openingHours: HoursBody
    let inSeasonToday: Bool
    /// `upcoming`, `in_season` or `ended`, for today.
    let phase: String
    let today: String
    let now: String
    let timeZone: String
    let dayCount: Int
    /// The next first day of a season still to come: this year's, or next year's once this one has begun.
    let nextStartsOn: String

    init(_ season: Season, next: Season, now: Date) {
        let today = BusinessTime.localDate(of: now)
        year = season.year
        startsOn = season.startsOn.description
        endsOn = season.endsOn.description
        openingHours = HoursBody(opensAt: season.opensAt.description, closesAt: season.closesAt.description)
        inSeasonToday = season.contains(today)
        phase = today < season.startsOn ? "upcoming" : (today > season.endsOn ? "ended" : "in_season")
        self.today = today.description
        self.now = BusinessTime.rfc3339(now)
        timeZone = BusinessTime.zoneName
        dayCount = season.dayCount
        nextStartsOn = (today < season.startsOn ? season.startsOn : next.startsOn).description
    }
}

/// The parameters of `/api/v1/sites`, all checked before the store is asked anything. Parsed
/// outside the async route: Swift 6.3.1's optimiser crashes (signal 11, splitting the
/// coroutine) on an async function that parses paging inline.
struct SiteListParameters {
    let district: String?
    let text: String?
    let crs: CoordinateSystem
    let page: PageRequest

    init(_ request: Request) throws {
        let query = Query(request)
        district = try query.string("district", maxLength: 20)
        text = try query.string("q", maxLength: 100)
        crs = try query.coordinateSystem()
        page = try query.page()
    }
}
