import Foundation
import GuatanCore
import Synchronization

/// What a write changed that someone may be showing: the caches drop exactly these.
public enum StoreChange: Sendable, Hashable {
    /// The registry itself: districts, sites, slots (the map's snapshot is built again).
    case registry
    /// One stall's public page.
    case stall(slotId: String)
    /// One stall's status on the map: its permit's state, open or closed today (the snapshot
    /// re-reads that stall alone).
    case stallStatus(slotId: String)
    /// The public lists of cases.
    case reportLists
    /// An account's sessions: ended, its password changed, the account disabled or enabled.
    case sessions(accountId: Int64)
    /// One session, ended by its holder (signing out).
    case session(tokenHash: String)
    /// Anything may have changed (another instance's changes that could not be heard, or too
    /// many to name): every copy is dropped.
    case everything
}

/// The store's workflows side: one transaction in which a service reads the rows a rule
/// needs and writes the outcome. Every backend runs the body in one database transaction and,
/// once it has committed, publishes what it changed to `changes`.
public protocol WorkflowStore: Sendable {
    /// The body's reads and writes commit together or not at all.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T
    /// The same for small, frequent writes (check-ins): the store may commit several such
    /// transactions together (group commit), each kept apart from the others' failures.
    func batchedTransaction<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T
    /// Where committed changes are announced.
    var changes: ChangeFeed { get }
}

/// Where a stall sits: what rules about a place need.
public struct SlotPlace: Sendable, Hashable {
    public var slotId: String
    public var siteId: String
    public var district: String
    public var position: Coordinate

    public init(slotId: String, siteId: String, district: String, position: Coordinate) {
        self.slotId = slotId
        self.siteId = siteId
        self.district = district
        self.position = position
    }
}

/// A permit as the check-in, inspection and report rules need it: its state, its slot and site.
public struct PermitPlace: Sendable, Hashable {
    public var number: String
    public var season: Int
    public var vendorId: String
    public var state: PermitState
    public var slot: SlotPlace
    public var siteOpensAt: LocalTime
    public var siteClosesAt: LocalTime
    public var siteGeofenceM: Double?

    public init(
        number: String, season: Int, vendorId: String, state: PermitState, slot: SlotPlace, siteOpensAt: LocalTime, siteClosesAt: LocalTime,
        siteGeofenceM: Double?
    ) {
        self.number = number
        self.season = season
        self.vendorId = vendorId
        self.state = state
        self.slot = slot
        self.siteOpensAt = siteOpensAt
        self.siteClosesAt = siteClosesAt
        self.siteGeofenceM = siteGeofenceM
    }
}

/// A season's row: its dates and hours, and its own geofence radius if the bureau set one.
public struct SeasonRecord: Sendable, Hashable {
    public var season: Season
    public var geofenceRadiusM: Double?

    public init(season: Season, geofenceRadiusM: Double?) {
        self.season = season
        self.geofenceRadiusM = geofenceRadiusM
    }
}

/// Who else holds a permit: the slot, the vendor or the vehicle (一摊一证, 一人一证, 一车一证).
public enum PermitHolder: Sendable, Hashable {
    case slot(String)
    case vendor(String)
    case vehicle(String)
}

/// A new permit's row.
public struct NewPermit: Sendable, Hashable {
    public var number: String
    public var season: Int
    public var vendorId: String
    public var slotId: String
    public var district: String
    public var state: PermitState
    public var produce: [String]
    public var vehiclePlate: String
    public var expectedKg: Double?
    public var certificatePhoto: String?
    public var at: Date

    public init(
        number: String, season: Int, vendorId: String, slotId: String, district: String, state: PermitState, produce: [String], vehiclePlate: String,
        expectedKg: Double?, certificatePhoto: String?, at: Date
    ) {
        self.number = number
        self.season = season
        self.vendorId = vendorId
        self.slotId = slotId
        self.district = district
        self.state = state
        self.produce = produce
        self.vehiclePlate = vehiclePlate
        self.expectedKg = expectedKg
        self.certificatePhoto = certificatePhoto
        self.at = at
    }
}

