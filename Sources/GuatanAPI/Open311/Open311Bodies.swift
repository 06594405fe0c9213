import Foundation
import FoundationXML
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird
import Logging

/// `service_request_id`, `service_code`, `start_date`, `end_date`, `status`, and the
/// `updated_after`, `page` and `page_size` extensions; read before the async route body.
struct RequestsQuery {
    let filter: ReportFilter
    let page: PageRequest

    init(_ request: Request, now: Date) throws {
        let parameters = request.uri.queryParameters
        func value(_ name: String) -> String? {
            parameters.get(name).flatMap { $0.isEmpty ? nil : $0 }
        }
        func list(_ name: String) -> [String]? {
            value(name).map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        }
        func instant(_ name: String) throws -> Date? {
            guard let raw = value(name) else { return nil }
            guard let date = BusinessTime.parseInstant(raw) else {
                throw Open311Error(.badRequest, "\(name) must be a W3C date-time such as 2026-07-15T00:00:00+08:00")
            }
            return date
        }
        var filter = ReportFilter()
        if let ids = list("service_request_id") {
            // The spec: a list of IDs overrides every other filter.
            filter.ids = ids.map { $0.uppercased() }
        } else {
            if let codes = list("service_code") {
                filter.categories = try codes.map { code in
                    guard let category = ReportCategory(rawValue: code) else { throw Open311Error(.badRequest, "unknown service_code \(code)") }
                    return category
                }
            }
            if let statuses = list("status") {
                var states: [ReportState] = []
                for status in statuses {
                    switch status.lowercased() {
                    case "open": states += ReportState.allCases.filter(\.isOpen)
                    case "closed": states += ReportState.allCases.filter { !$0.isOpen }
                    default: throw Open311Error(.badRequest, "status must be open or closed")
                    }
                }
                filter.states = states
            }
            let start = try instant("start_date")
            let end = try instant("end_date")
            // Without dates, the most recent 90 days; a window may not span more than 90 days.
            let to = end ?? start.map { $0.addingTimeInterval(Open311Routes.maxWindow) } ?? now
            let from = start ?? to.addingTimeInterval(-Open311Routes.maxWindow)
            guard from <= to else { throw Open311Error(.badRequest, "start_date must be before end_date") }
            guard to.timeIntervalSince(from) <= Open311Routes.maxWindow else {
                throw Open311Error(.badRequest, "start_date and end_date may not span more than 90 days")
            }
            filter.createdFrom = from
            filter.createdTo = to
            filter.updatedAfter = try instant("updated_after")
        }
        let pageNumber = value("page").flatMap(Int.init) ?? 1
        let pageSize = value("page_size").flatMap(Int.init) ?? Open311Routes.maxPageSize
        guard (1...1_000_000).contains(pageNumber) else { throw Open311Error(.badRequest, "page must be a whole number from 1") }
        guard (1...Open311Routes.maxPageSize).contains(pageSize) else {
            throw Open311Error(.badRequest, "page_size must be a whole number from 1 to \(Open311Routes.maxPageSize)")
        }
        self.filter = filter
        self.page = try PageRequest(page: pageNumber, perPage: pageSize, largest: Open311Routes.maxPageSize)
    }
}
