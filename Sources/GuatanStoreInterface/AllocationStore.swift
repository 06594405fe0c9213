import Foundation
import GuatanCore

/// A family helper as kept: the ID card only as its keyed hash and last four characters.
public struct StoredHelper: Sendable, Hashable, Codable {
    public var name: String
    public var relation: String
    public var idCardHash: String
    public var idCardLast4: String

    enum CodingKeys: String, CodingKey {
        case name, relation
        case idCardHash = "id_card_hash"
        case idCardLast4 = "id_card_last4"
    }

    public init(name: String, relation: String, idCardHash: String, idCardLast4: String) {
        self.name = name
        self.relation = relation
        self.idCardHash = idCardHash
        self.idCardLast4 = idCardLast4
    }
}

/// A season's application for the draw, as the rules and the pages need it.
public struct ApplicationRecord: Sendable, Hashable {
    public var number: String
    public var season: Int
    public var vendorId: String
    public var holderName: String
    /// The district of the first site named: its squad reviews the application.
    public var district: String
    public var state: ApplicationState
    public var preferences: [String]
    public var renewalSlot: String?
    public var priorityClaim: String?
    public var priorityVerified: Bool
    /// Decided when the list is published.
    public var tier: Int?
    public var produce: [String]
    public var expectedKg: Double
    public var vehiclePlate: String
    public var hasCertificate: Bool
    public var householdSize: Int
    public var reason: String?
    /// The place in the drawn order of an application given a slot (0 for a renewal).
    public var drawnRank: Int?
    /// The slot the draw (or an accepted offer) gave it.
    public var slotId: String?
    public var permitNumber: String?
    public var createdAt: Date?
    public var helpers: [StoredHelper]

    public init(
        number: String, season: Int, vendorId: String, holderName: String, district: String, state: ApplicationState, preferences: [String],
        renewalSlot: String?, priorityClaim: String?, priorityVerified: Bool, tier: Int?, produce: [String], expectedKg: Double,
        vehiclePlate: String, hasCertificate: Bool, householdSize: Int, reason: String?, drawnRank: Int?, slotId: String?, permitNumber: String?,
        createdAt: Date?, helpers: [StoredHelper] = []
    ) {
        self.number = number
        self.season = season
        self.vendorId = vendorId
        self.holderName = holderName
        self.district = district
        self.state = state
        self.preferences = preferences
        self.renewalSlot = renewalSlot
        self.priorityClaim = priorityClaim
        self.priorityVerified = priorityVerified
        self.tier = tier
        self.produce = produce
        self.expectedKg = expectedKg
        self.vehiclePlate = vehiclePlate
        self.hasCertificate = hasCertificate
        self.householdSize = householdSize
        self.reason = reason
        self.drawnRank = drawnRank
        self.slotId = slotId
        self.permitNumber = permitNumber
        self.createdAt = createdAt
        self.helpers = helpers
    }
}

/// A new application's row.
public struct NewApplication: Sendable, Hashable {
    public var number: String
    public var season: Int
    public var vendorId: String
    public var district: String
    public var request: ApplicationRequest
    public var renewalSlot: String?
    public var vehiclePlate: String
    public var certificatePhoto: String?
    public var helpers: [StoredHelper]
    public var at: Date

    public init(
        number: String, season: Int, vendorId: String, district: String, request: ApplicationRequest, renewalSlot: String?, vehiclePlate: String,
        certificatePhoto: String?, helpers: [StoredHelper] = [], at: Date
    ) {
        self.number = number
        self.season = season
        self.vendorId = vendorId
        self.district = district
        self.request = request
        self.renewalSlot = renewalSlot
        self.vehiclePlate = vehiclePlate
        self.certificatePhoto = certificatePhoto
        self.helpers = helpers
        self.at = at
    }
}

/// A slot a season offers, from the season's own copy of the registry.
public struct SeasonSlot: Sendable, Hashable {
    public var slotId: String
    public var siteId: String
    public var siteName: String
    public var district: String
    public var number: Int

    public init(slotId: String, siteId: String, siteName: String, district: String, number: Int) {
        self.slotId = slotId
        self.siteId = siteId
        self.siteName = siteName
        self.district = district
        self.number = number
    }
}

/// The draw as kept: the published file (with the seed and results once drawn), the secret
/// seed until then, and the applications objections took out.
public struct DrawRecord: Sendable, Hashable {
    public var season: Int
    public var commitment: String
    /// Secret until `drawnAt`: never shown before.
    public var seedHex: String
    public var publishedJSON: String
    public var publishedAt: Date?
    public var drawnAt: Date?
    public var excluded: [String]