/// One check-in attempt as it is kept, accepted or not (the audit of check-ins).
public struct CheckInAttemptRow: Sendable, Hashable {
    public var vendorId: String
    public var permitNumber: String?
    public var at: Date
    public var day: LocalDate
    public var position: ReportedPosition?
    public var inputCRS: String?
    public var method: CheckInMethod
    public var actor: String
    public var reason: String?
    public var distanceM: Double?
    public var impliedSpeedKmh: Double?
    public var flagged: Bool
    /// `checked_in`, `repeat` or `refused`.
    public var outcome: String
    public var refusal: String?
    public var checkInId: Int64?

    public init(
        vendorId: String, permitNumber: String?, at: Date, day: LocalDate, position: ReportedPosition?, inputCRS: String?, method: CheckInMethod,
        actor: String, reason: String?, distanceM: Double? = nil, impliedSpeedKmh: Double? = nil, flagged: Bool = false, outcome: String,
        refusal: String? = nil, checkInId: Int64? = nil
    ) {
        self.vendorId = vendorId
        self.permitNumber = permitNumber
        self.at = at
        self.day = day
        self.position = position
        self.inputCRS = inputCRS
        self.method = method
        self.actor = actor
        self.reason = reason
        self.distanceM = distanceM
        self.impliedSpeedKmh = impliedSpeedKmh
        self.flagged = flagged
        self.outcome = outcome
        self.refusal = refusal
        self.checkInId = checkInId
    }
}

/// A new inspection's row.
public struct NewInspection: Sendable, Hashable {
    /// Who was selling at the stall, when the officer said.
    public var atStall: AtStall?
    public var id: String
    public var sequence: Int64
    public var slot: SlotPlace
    public var permitNumber: String?
    public var officer: String
    public var result: InspectionResult
    public var violations: [ViolationCode]
    public var note: String?
    public var position: Coordinate?
    public var distanceM: Double?
    public var at: Date
    public var day: LocalDate

    public init(
        id: String, sequence: Int64, slot: SlotPlace, permitNumber: String?, officer: String, result: InspectionResult, violations: [ViolationCode],
        note: String?, position: Coordinate?, distanceM: Double?, at: Date, day: LocalDate, atStall: AtStall? = nil
    ) {
        self.atStall = atStall
        self.id = id
        self.sequence = sequence
        self.slot = slot
        self.permitNumber = permitNumber
        self.officer = officer
        self.result = result
        self.violations = violations
        self.note = note
        self.position = position
        self.distanceM = distanceM
        self.at = at
        self.day = day
    }
}

/// A new report's row.
public struct NewReport: Sendable, Hashable {
    public var id: String
    public var sequence: Int64
    public var trackingHash: String
    public var intake: ReportIntake
    public var slotId: String?
    public var siteId: String?
    public var permitNumber: String?
    public var district: String
    public var position: Coordinate
    public var state: ReportState
    public var duplicateOf: String?
    public var at: Date
    public var channel: ReportChannel = .web
    /// The staff account that entered a hotline, walk-in or officer report.
    public var enteredBy: String?
    public var notifySMS = false
    /// Its voice note, staged beside the photos.
    public var voice: StoredVoice?

    public init(
        id: String, sequence: Int64, trackingHash: String, intake: ReportIntake, slotId: String?, siteId: String?, permitNumber: String?,
        district: String, position: Coordinate, state: ReportState, duplicateOf: String?, at: Date
    ) {
        self.id = id
        self.sequence = sequence
        self.trackingHash = trackingHash
        self.intake = intake
        self.slotId = slotId
        self.siteId = siteId
        self.permitNumber = permitNumber
        self.district = district
        self.position = position
        self.state = state
        self.duplicateOf = duplicateOf
        self.at = at
    }
}

/// What a step of the case loop writes on the report's row (nil: unchanged).
public struct ReportUpdate: Sendable, Hashable {
    public var state: ReportState
    public var dueAt: Date?
    public var closedAt: Date?
    /// A reopened case: the closing and its rating are cleared.
    public var reopened = false
    public var duplicateOf: String?
    /// A citizen's rating of a closed case.
    public var rating: Int?
    public var ratingComment: String?
    /// Another district's case now (a case sent back as not its own, dispatched again).
    public var district: String?
    /// Escalated past its time limit (a time); `clearEscalation` when an extension gives it more.
    public var escalatedAt: Date?
    public var clearEscalation = false
    /// Handled: the time limit it was handled against (kept from the first handling only).
    public var handledDueAt: Date?

