import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird

extension CheckInRoutes {
    struct CheckInInput: Decodable {
        let lat: Double
        let lng: Double
        let accuracyM: Double?
        let crs: String?
    }

    struct OnBehalfInput: Decodable {
        let permitNo: String
        let reason: String
    }
}

/// `from`, `to` (business dates) and paging, read before the async route body.
struct HistoryFilter {
    let from: LocalDate?
    let to: LocalDate?
    let page: PageRequest

    init(_ request: Request) throws {
        let query = Query(request)
        from = try Self.date(query, "from")
        to = try Self.date(query, "to")
        page = try query.page()
        if let from, let to, to < from {
            throw APIError.validation("to must not be before from", field: "to")
        }
    }

    private static func date(_ query: Query, _ name: String) throws -> LocalDate? {
        guard let raw = try query.string(name, maxLength: 10) else { return nil }
        guard let date = LocalDate(raw) else { throw APIError.validation("\(name) must be a date YYYY-MM-DD", field: name) }
        return date
    }
}

/// `district`, `date`, `flagged` and paging, read before the async route body.
struct DistrictDayFilter {
    let district: String?
    let date: LocalDate?
    let flaggedOnly: Bool
    let page: PageRequest

    init(_ request: Request) throws {
        let query = Query(request)
        district = try query.string("district", maxLength: 10)?.uppercased()
        if let raw = try query.string("date", maxLength: 10) {
            guard let date = LocalDate(raw) else { throw APIError.validation("date must be a date YYYY-MM-DD", field: "date") }
            self.date = date
        } else {
            date = nil
        }
        switch try query.string("flagged", maxLength: 5)?.lowercased() {
        case nil, "false", "0": flaggedOnly = false
        case "true", "1": flaggedOnly = true
        default: throw APIError.validation("flagged must be true or false", field: "flagged")
        }
        page = try query.page()
    }
}

/// A check-in as officers and administrators see it: whose, and whether it needs a look.
struct StaffCheckInBody: Encodable {
    let checkin: CheckInBody
    let vendorId: String
    let district: String
    let accuracyM: Double?
    let flaggedForReview: Bool

    init(_ checkIn: CheckIn) {
        checkin = CheckInBody(checkIn)
        vendorId = checkIn.vendorId
        district = checkIn.district
        accuracyM = checkIn.accuracyM
        flaggedForReview = checkIn.flaggedForReview
    }

    func encode(to encoder: any Encoder) throws {
        try checkin.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(vendorId, forKey: .vendorId)
        try container.encode(district, forKey: .district)
        try container.encode(accuracyM, forKey: .accuracyM)
        try container.encode(flaggedForReview, forKey: .flaggedForReview)
    }

    enum CodingKeys: String, CodingKey {
        case vendorId, district, accuracyM, flaggedForReview
    }
}

struct StaffCheckInListBody: Encodable {
    let items: [StaffCheckInBody]
    let total: Int
    let page: Int
    let perPage: Int

    init(_ page: Page<CheckIn>) {
        items = page.items.map(StaffCheckInBody.init)
        total = page.total
        self.page = page.request.page
        perPage = page.request.perPage
    }
}

/// A check-in as the vendor and officers see it.
struct CheckInBody: Encodable {
    let checkinId: Int64
    let permitNo: String
    let slotId: String
    let businessDate: String
    let checkedInAt: String
    let checkedOutAt: String?
    let distanceM: Double?
    let status: String
    let method: String

    init(_ checkIn: CheckIn) {
        checkinId = checkIn.id
        permitNo = checkIn.permitNumber
        slotId = checkIn.slotId
        businessDate = checkIn.businessDate.description
        checkedInAt = BusinessTime.rfc3339(checkIn.checkedInAt)
        checkedOutAt = checkIn.checkedOutAt.map(BusinessTime.rfc3339)
        // A metre is what a phone's fix is worth.
        distanceM = checkIn.distanceM.map { ($0 * 10).rounded() / 10 }
        status = checkIn.status.rawValue
        method = checkIn.method.rawValue
    }

    func encode(to encoder: any Encoder) throws {
        // distance_m and checked_out_at are always present (null when not applicable).
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(checkinId, forKey: .checkinId)
        try container.encode(permitNo, forKey: .permitNo)
        try container.encode(slotId, forKey: .slotId)
        try container.encode(businessDate, forKey: .businessDate)
        try container.encode(checkedInAt, forKey: .checkedInAt)
        try container.encode(checkedOutAt, forKey: .checkedOutAt)
        try container.encode(distanceM, forKey: .distanceM)
        try container.encode(status, forKey: .status)
        try container.encode(method, forKey: .method)
    }

    enum CodingKeys: String, CodingKey {
        case checkinId, permitNo, slotId, businessDate, checkedInAt, checkedOutAt, distanceM, status, method
    }
}

struct CheckInListBody: Encodable {
    let items: [CheckInBody]
    let total: Int
    let page: Int
    let perPage: Int

    init(_ page: Page<CheckIn>) {
        items = page.items.map(CheckInBody.init)
        total = page.total
        self.page = page.request.page
        perPage = page.request.perPage
    }
}