    public init(season: Int, commitment: String, seedHex: String, publishedJSON: String, publishedAt: Date?, drawnAt: Date?, excluded: [String]) {
        self.season = season
        self.commitment = commitment
        self.seedHex = seedHex
        self.publishedJSON = publishedJSON
        self.publishedAt = publishedAt
        self.drawnAt = drawnAt
        self.excluded = excluded
    }
}

public enum ObjectionState: String, Sendable, Hashable, Codable, CaseIterable {
    case open, upheld, dismissed
}

/// An objection (异议) to an allocation during the notice, and the bureau's answer.
public struct Objection: Sendable, Hashable {
    public var number: String
    public var season: Int
    public var applicationNo: String
    public var reason: String
    public var state: ObjectionState
    public var answer: String?
    public var createdAt: Date?
    public var answeredAt: Date?

    public init(
        number: String, season: Int, applicationNo: String, reason: String, state: ObjectionState, answer: String?, createdAt: Date?,
        answeredAt: Date?
    ) {
        self.number = number
        self.season = season
        self.applicationNo = applicationNo
        self.reason = reason
        self.state = state
        self.answer = answer
        self.createdAt = createdAt
        self.answeredAt = answeredAt
    }
}

public enum OfferState: String, Sendable, Hashable, Codable, CaseIterable {
    case open, accepted, declined, expired
}

/// A freed slot offered to the next on its site's waitlist, until a deadline.
public struct WaitlistOffer: Sendable, Hashable {
    public var number: String
    public var season: Int
    public var slotId: String
    public var siteId: String
    public var district: String
    public var applicationNo: String
    public var state: OfferState
    public var offeredAt: Date
    public var deadline: Date
    public var answeredAt: Date?
    public var permitNumber: String?

    public init(
        number: String, season: Int, slotId: String, siteId: String, district: String, applicationNo: String, state: OfferState, offeredAt: Date,
        deadline: Date, answeredAt: Date?, permitNumber: String?
    ) {
        self.number = number
        self.season = season
        self.slotId = slotId
        self.siteId = siteId
        self.district = district
        self.applicationNo = applicationNo
        self.state = state
        self.offeredAt = offeredAt
        self.deadline = deadline
        self.answeredAt = answeredAt
        self.permitNumber = permitNumber
    }
}

/// Where an application waits at one site: its place among those still waiting there.
public struct WaitlistPlace: Sendable, Hashable {
    public var siteId: String
    /// 1 is next.
    public var position: Int

    public init(siteId: String, position: Int) {
        self.siteId = siteId
        self.position = position
    }
}

/// A permit a vendor held in a season, as renewal looks back on it.
public struct IssuedPermit: Sendable, Hashable {
    public var number: String
    public var slotId: String
    public var state: PermitState
    public var checkInDays: Int

    public init(number: String, slotId: String, state: PermitState, checkInDays: Int) {
        self.number = number
        self.slotId = slotId
        self.state = state
        self.checkInDays = checkInDays
    }
}

/// A bar from a season, and its lifting if the bureau lifted it.
public struct VendorBar: Sendable, Hashable {
    public var season: Int
    public var reason: String
    public var createdAt: Date?
    public var liftedAt: Date?
    public var liftReason: String?

    public init(season: Int, reason: String, createdAt: Date?, liftedAt: Date?, liftReason: String?) {
        self.season = season
        self.reason = reason
        self.createdAt = createdAt
        self.liftedAt = liftedAt
        self.liftReason = liftReason
    }
}

/// A permit of the vendor's past, as his record shows it.
public struct PermitHistoryRow: Sendable, Hashable {
    public var number: String
    public var season: Int
    public var slotId: String
    public var state: PermitState
    public var issuedAt: Date?
    public var checkInDays: Int

    public init(number: String, season: Int, slotId: String, state: PermitState, issuedAt: Date?, checkInDays: Int) {
        self.number = number
        self.season = season
        self.slotId = slotId
        self.state = state
        self.issuedAt = issuedAt
        self.checkInDays = checkInDays
    }
}

/// A warning that an idle permit's slot will be taken back.
public struct IdleWarning: Sendable, Hashable {
    public var permitNumber: String
    public var warnedAt: Date
    public var reclaimOn: LocalDate

