import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird
import NIOPosix
import Synchronization

extension ReportRoutes {
    struct JSONIntake: Decodable {
        let category: String?
        let description: String?
        let slotId: String?
        let permitNo: String?
        let lat: Double?
        let lng: Double?
        let crs: String?
        let contactPhone: String?
        /// The reporter asks to be told by SMS (with a contact number).
        var notifySms: Bool? = nil
        /// Staff intake only: `hotline`, `walk_in`, `officer`.
        var channel: String? = nil
    }

    struct TransitionInput: Decodable {
        let action: String
        let publicNote: String?
        let internalNote: String?
        let duplicateOf: String?
        /// `send_back`'s reason: `not_ours`, `wrong_district`, `duplicate`.
        let reason: String?
        /// `dispatch` of a case sent back: the district it goes to.
        let district: String?
    }

    struct RatingInput: Decodable {
        let score: Int
        let comment: String?
    }

    struct ReopenInput: Decodable {
        let note: String
    }
}

/// `slot_id`, `site_id`, `district`, `category`, `status`, `crs` and paging.
struct ReportListFilter {
    let store: ReportFilter
    let crs: CoordinateSystem
    let page: PageRequest

    init(_ request: Request) throws {
        let query = Query(request)
        var filter = ReportFilter()
        filter.slotId = try query.string("slot_id", maxLength: 20)?.uppercased()
        filter.siteId = try query.string("site_id", maxLength: 20)?.uppercased()
        filter.district = try query.string("district", maxLength: 10)?.uppercased()
        if let raw = try query.string("category", maxLength: 30) {
            guard let category = ReportCategory(rawValue: raw.lowercased()) else {
                throw APIError.validation(
                    "category must be one of \(ReportCategory.allCases.map(\.rawValue).joined(separator: ", "))", field: "category")
            }
            filter.category = category
        }
        if let raw = try query.string("status", maxLength: 20) {
            guard let state = ReportState(rawValue: raw.lowercased()) else {
                throw APIError.validation("status must be one of \(ReportState.allCases.map(\.rawValue).joined(separator: ", "))", field: "status")
            }
            filter.state = state
        }
        store = filter
        crs = try query.coordinateSystem()
        page = try query.page()
    }

    /// The cache's key: the parsed filter, so `?x=1`, `?x=2` and reordered parameters are one entry.
    var cacheKey: String {
        [
            store.slotId ?? "", store.siteId ?? "", store.district ?? "", store.category?.rawValue ?? "", store.state?.rawValue ?? "",
            crs.rawValue, String(page.page), String(page.perPage),
        ].joined(separator: "|")
    }
}

struct SubmittedBody: Encodable {
    let reportId: String
    let trackingCode: String
    let status: String
    let district: String
    let dueAt: String?
    let duplicateOf: String?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(reportId, forKey: .reportId)
        try container.encode(trackingCode, forKey: .trackingCode)
        try container.encode(status, forKey: .status)
        try container.encode(district, forKey: .district)
        try container.encode(dueAt, forKey: .dueAt)
        try container.encodeIfPresent(duplicateOf, forKey: .duplicateOf)
    }

    enum CodingKeys: String, CodingKey {
        case reportId, trackingCode, status, district, dueAt, duplicateOf
    }
}

struct CategoryBody: Encodable, Sendable {
    let code: String
    let name: String
    let nameEn: String
    let timeLimitMinutes: Int
}

/// A report as the public, its reporter, or the district's staff see it.
struct ReportBody: Encodable {
    enum View {
        case `public`, reporter, staff
    }

    struct EventBody: Encodable {
        let at: String
        let actorRole: String
        let action: String
        let status: String
        let publicNote: String?
        let internalNote: String?
    }

