import Foundation
import GuatanCore

/// Which reports a list shows.
public struct ReportFilter: Sendable {
    public var slotId: String?
    public var siteId: String?
    public var district: String?
    public var category: ReportCategory?
    public var state: ReportState?
    /// Open311's filters: several IDs, categories or states; a window on the report's time; changes since.
    public var ids: [String]?
    public var categories: [ReportCategory]?
    public var states: [ReportState]?
    public var createdFrom: Date?
    public var createdTo: Date?
    public var updatedAfter: Date?

    public init(slotId: String? = nil, siteId: String? = nil, district: String? = nil, category: ReportCategory? = nil, state: ReportState? = nil) {
        self.slotId = slotId
        self.siteId = siteId
        self.district = district
        self.category = category
        self.state = state
    }
}

public struct ReportCategoryInfo: Sendable, Hashable {
    public var category: ReportCategory
    public var timeLimitMinutes: Int

    public init(category: ReportCategory, timeLimitMinutes: Int) {
        self.category = category
        self.timeLimitMinutes = timeLimitMinutes
    }
}

public protocol ReportStore: Sendable {
    func report(id: String) async throws -> Report?
    func report(trackingHash: String) async throws -> Report?
    func reports(matching filter: ReportFilter, page: PageRequest) async throws -> Page<Report>
    func reportCategories() async throws -> [ReportCategoryInfo]
    /// A photo citizens may see (reports' evidence); nil for private ones such as certificates.
    func publicPhoto(id: String) async throws -> StoredPhoto?
    /// The site's address and the district's name, for describing a report's place (Open311).
    func places(of reports: [Report]) async throws -> [String: (address: String?, districtName: String)]
}