    public init(state: ReportState, dueAt: Date? = nil, closedAt: Date? = nil, reopened: Bool = false, duplicateOf: String? = nil) {
        self.state = state
        self.dueAt = dueAt
        self.closedAt = closedAt
        self.reopened = reopened
        self.duplicateOf = duplicateOf
    }
}

/// One entry of a case's timeline as written.
public struct NewReportEvent: Sendable, Hashable {
    public var reportId: String
    public var at: Date
    public var role: String
    public var actor: String
    public var action: String
    public var from: ReportState?
    public var to: ReportState
    public var publicNote: String?
    public var internalNote: String?

    public init(
        reportId: String, at: Date, role: String, actor: String, action: String, from: ReportState?, to: ReportState, publicNote: String?,
        internalNote: String?
    ) {
        self.reportId = reportId
        self.at = at
        self.role = role
        self.actor = actor
        self.action = action
        self.from = from
        self.to = to
        self.publicNote = publicNote
        self.internalNote = internalNote
    }
}

/// The reads and writes of one transaction. Each method is one question or one write of
/// rows; none decides a rule or checks who may do it (the services do).
public protocol StoreTransaction: AnyObject, AllocationTransaction, FeedbackTransaction {
    // Numbers: the backend's own sequences, never MAX()+1.
    /// The next number of a named sequence (`report`, `inspection`, `vendor`, `permit/2026/620102`), from 1.
    func nextNumber(_ sequence: String) throws -> Int64

    // Audit
    func audit(actor: String, action: String, entity: String, entityId: String, before: [String: String]?, after: [String: String]?, at: Date) throws

    // Registry and vendors
    /// Whether the registry was ever loaded (the seed's mark, or any site).
    func registryLoaded() throws -> Bool
    func districtCodes() throws -> Set<String>
    func upsertDistrict(_ district: District) throws
    func site(id: String) throws -> Site?
    /// How many slots each site has, by site ID.
    func slotCounts() throws -> [String: Int]
    func insertSite(_ site: Site, at: Date) throws
    /// Rewrites a site's fields (its slots stay where they are).
    func updateSite(_ site: Site, at: Date) throws
    func insertSlot(_ slot: Slot) throws
    /// Notes that the seed registry has been loaded, so it is never loaded again.
    func markSeedLoaded(at: Date) throws
    func slot(id: String) throws -> SlotPlace?
    func siteExists(id: String) throws -> Bool
    /// Every site's position and district (the nearest site to a reported place).
    func siteLocations() throws -> [(siteId: String, district: String, position: Coordinate)]
    /// The slots of a site in their order, each with whether a permit in `states` holds it in `season`.
    func slotsOfSite(_ siteId: String, season: Int, heldIn states: Set<PermitState>) throws -> [(slotId: String, held: Bool)]
    func season(year: Int) throws -> SeasonRecord?
    func vendor(id: String) throws -> Vendor?
    /// Vendors whose registered vehicle is this plate.
    func vendorIds(withPlate plate: String) throws -> [String]
    /// The vendor registered with this ID card (by its keyed hash), if any.
    func vendorId(idCardHash: String) throws -> String?
    func insertVendor(_ vendor: Vendor, sequence: Int64, idCardHash: String, at: Date) throws
    /// Why a vendor is barred from a season, if he is.
    func bar(vendorId: String, season: Int) throws -> String?
    /// Bars a vendor from a season; false when he was barred already.
    func insertBar(vendorId: String, season: Int, reason: String, at: Date) throws -> Bool

