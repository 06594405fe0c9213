import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird

extension AllocationRoutes {
    struct OpenInput: Decodable {
        let year: Int
        let from: Int?
    }

    struct SettingsInput: Decodable {
        let applicationsOpenOn: String?
        let applicationsCloseOn: String?
        let maxPreferences: Int?
        let noticeDays: Int?
        let renewalMinShare: Double?
        let offerHours: Int?

        func settings() throws -> AllocationService.Settings {
            func day(_ text: String?, _ field: String) throws -> LocalDate? {
                guard let text else { return nil }
                guard let day = LocalDate(text) else { throw APIError.validation("\(field) must be a date such as 2027-03-01", field: field) }
                return day
            }
            return AllocationService.Settings(
                applicationsOpenOn: try day(applicationsOpenOn, "applications_open_on"),
                applicationsCloseOn: try day(applicationsCloseOn, "applications_close_on"), maxPreferences: maxPreferences, noticeDays: noticeDays,
                renewalMinShare: renewalMinShare, offerHours: offerHours)
        }
    }

    struct SeasonTransitionInput: Decodable {
        let action: String
        let applicationsOpenOn: String?
        let applicationsCloseOn: String?
    }

    struct ApplicationTransitionInput: Decodable {
        let action: String
        let reason: String?
        let priorityVerified: Bool?
    }

    struct ObjectionInput: Decodable {
        let applicationNo: String
        let reason: String
    }

    struct AnswerInput: Decodable {
        let uphold: Bool
        let answer: String
    }

    /// A reason, as giving a permit up and lifting a bar take it.
    struct ReasonInput: Decodable {
        let reason: String?
    }

    struct WarnInput: Decodable {
        let days: Int?
    }
}

/// A season's phase, dates and rules, as anyone may see them.
struct SeasonPlanBody: Encodable {
    let year: Int
    let phase: String
    let startsOn: String
    let endsOn: String
    let applicationsOpenOn: String?
    let applicationsCloseOn: String?
    let noticeDays: Int
    let noticeEndsOn: String?
    let maxPreferences: Int
    let renewalMinShare: Double
    let offerHours: Int
    let copiedFrom: Int?
    let acceptingApplications: Bool
    let acceptingObjections: Bool

    init(_ plan: SeasonPlan, today: LocalDate) {
        year = plan.year
        phase = plan.phase.rawValue
        startsOn = plan.season.startsOn.description
        endsOn = plan.season.endsOn.description
        applicationsOpenOn = plan.applicationsOpenOn?.description
        applicationsCloseOn = plan.applicationsCloseOn?.description
        noticeDays = plan.noticeDays
        noticeEndsOn = plan.noticeEndsOn?.description
        maxPreferences = plan.maxPreferences
        renewalMinShare = plan.renewalMinShare
        offerHours = plan.offerHours
        copiedFrom = plan.copiedFrom
        acceptingApplications = plan.acceptsApplications(on: today)
        acceptingObjections = plan.acceptsObjections(on: today)
    }
}

/// A helper as the squads review him: name, relation, the ID card's last four (never its hash).
struct HelperBody: Encodable, Sendable {
    let name: String
    let relation: String
    let idCardLast4: String
}

/// An application as its vendor, the squads and the bureau see it (never the household's IDs).
struct ApplicationBody: Encodable, Sendable {
    let applicationNo: String
    let season: Int
    let vendorId: String
    let holderName: String
    let district: String
    let status: String
    let preferences: [String]
    let renewalSlot: String?
    let priorityClaim: String?
    let priorityVerified: Bool
    let tier: Int?
    let produce: [String]
    let expectedKg: Double
    let vehiclePlate: String
    let hasCertificate: Bool
    let householdSize: Int
    let reason: String?
    let drawnRank: Int?
    let slotId: String?
    let permitNo: String?
    let submittedAt: String?
    let helpers: [HelperBody]

    init(_ record: ApplicationRecord) {
        applicationNo = record.number
        season = record.season
        vendorId = record.vendorId
        holderName = record.holderName
        district = record.district
        status = record.state.rawValue
        preferences = record.preferences
        renewalSlot = record.renewalSlot
        priorityClaim = record.priorityClaim
        priorityVerified = record.priorityVerified
        tier = record.tier
        produce = record.produce
        expectedKg = record.expectedKg
        vehiclePlate = record.vehiclePlate
        hasCertificate = record.hasCertificate
        householdSize = record.householdSize
        reason = record.reason
        drawnRank = record.drawnRank
        slotId = record.slotId
        permitNo = record.permitNumber
        submittedAt = record.createdAt.map(BusinessTime.rfc3339)
        helpers = record.helpers.map { HelperBody(name: $0.name, relation: $0.relation, idCardLast4: $0.idCardLast4) }
    }
}