    public init(permitNumber: String, warnedAt: Date, reclaimOn: LocalDate) {
        self.permitNumber = permitNumber
        self.warnedAt = warnedAt
        self.reclaimOn = reclaimOn
    }
}

/// The allocation's rows: one transaction's narrow reads and writes, on either database.
public protocol AllocationTransaction {
    /// The season's row with its allocation settings, locked where writers run side by side.
    func seasonPlan(year: Int) throws -> SeasonPlan?
    func seasonPlans() throws -> [SeasonPlan]
    func insertSeasonPlan(_ plan: SeasonPlan) throws
    func updateSeasonPlan(_ plan: SeasonPlan) throws
    /// Copies a season's registry (or the live registry when `from` has no copy) into `to`'s.
    func copySeasonRegistry(from: Int, to: Int) throws -> (sites: Int, slots: Int)
    /// The season's slots in order of site and number.
    func seasonSlots(year: Int) throws -> [SeasonSlot]
    func seasonSite(year: Int, siteId: String) throws -> (district: String, name: String)?
    /// The season's sites with their slot counts, by ID.
    func seasonSiteRows(year: Int) throws -> [(site: Site, slots: Int)]
    func upsertSeasonSite(year: Int, _ site: Site) throws
    /// Removes a site and its slots from the season's registry.
    func deleteSeasonSite(year: Int, siteId: String) throws
    /// Moves a site's slots by the site's own move, so they keep their places around it.
    func shiftSeasonSlots(year: Int, siteId: String, dLat: Double, dLng: Double) throws
    /// Gives the site `count` slots: new numbers at `position`, numbers above `count` removed.
    func setSeasonSlotCount(year: Int, siteId: String, count: Int, position: Coordinate) throws
    /// Puts a season's registry into the live one: sites and slots it adds, sites it changed.
    func releaseSeasonRegistry(year: Int, at: Date) throws -> (sites: Int, slots: Int)

    func insertApplication(_ application: NewApplication) throws
    /// The application, locked where writers run side by side.
    func application(number: String) throws -> ApplicationRecord?
    /// The vendor's application that holds the season (not rejected or withdrawn).
    func application(vendorId: String, season: Int) throws -> ApplicationRecord?
    func applications(season: Int, states: Set<ApplicationState>) throws -> [ApplicationRecord]
    func applicationCount(season: Int, states: Set<ApplicationState>) throws -> Int
    func setApplicationState(number: String, state: ApplicationState, reason: String?, at: Date) throws
    func setPriorityVerified(number: String, _ verified: Bool) throws
    /// Every qualified application of the season at one tier (the rest then set by number).
    func setApplicationTiers(season: Int, tier: Int) throws
    /// These applications at one tier, in statements of a few hundred.
    func setApplicationTiers(_ numbers: [String], tier: Int) throws
    /// The season's qualified applications as the draw's list needs them, in number order, each
    /// renewal with the vendor's last season (`season - 1`), read in a few set-based queries.
    func drawCandidates(season: Int) throws -> [DrawCandidate]
    /// Many applications' slots and ranks at once (a draw's outcome), in statements of a few hundred.
    func setApplicationSlots(_ rows: [(number: String, slotId: String?, rank: Int?)], at: Date) throws
    /// The slot the draw or an offer gave it (nil to take it back), its rank, and its permit once issued.
    func setApplicationSlot(number: String, slotId: String?, rank: Int?, permitNumber: String?, at: Date) throws
    /// After the notice: a permit for every allocated application of the season that has none
    /// (numbered on in each district's counter, helpers copied, each audited), and the
    /// application's permit number set, in set-based statements. The first conflict (a bar, a
    /// slot, vendor or vehicle with a live permit, a plate registered to another vendor) throws
    /// `AllocationIssueConflict` and nothing is issued.
    func issueAllocatedPermits(season: Int, actor: String, at: Date) throws -> Int
    func permitHelpers(number: String) throws -> [StoredHelper]
    /// The helpers an issued permit registers (copied from its application).
    func setPermitHelpers(number: String, _ helpers: [StoredHelper]) throws
    /// False when the person is in another application of the season already.
    func insertHouseholdMember(season: Int, idCardHash: String, applicationNo: String) throws -> Bool
    func releaseHousehold(applicationNo: String) throws
    func idCardHash(vendorId: String) throws -> String?
    /// The vendor's last permit of a season that was issued, and his days checked in on it.
    func issuedPermit(vendorId: String, season: Int) throws -> IssuedPermit?