    // Permits
    func permitRecord(number: String) throws -> PermitRecord?
    func permitPlace(number: String) throws -> PermitPlace?
    /// A vendor's permits of a season, newest first.
    func permitPlaces(vendorId: String, season: Int) throws -> [PermitPlace]
    /// The permits of a slot in a season, newest first.
    func permitPlaces(slotId: String, season: Int) throws -> [PermitPlace]
    /// A permit in one of `states` held by this slot, vendor or vehicle in `season`.
    func permitNumber(season: Int, holder: PermitHolder, states: Set<PermitState>) throws -> String?
    func insertPermit(_ permit: NewPermit) throws
    func setPermitState(number: String, state: PermitState, issuedAt: Date?, at: Date) throws
    func insertPhoto(_ photo: StoredPhoto, purpose: String, at: Date) throws

    // Check-ins
    func checkIn(permitNumber: String, on day: LocalDate) throws -> CheckIn?
    func lastPositionedAttempt(vendorId: String) throws -> PreviousAttempt?
    func insertCheckIn(_ checkIn: CheckIn, position: ReportedPosition?) throws -> Int64
    func recordAttempt(_ attempt: CheckInAttemptRow) throws
    func closeCheckIn(id: Int64, slotId: String, at: Date) throws

    // Points
    /// Points deducted from a permit, not annulled, by month (`2026-07`).
    func deductedPoints(permitNumber: String) throws -> [String: Int]
    func violationPoints(season: Int) throws -> [ViolationCode: Int]
    func insertDeduction(permitNumber: String, month: String, points: Int, code: String, inspectionId: String?, at: Date) throws
    func deduction(id: Int64) throws -> PointDeduction?
    func annulDeduction(id: Int64, by actor: String, reason: String, at: Date) throws
    func setViolationPoints(season: Int, code: ViolationCode, points: Int) throws

    // Inspections
    func insertInspection(_ inspection: NewInspection, photos: [StoredPhoto]) throws
    func inspection(id: String) throws -> Inspection?

    // Reports
    func report(id: String, withTimeline: Bool) throws -> Report?
    func reportId(trackingHash: String) throws -> String?
    /// Cases of a category in `states` created since `since` within the box, oldest first.
    func reports(
        category: ReportCategory, states: Set<ReportState>, since: Date, within box: BoundingBox
    ) throws -> [(id: String, position: Coordinate)]
    func timeLimitMinutes(_ category: ReportCategory) throws -> Int?
    func setTimeLimit(_ category: ReportCategory, minutes: Int) throws
    func insertReport(_ report: NewReport, photos: [StoredPhoto]) throws
    func updateReport(id: String, slotId: String?, _ update: ReportUpdate, at: Date) throws
    func addReportEvent(_ event: NewReportEvent, slotId: String?) throws

    // Accounts
    /// An account by name, with when it was disabled (nil: active).
    func account(username: String) throws -> (account: Account, disabledAt: Date?)?
    func activeAdminCount() throws -> Int
    /// Creates an account with its password already hashed; its row id.
    func insertAccount(username: String, passwordHash: String, role: Role, district: String?, vendorId: String?, at: Date) throws -> Int64
    func setPasswordHash(accountId: Int64, _ passwordHash: String) throws
    /// Disables (at `at`) or enables (nil) an account.
    func setAccountDisabled(accountId: Int64, at: Date?) throws
    /// Ends an account's sessions, all or all but one; how many ended.
    func endSessions(accountId: Int64, except tokenHash: String?, at: Date) throws -> Int
    func accountSummary(accountId: Int64, at: Date) throws -> AccountSummary
    /// Failed sign-ins from an address since `since` (for one account, or for all when nil).
    func loginFailures(username: String?, address: String, since: Date) throws -> [Date]
    func insertLoginFailure(username: String, address: String, at: Date) throws -> Int64
    func deleteLoginFailures(before: Date) throws
}

/// Committed changes, announced to whoever keeps copies (the HTTP caches). Subscribers are
/// called after the commit, on the writer's task: they must be quick.
public final class ChangeFeed: Sendable {
    private let subscribers = Mutex<[@Sendable (Set<StoreChange>) -> Void]>([])

    public init() {}

    public func subscribe(_ subscriber: @escaping @Sendable (Set<StoreChange>) -> Void) {
        subscribers.withLock { $0.append(subscriber) }
    }

    public func publish(_ changes: Set<StoreChange>) {
        guard !changes.isEmpty else { return }
        for subscriber in subscribers.withLock({ $0 }) { subscriber(changes) }
    }
}