    let reportId: String
    let category: String
    let categoryName: String
    let status: String
    let district: String
    let slotId: String?
    let siteId: String?
    let permitNo: String?
    let position: PositionBody
    let description: String
    let photos: [String]
    let createdAt: String
    let updatedAt: String
    let dueAt: String?
    let overdue: Bool
    let closedAt: String?
    let duplicateOf: String?
    let rating: Int?
    let ratingComment: String?
    let timeline: [EventBody]
    let contactPhone: String?
    /// `web`, `open311`, `hotline`, `walk_in`, `officer`.
    let channel: String
    /// When it passed its time limit and went to the bureau's escalation queue.
    let escalatedAt: String?
    /// What happens next and by when, in the reporter's words (tracking page).
    let nextStep: String?
    /// The reporter's and staff's: whether he asked to be told by SMS.
    let notifySms: Bool?
    /// Staff only: who entered a hotline, walk-in or patrol report.
    let enteredBy: String?
    /// The reporter's voice note: where staff play it and how long it is; the reporter sees
    /// only its length; the public nothing.
    let voiceNote: VoiceNoteBody?
    /// For the district's officers and admins: the actions the case's state allows now, so the
    /// case page offers only those (the reporter's reopen is not among them).
    let allowedActions: [String]?
    /// For a duplicate, the case it was linked to (a class box: a struct cannot hold itself).
    var mainCase: MainCase?

    init(_ report: Report, view: View, now: Date, crs: CoordinateSystem) {
        reportId = report.id
        category = report.category.rawValue
        categoryName = report.category.nameZh
        status = report.state.rawValue
        district = report.district
        slotId = report.slotId
        siteId = report.siteId
        permitNo = report.permitNumber
        // A report about a place may have been made from home: the public sees it on a 50 m grid.
        position = PositionBody(view == .staff || report.slotId != nil ? report.position : ReportRules.publicPosition(report.position), crs: crs)
        description = view == .staff ? report.description : ReportRules.publicDescription(report.description)
        photos = report.photoIds.map { "/api/v1/photos/\($0)" }
        createdAt = BusinessTime.rfc3339(report.createdAt)
        updatedAt = BusinessTime.rfc3339(report.updatedAt)
        dueAt = report.dueAt.map(BusinessTime.rfc3339)
        overdue = ReportWorkflow.isOverdue(state: report.state, dueAt: report.dueAt, at: now)
        closedAt = report.closedAt.map(BusinessTime.rfc3339)
        duplicateOf = report.duplicateOf
        rating = report.rating
        ratingComment = view == .staff ? report.ratingComment : report.ratingComment.map(PrivateText.mask)
        timeline = report.timeline.map {
            EventBody(
                at: BusinessTime.rfc3339($0.at), actorRole: $0.actorRole, action: $0.action, status: $0.toState.rawValue,
                publicNote: $0.publicNote.map(ReportRules.publicDescription), internalNote: view == .staff ? $0.internalNote : nil)
        }
        contactPhone = view == .staff ? report.contactPhone : nil
        channel = report.channel.rawValue
        escalatedAt = report.escalatedAt.map(BusinessTime.rfc3339)
        nextStep = FeedbackRules.nextStep(state: report.state, dueAt: report.dueAt, now: now)
        notifySms = view == .public ? nil : report.notifySMS
        enteredBy = view == .staff ? report.enteredBy : nil
        voiceNote =
            view == .public
            ? nil
            : report.voiceNote.map { note in
                VoiceNoteBody(
                    url: view == .staff ? "/api/v1/reports/\(report.id)/voice" : nil, mediaType: view == .staff ? note.format.rawValue : nil,
                    seconds: (note.milliseconds + 500) / 1000)
            }
        allowedActions =
            view == .staff
            ? ReportAction.allCases.filter { $0 != .reopen && ReportWorkflow.target(of: $0, from: report.state) != nil }.map(\.rawValue)
            : nil
    }
}

struct VoiceNoteBody: Encodable {
    let url: String?
    let mediaType: String?
    let seconds: Int
}

struct ReportListBody: Encodable {
    let items: [ReportBody]
    let total: Int
    let page: Int
    let perPage: Int

    init(_ page: Page<Report>, now: Date, crs: CoordinateSystem) {
        items = page.items.map { ReportBody($0, view: .public, now: now, crs: crs) }
        total = page.total
        self.page = page.request.page
        perPage = page.request.perPage
    }
}