struct OfferBody: Encodable, Sendable {
    let offerNo: String
    let season: Int
    let slotId: String
    let siteId: String
    let district: String
    let applicationNo: String
    let status: String
    let offeredAt: String
    let deadline: String
    let answeredAt: String?
    let permitNo: String?

    init(_ offer: WaitlistOffer) {
        offerNo = offer.number
        season = offer.season
        slotId = offer.slotId
        siteId = offer.siteId
        district = offer.district
        applicationNo = offer.applicationNo
        status = offer.state.rawValue
        offeredAt = BusinessTime.rfc3339(offer.offeredAt)
        deadline = BusinessTime.rfc3339(offer.deadline)
        answeredAt = offer.answeredAt.map(BusinessTime.rfc3339)
        permitNo = offer.permitNumber
    }
}

struct ObjectionBody: Encodable, Sendable {
    let objectionNo: String
    let applicationNo: String
    let reason: String
    let status: String
    let answer: String?
    let filedAt: String?
    let answeredAt: String?

    init(_ objection: Objection) {
        objectionNo = objection.number
        applicationNo = objection.applicationNo
        reason = objection.reason
        status = objection.state.rawValue
        answer = objection.answer
        filedAt = objection.createdAt.map(BusinessTime.rfc3339)
        answeredAt = objection.answeredAt.map(BusinessTime.rfc3339)
    }
}

/// What a vendor sees of a season: where his application stands and what he can do next.
struct VendorAllocationBody: Encodable {
    struct Place: Encodable {
        let siteId: String
        let position: Int
    }
    let season: SeasonPlanBody
    let application: ApplicationBody?
    let waitlist: [Place]
    let offers: [OfferBody]
    let barred: String?
    /// One of `apply`, `wait_for_window`, `window_closed`, `in_review`, `rejected`, `wait_for_draw`,
    /// `allocated`, `waitlisted`, `offer`, `permit`, `barred`, `not_allocated`.
    let stage: String

    init(_ view: AllocationService.VendorView, today: LocalDate) {
        season = SeasonPlanBody(view.plan, today: today)
        application = view.application.map(ApplicationBody.init)
        waitlist = view.waitlist.map { Place(siteId: $0.siteId, position: $0.position) }
        offers = view.offers.map(OfferBody.init)
        barred = view.bar
        stage = Self.stage(view, today: today)
    }

    static func stage(_ view: AllocationService.VendorView, today: LocalDate) -> String {
        guard let application = view.application else {
            if view.bar != nil { return "barred" }
            if view.plan.acceptsApplications(on: today) { return "apply" }
            if view.plan.phase == .planning || (view.plan.phase == .applicationsOpen && (view.plan.applicationsOpenOn.map { today < $0 } ?? true)) {
                return "wait_for_window"
            }
            return "window_closed"
        }
        if application.permitNumber != nil { return "permit" }
        if view.offers.contains(where: { $0.state == .open }) { return "offer" }
        switch application.state {
        case .submitted, .reviewed: return "in_review"
        case .rejected, .withdrawn: return "rejected"
        case .excluded, .lapsed: return "not_allocated"
        case .qualified:
            switch view.plan.phase {
            case .planning, .applicationsOpen, .review: return "wait_for_draw"
            default:
                if application.slotId != nil { return "allocated" }
                return view.waitlist.isEmpty ? "not_allocated" : "waitlisted"
            }
        }
    }
}

/// The season's allocation as the public sees it: timeline, list, commitment and seed, each
/// site's results and waitlist, and the objections with their answers.
struct PublicAllocationBody: Encodable {
    struct Result: Encodable {
        let slotId: String
        let applicationNo: String
        let holderMasked: String
        let tier: Int
        let rank: Int
        let permitNo: String?
        /// During the notice: the number the permit will have when issued.
        let permitNoToBe: String?
    }
    struct SiteResults: Encodable {
        let siteId: String
        let siteName: String
        let district: String
        let slots: Int
        let applicants: Int
        let results: [Result]
        let waitlist: [String]
    }
    let season: SeasonPlanBody
    let listPublished: Bool
    let commitment: String?
    let seed: String?
    let drawn: Bool
    let applications: Int
    let excluded: [String]
    let sites: [SiteResults]
    let objections: [ObjectionBody]
    let totalSites: Int