    /// Every permit the vendor was issued, oldest season first.
    func permitHistory(vendorId: String) throws -> [PermitHistoryRow]
    func bars(vendorId: String) throws -> [VendorBar]
    /// False when there is no bar in force for that season.
    func liftBar(vendorId: String, season: Int, reason: String, by actor: String, at: Date) throws -> Bool

    /// Records (or renews) an idle permit's warning.
    func warnIdle(_ warning: IdleWarning, by actor: String) throws
    func idleWarning(permitNumber: String) throws -> IdleWarning?
    func idleWarnings(vendorId: String) throws -> [IdleWarning]
    /// Check-ins of a permit on or after a day.
    func checkInCount(permitNumber: String, since day: LocalDate) throws -> Int

    func insertDraw(_ draw: DrawRecord) throws
    func draw(season: Int) throws -> DrawRecord?
    /// The published file alone, read without locking the row (for the public).
    func publishedFile(season: Int) throws -> String?
    /// The draw's record without its file (an empty `publishedJSON`): what a cache is keyed by.
    func drawSummary(season: Int) throws -> DrawRecord?
    /// Application number → permit number, for the applications whose permit is issued.
    func applicationPermits(season: Int) throws -> [String: String]
    /// Application number → the permit number `issueAllocatedPermits` will give it, for the
    /// allocated applications without a permit yet (each district's counter, in number order).
    func permitNumbersToBe(season: Int) throws -> [String: String]
    func updateDraw(_ draw: DrawRecord) throws
    func replaceWaitlists(season: Int, _ waitlists: [String: [String]]) throws
    /// The revealed seed of a season's draw; nil before the draw.
    func drawnSeed(season: Int) throws -> String?
    /// Applications of a district still waiting at any of their sites, with their tiers.
    func waitingInDistrict(season: Int, district: String) throws -> [(applicationNo: String, tier: Int)]
    /// The first application still waiting at the site: qualified, no slot, no open offer.
    func nextWaiting(season: Int, siteId: String) throws -> ApplicationRecord?
    func waitlistPlaces(applicationNo: String) throws -> [WaitlistPlace]

    func insertObjection(_ objection: Objection) throws
    func objection(number: String) throws -> Objection?
    func objections(season: Int) throws -> [Objection]
    func answerObjection(number: String, state: ObjectionState, answer: String, at: Date) throws

    func insertOffer(_ offer: WaitlistOffer) throws
    func offer(number: String) throws -> WaitlistOffer?
    func offers(applicationNo: String) throws -> [WaitlistOffer]
    func offers(season: Int, district: String?, states: Set<OfferState>) throws -> [WaitlistOffer]
    /// Open offers whose deadline has passed, oldest first.
    func overdueOffers(before: Date, limit: Int) throws -> [WaitlistOffer]
    func setOffer(number: String, state: OfferState, permitNumber: String?, at: Date) throws
}

/// Why an allocated application cannot have its permit: the bulk issuing stops at the first.
public struct AllocationIssueConflict: Error, Sendable, Equatable {
    public var applicationNo: String
    public var reason: String

    public init(applicationNo: String, reason: String) {
        self.applicationNo = applicationNo
        self.reason = reason
    }
}

/// A qualified application as the draw's list is made of it.
public struct DrawCandidate: Sendable, Hashable {
    public var applicationNo: String
    public var holderName: String
    public var preferences: [String]
    public var renewalSlot: String?
    public var priorityVerified: Bool
    /// The vendor's last issued permit of the season before, when he asks to renew.
    public var lastSeason: LastSeasonPermit?

    public init(
        applicationNo: String, holderName: String, preferences: [String], renewalSlot: String?, priorityVerified: Bool,
        lastSeason: LastSeasonPermit?
    ) {
        self.applicationNo = applicationNo
        self.holderName = holderName
        self.preferences = preferences
        self.renewalSlot = renewalSlot
        self.priorityVerified = priorityVerified
        self.lastSeason = lastSeason
    }
}

/// How a vendor's permit of last season ended: what renewal in good standing is decided on.
public struct LastSeasonPermit: Sendable, Hashable {
    public var state: PermitState
    public var checkInDays: Int
    /// Points deducted by month (`YYYY-MM`), annulled ones left out.
    public var deductedByMonth: [String: Int]

    public init(state: PermitState, checkInDays: Int, deductedByMonth: [String: Int]) {
        self.state = state
        self.checkInDays = checkInDays
        self.deductedByMonth = deductedByMonth
    }
}
