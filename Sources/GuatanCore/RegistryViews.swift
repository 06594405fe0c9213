/// Read models of the registry: what the public pages and the map show. Every store
/// implementation returns these, so routes never depend on how they were queried.

public struct DistrictSummary: Sendable, Hashable {
    public var district: District
    public var siteCount: Int
    public var slotCount: Int

    public init(district: District, siteCount: Int, slotCount: Int) {
        self.district = district
        self.siteCount = siteCount
        self.slotCount = slotCount
    }
}

public struct SiteSummary: Sendable, Hashable {
    public var site: Site
    public var slotCount: Int

    public init(site: Site, slotCount: Int) {
        self.site = site
        self.slotCount = slotCount
    }
}

/// What a slot is doing today, as a citizen sees it.
public enum StallStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// No issued permit holds the slot this season.
    case vacant
    /// A permit holds it, but the vendor has not checked in today.
    case assigned
    /// The vendor checked in today and has not packed up.
    case open
    /// The vendor checked in today and has checked out (收摊).
    case closedForDay = "closed_for_day"
}

/// What citizens see of the issued permit holding a slot.
public struct PublicPermit: Sendable, Hashable {
    public var number: String
    public var holderMasked: String
    public var produce: [String]
    public var origin: String

    public init(number: String, holderMasked: String, produce: [String], origin: String) {
        self.number = number
        self.holderMasked = holderMasked
        self.produce = produce
        self.origin = origin
    }
}

/// The issued permit holding a slot on a day, and whether its vendor has checked in.
public struct SlotHolding: Sendable, Hashable {
    public var permit: PublicPermit
    /// `.assigned`, `.open` or `.closedForDay`.
    public var statusToday: StallStatus

    public init(permit: PublicPermit, statusToday: StallStatus) {
        self.permit = permit
        self.statusToday = statusToday
    }
}

public struct SlotView: Sendable, Hashable {
    public var slot: Slot
    public var statusToday: StallStatus
    public var permit: PublicPermit?

    public var produce: [String] { permit?.produce ?? [] }

    public init(slot: Slot, statusToday: StallStatus, permit: PublicPermit? = nil) {
        self.slot = slot
        self.statusToday = statusToday
        self.permit = permit
    }

    /// A slot's view on a day: vacant unless an issued permit holds it, and then what its
    /// holder did today (assigned, open, closed for the day).
    public init(slot: Slot, holding: SlotHolding?) {
        self.init(slot: slot, statusToday: holding?.statusToday ?? .vacant, permit: holding?.permit)
    }
}

public struct SiteDetail: Sendable, Hashable {
    public var site: Site
    public var districtName: String
    public var slots: [SlotView]

    public init(site: Site, districtName: String, slots: [SlotView]) {
        self.site = site
        self.districtName = districtName
        self.slots = slots
    }
}

/// A slot with its site, as the stall page and the nearby search show it.
/// An inspection as citizens see it: when, and what came of it.
public struct InspectionSummary: Sendable, Hashable {
    public var date: LocalDate
    public var result: InspectionResult

    public init(date: LocalDate, result: InspectionResult) {
        self.date = date
        self.result = result
    }
}

public struct StallView: Sendable, Hashable {
    public var slot: SlotView
    public var site: Site
    public var districtName: String
    /// Citizens' reports about this stall still being worked on.
    public var openReportCount: Int
    /// The most recent inspection: its business date and result.
    public var lastInspection: InspectionSummary?
    /// This season's inspections by result: the stall's compliance record, no personal data.
    public var seasonInspections: [InspectionResult: Int] = [:]
    /// Family helpers registered on the holding permit: how many, never who.
    public var registeredHelpers = 0

    public init(slot: SlotView, site: Site, districtName: String, openReportCount: Int = 0) {
        self.slot = slot
        self.site = site
        self.districtName = districtName
        self.openReportCount = openReportCount
    }
}

public struct NearbyStall: Sendable, Hashable {
    public var stall: StallView
    public var distanceMetres: Double

    public init(stall: StallView, distanceMetres: Double) {
        self.stall = stall
        self.distanceMetres = distanceMetres
    }
}

/// The whole registry as of one version: what the public snapshot is built from.
public struct RegistryState: Sendable {
    public var version: Int64
    public var districts: [District]
    public var sites: [SiteDetail]

    public init(version: Int64, districts: [District], sites: [SiteDetail]) {
        self.version = version
        self.districts = districts
        self.sites = sites
    }

    /// Each district with its counts, in the order the districts were given.
    public var districtSummaries: [DistrictSummary] {
        var siteCounts: [String: Int] = [:]
        var slotCounts: [String: Int] = [:]
        for detail in sites {
            siteCounts[detail.site.district, default: 0] += 1
            slotCounts[detail.site.district, default: 0] += detail.slots.count
        }
        return districts.map {
            DistrictSummary(district: $0, siteCount: siteCounts[$0.code] ?? 0, slotCount: slotCounts[$0.code] ?? 0)
        }
    }
}