    init(_ view: AllocationService.PublicView, today: LocalDate, district: String?, siteId: String?) throws {
        season = SeasonPlanBody(view.plan, today: today)
        let published = view.draw?.file
        listPublished = published != nil
        commitment = published?.commitment
        seed = view.drawn ? published?.seed : nil
        drawn = view.drawn
        applications = published?.applications.count ?? 0
        excluded = published?.excluded ?? []
        objections = view.objections.map(ObjectionBody.init)
        var bySite: [String: (name: String, district: String, slots: Int)] = [:]
        var order: [String] = []
        for slot in view.slots {
            if bySite[slot.siteId] == nil {
                order.append(slot.siteId)
                bySite[slot.siteId] = (slot.siteName, slot.district, 0)
            }
            bySite[slot.siteId]!.slots += 1
        }
        let siteOfSlot = Dictionary(view.slots.map { ($0.slotId, $0.siteId) }, uniquingKeysWith: { a, _ in a })
        var applicants: [String: Int] = [:]
        var masked: [String: String] = [:]
        for entry in published?.applications ?? [] {
            masked[entry.applicationNo] = entry.holderMasked
            // A renewal asks for its own slot's site, whether or not it names others.
            var sites = Set(entry.preferences)
            if let slot = entry.renewalSlot, let site = siteOfSlot[slot] { sites.insert(site) }
            for site in sites { applicants[site, default: 0] += 1 }
        }
        var results: [String: [Result]] = [:]
        for allocated in published?.results?.allocation ?? [] {
            results[allocated.siteId, default: []].append(
                Result(
                    slotId: allocated.slotId, applicationNo: allocated.applicationNo, holderMasked: masked[allocated.applicationNo] ?? "",
                    tier: allocated.tier, rank: allocated.rank, permitNo: view.permits[allocated.applicationNo],
                    permitNoToBe: view.permitsToBe[allocated.applicationNo]))
        }
        let waitlists = published?.results?.waitlists ?? [:]
        let chosen = order.filter { site in
            (district == nil || bySite[site]!.district == district) && (siteId == nil || site == siteId)
                && (siteId != nil || applicants[site] != nil || results[site] != nil)
        }
        totalSites = order.count
        sites = chosen.map { site in
            let info = bySite[site]!
            return SiteResults(
                siteId: site, siteName: info.name, district: info.district, slots: info.slots, applicants: applicants[site] ?? 0,
                results: results[site] ?? [], waitlist: waitlists[site] ?? [])
        }
    }
}

/// The bureau's view of a season: counts by state and each site's demand against its slots.
struct AdminSeasonBody: Encodable {
    struct Demand: Encodable {
        let siteId: String
        let siteName: String
        let district: String
        let slots: Int
        let firstChoice: Int
        let named: Int
        let ratio: Double
    }
    let season: SeasonPlanBody
    let applicationsByStatus: [String: Int]
    let sites: Int
    let slots: Int
    let oversubscribed: [Demand]
    let objectionsOpen: Int
    let offersOpen: Int
}

/// A vendor's record across seasons: his own, or the bureau's view of it.
struct VendorRecordBody: Encodable {
    struct SeasonBody: Encodable {
        let season: Int
        let permitNo: String
        let slotId: String
        let status: String
        let checkInDays: Int
        let checkInShare: Double
        let pointsDeducted: Int
        let monthsAtZeroPoints: Int
    }
    struct BarBody: Encodable {
        let season: Int
        let reason: String
        let barredAt: String?
        let liftedAt: String?
        let liftReason: String?
    }
    struct WarningBody: Encodable {
        let permitNo: String
        let warnedAt: String
        let reclaimOn: String
    }
    let vendorId: String
    let seasons: [SeasonBody]
    let bars: [BarBody]
    let idleWarnings: [WarningBody]

    init(_ view: VendorRecordView) {
        vendorId = view.vendorId
        idleWarnings = view.warnings.map {
            WarningBody(permitNo: $0.permitNumber, warnedAt: BusinessTime.rfc3339($0.warnedAt), reclaimOn: $0.reclaimOn.description)
        }
        seasons = view.seasons.map {
            SeasonBody(
                season: $0.season, permitNo: $0.permitNumber, slotId: $0.slotId, status: $0.state.rawValue, checkInDays: $0.checkInDays,
                checkInShare: ($0.checkInShare * 1000).rounded() / 1000, pointsDeducted: $0.pointsDeducted, monthsAtZeroPoints: $0.monthsAtZeroPoints)
        }
        bars = view.bars.map {
            BarBody(
                season: $0.season, reason: $0.reason, barredAt: $0.createdAt.map(BusinessTime.rfc3339),
                liftedAt: $0.liftedAt.map(BusinessTime.rfc3339),
                liftReason: $0.liftReason)
        }
    }
}
