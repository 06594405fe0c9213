import Foundation

/// A season's allocation settings and where it stands: the window, the notice, the rules the
/// bureau sets per season (how many sites an application may name, the check-in share that
/// renewal needs, how long a waitlist offer stays open).
public struct SeasonPlan: Sendable, Hashable {
    public var season: Season
    public var phase: SeasonPhase
    /// The application window, both days included; set when the window opens.
    public var applicationsOpenOn: LocalDate?
    public var applicationsCloseOn: LocalDate?
    public var maxPreferences: Int
    public var noticeDays: Int
    /// The notice's last day, set when it begins.
    public var noticeEndsOn: LocalDate?
    public var renewalMinShare: Double
    public var offerHours: Int
    /// The season whose registry this one's was copied from.
    public var copiedFrom: Int?

    public static let defaultMaxPreferences = 3
    public static let defaultNoticeDays = 5
    public static let defaultRenewalMinShare = 0.6
    public static let defaultOfferHours = 48

    public init(
        season: Season, phase: SeasonPhase, applicationsOpenOn: LocalDate? = nil, applicationsCloseOn: LocalDate? = nil,
        maxPreferences: Int = defaultMaxPreferences, noticeDays: Int = defaultNoticeDays, noticeEndsOn: LocalDate? = nil,
        renewalMinShare: Double = defaultRenewalMinShare, offerHours: Int = defaultOfferHours, copiedFrom: Int? = nil
    ) {
        self.season = season
        self.phase = phase
        self.applicationsOpenOn = applicationsOpenOn
        self.applicationsCloseOn = applicationsCloseOn
        self.maxPreferences = maxPreferences
        self.noticeDays = noticeDays
        self.noticeEndsOn = noticeEndsOn
        self.renewalMinShare = renewalMinShare
        self.offerHours = offerHours
        self.copiedFrom = copiedFrom
    }

    public var year: Int { season.year }

    /// Whether a vendor may apply today: the window is open and today is one of its days.
    public func acceptsApplications(on day: LocalDate) -> Bool {
        guard phase == .applicationsOpen, let opens = applicationsOpenOn, let closes = applicationsCloseOn else { return false }
        return opens <= day && day <= closes
    }

    /// Whether objections may be filed today: during the notice, its last day included.
    public func acceptsObjections(on day: LocalDate) -> Bool {
        guard phase == .notice, let ends = noticeEndsOn else { return false }
        return day <= ends
    }
}

/// Why an allocation step was refused, in words the API passes on with its own code.
public enum AllocationError: Error, Sendable, Equatable {
    case forbidden(String)
    /// 409 with a code a page can explain (`APPLICATIONS_CLOSED`, `BARRED`, `HOUSEHOLD_HAS_APPLIED`,
    /// `PHASE`, `CONFLICT`), and the figures it needs (the window's dates).
    case conflict(code: String, message: String, details: [String: String] = [:])
    case invalid(ValidationError)
}

/// An application for a season's draw (摊位申请).
public enum ApplicationState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Filed within the window, waiting for the squad (初审).
    case submitted
    /// Reviewed by the district's squad, waiting for the bureau (复审).
    case reviewed
    /// Approved by the bureau: on the published list, in the draw.
    case qualified
    case rejected
    /// Withdrawn by the vendor before the list was published.
    case withdrawn
    /// Taken out of the draw by an objection the bureau upheld.
    case excluded
    /// Let a waitlist offer pass: off the waitlist for the season.
    case lapsed

    /// Whether it is the vendor's (and his household's) one application of the season.
    public var holdsTheSeason: Bool {
        switch self {
        case .submitted, .reviewed, .qualified, .excluded, .lapsed: true
        case .rejected, .withdrawn: false
        }
    }

    /// Still waiting for a decision before the list can be published.
    public var awaitsReview: Bool { self == .submitted || self == .reviewed }
}

public enum ApplicationAction: String, Sendable, Hashable, Codable, CaseIterable {
    /// 初审 by the squad of the first site's district (with the priority household verified or not).
    case review
    /// 复审 by the bureau: onto the list.
    case approve
    case reject
    /// The vendor takes his application back.
    case withdraw
}

public enum ApplicationWorkflow {
    public static func target(of action: ApplicationAction, from state: ApplicationState) -> ApplicationState? {
        switch (action, state) {
        case (.review, .submitted): .reviewed
        case (.approve, .reviewed): .qualified
        case (.reject, .submitted), (.reject, .reviewed): .rejected
        case (.withdraw, .submitted), (.withdraw, .reviewed), (.withdraw, .qualified): .withdrawn
        default: nil
        }
    }

    /// Decides a step on an application: who (403), the reason (400), the season's phase and
    /// the application's state (409). Review happens while the window is open or in review,
    /// until the list is published; the vendor withdraws until then too.
    public static func decide(
        _ action: ApplicationAction, on state: ApplicationState, by actor: Account, district: String, ownVendorId: String,
        phase: SeasonPhase, listPublished: Bool, reason: String?
    ) throws(AllocationError) -> ApplicationState {
        switch action {
        case .review, .reject:
            guard actor.role == .officer || actor.role == .admin else {
                throw .forbidden("only officers and admins may \(action.rawValue) an application")
            }
            guard Access.covers(actor, district: district) else { throw .forbidden("this application belongs to district \(district)") }
        case .approve:
            guard actor.role == .admin else { throw .forbidden("only admins may approve an application (复审)") }
        case .withdraw:
            guard actor.role == .vendor, actor.vendorId == ownVendorId else { throw .forbidden("only the applicant may withdraw his application") }
        }
        let trimmed = reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if action == .reject, trimmed.isEmpty {
            throw .invalid(ValidationError(field: "reason", message: "a rejection needs a reason the vendor can read"))
        }
        if trimmed.count > 500 { throw .invalid(ValidationError(field: "reason", message: "reason must have at most 500 characters")) }
        guard phase == .applicationsOpen || phase == .review, !listPublished else {
            throw .conflict(code: "PHASE", message: "the list of qualified applications is published: applications no longer change")
        }
        guard let target = target(of: action, from: state) else {
            throw .conflict(code: "CONFLICT", message: "an application that is \(state.rawValue) cannot be \(action.rawValue)ed")
        }
        return target
    }

    /// `SQ2027-000123`: readable, and the draw's message for the application's lot.
    public static func applicationNumber(season: Int, sequence: Int) -> String {
        "SQ\(season)-" + zeroPadded(sequence, width: 6)
    }

    /// `HB2027-00012`: a waitlist offer (候补).
    public static func offerNumber(season: Int, sequence: Int) -> String {
        "HB\(season)-" + zeroPadded(sequence, width: 5)
    }

    public static func objectionNumber(season: Int, sequence: Int) -> String {
        "YY\(season)-" + zeroPadded(sequence, width: 4)
    }
}

/// The bureau's steps through a season's allocation.
public enum SeasonAction: String, Sendable, Hashable, Codable, CaseIterable {
    /// planning → applications_open, with the window's dates.
    case openApplications = "open_applications"
    /// applications_open → review, once the window's last day has passed.
    case closeApplications = "close_applications"
    /// In review, once every application is decided: the list and the seed's commitment are published.
    case publishList = "publish_list"
    /// review → drawn: the seed revealed, the draw run.
    case draw
    /// drawn → notice (公示) for the season's notice days.
    case startNotice = "start_notice"
    /// notice → allocated: once the notice is over and every objection answered, every permit issued.
    case allocate
    /// allocated → in_season.
    case startSeason = "start_season"
    /// in_season → closed, after the season's last day.
    case closeSeason = "close_season"
}

public enum SeasonWorkflow {
    /// What a step needs beyond the phase, as the service finds it.
    public struct Facts: Sendable {
        public var today: LocalDate
        public var listPublished: Bool
        public var applicationsAwaitingReview: Int
        public var openObjections: Int

        public init(today: LocalDate, listPublished: Bool, applicationsAwaitingReview: Int, openObjections: Int) {
            self.today = today
            self.listPublished = listPublished
            self.applicationsAwaitingReview = applicationsAwaitingReview
            self.openObjections = openObjections
        }
    }

    /// The phase a step leads to (the same phase for `publish_list`), or why not (409).
    public static func decide(_ action: SeasonAction, plan: SeasonPlan, facts: Facts) throws(AllocationError) -> SeasonPhase {
        func phase(_ expected: SeasonPhase) throws(AllocationError) {
            guard plan.phase == expected else {
                throw .conflict(
                    code: "PHASE", message: "the \(plan.year) season is \(plan.phase.rawValue); \(action.rawValue) needs it \(expected.rawValue)",
                    details: ["phase": plan.phase.rawValue])
            }
        }
        switch action {
        case .openApplications:
            try phase(.planning)
            guard plan.applicationsOpenOn != nil, plan.applicationsCloseOn != nil else {
                throw .invalid(ValidationError(field: "closes_on", message: "give the window's last day (closes_on)"))
            }
            return .applicationsOpen
        case .closeApplications:
            try phase(.applicationsOpen)
            if let closes = plan.applicationsCloseOn, facts.today <= closes {
                throw .conflict(
                    code: "PHASE", message: "the window is open until \(closes); it closes after its last day",
                    details: ["closes_on": closes.description])
            }
            return .review
        case .publishList:
            try phase(.review)
            guard !facts.listPublished else { throw .conflict(code: "PHASE", message: "the list is published already") }
            guard facts.applicationsAwaitingReview == 0 else {
                throw .conflict(
                    code: "PHASE", message: "\(facts.applicationsAwaitingReview) applications still await review (初审/复审); decide them first")
            }
            return .review
        case .draw:
            try phase(.review)
            guard facts.listPublished else { throw .conflict(code: "PHASE", message: "publish the list and the commitment before the draw") }
            return .drawn
        case .startNotice:
            try phase(.drawn)
            return .notice
        case .allocate:
            try phase(.notice)
            if let ends = plan.noticeEndsOn, facts.today <= ends {
                throw .conflict(
                    code: "PHASE", message: "the notice (公示) runs until \(ends); permits are issued after it",
                    details: ["notice_ends_on": ends.description])
            }
            guard facts.openObjections == 0 else {
                throw .conflict(code: "PHASE", message: "\(facts.openObjections) objections are not answered yet")
            }
            return .allocated
        case .startSeason:
            try phase(.allocated)
            return .inSeason
        case .closeSeason:
            try phase(.inSeason)
            guard facts.today > plan.season.endsOn else {
                throw .conflict(code: "PHASE", message: "the season runs until \(plan.season.endsOn)")
            }
            return .closed
        }
    }

    /// Checks a window the bureau sets: within the year before the season starts, at least one day.
    public static func validateWindow(opensOn: LocalDate, closesOn: LocalDate, season: Season) throws(AllocationError) {
        guard opensOn <= closesOn else { throw .invalid(ValidationError(field: "closes_on", message: "the window must close on or after it opens")) }
        guard closesOn < season.startsOn else {
            throw .invalid(ValidationError(field: "closes_on", message: "the window must close before the season starts on \(season.startsOn)"))
        }
    }
}

/// A family helper (家庭帮手) as the vendor names him: up to two a permit, reviewed with the application.
public struct HelperDraft: Sendable, Hashable {
    public var name: String
    public var idCardNo: String
    /// 配偶, 子女, 父母…
    public var relation: String

    public init(name: String, idCardNo: String, relation: String) {
        self.name = name
        self.idCardNo = idCardNo
        self.relation = relation
    }

    public static let maxPerPermit = 2
}

/// Who an inspection found selling at the stall (人证位相符).
public enum AtStall: String, Sendable, Hashable, Codable, CaseIterable {
    case holder
    /// A helper registered on the permit.
    case helper
    /// Someone else: the permit, the person and the stall do not match.
    case other

    /// The violations an inspection records: someone else at the stall is `person_permit_slot_mismatch`.
    public static func violations(_ given: [ViolationCode], found: AtStall?) -> [ViolationCode] {
        guard found == .other, !given.contains(.personPermitSlotMismatch) else { return given }
        return given + [.personPermitSlotMismatch]
    }
}

/// What a vendor asks for in his application, checked.
public struct ApplicationRequest: Sendable, Hashable {
    /// Site IDs, first choice first.
    public var preferences: [String]
    public var asksRenewal: Bool
    /// The household's declared priority (for example 脱贫户), verified by the squad at review.
    public var priorityClaim: String?
    /// ID-card numbers of the household's other members (one application per household).
    public var householdIdCards: [String]
    public var produce: [String]
    public var expectedKg: Double
    public var vehiclePlate: String?
    public var helpers: [HelperDraft]

    public init(
        preferences: [String], asksRenewal: Bool, priorityClaim: String?, householdIdCards: [String], produce: [String], expectedKg: Double,
        vehiclePlate: String?, helpers: [HelperDraft] = []
    ) {
        self.preferences = preferences
        self.asksRenewal = asksRenewal
        self.priorityClaim = priorityClaim
        self.householdIdCards = householdIdCards
        self.produce = produce
        self.expectedKg = expectedKg
        self.vehiclePlate = vehiclePlate
        self.helpers = helpers
    }

    public static let maxHouseholdMembers = 10

    /// The request with its preferences cleaned: at least one, at most `maxPreferences`, each once.
    public static func validate(_ request: ApplicationRequest, maxPreferences: Int) throws(AllocationError) -> ApplicationRequest {
        var clean = request
        clean.preferences = request.preferences.map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.filter { !$0.isEmpty }
        guard !clean.preferences.isEmpty || request.asksRenewal else {
            throw .invalid(ValidationError(field: "preferences", message: "name at least one site, your first choice first"))
        }
        guard clean.preferences.count <= maxPreferences else {
            throw .invalid(ValidationError(field: "preferences", message: "name at most \(maxPreferences) sites this season"))
        }
        guard Set(clean.preferences).count == clean.preferences.count else {
            throw .invalid(ValidationError(field: "preferences", message: "name each site once"))
        }
        clean.householdIdCards = request.householdIdCards.map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.filter { !$0.isEmpty }
        guard clean.householdIdCards.count <= maxHouseholdMembers else {
            throw .invalid(ValidationError(field: "household_id_cards", message: "list at most \(maxHouseholdMembers) household members"))
        }
        for card in clean.householdIdCards where !VendorRules.isResidentIdNumber(card) {
            throw .invalid(
                ValidationError(field: "household_id_cards", message: "each household member's ID must be an 18-character resident ID number"))
        }
        let claim = request.priorityClaim?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard claim.count <= 100 else {
            throw .invalid(ValidationError(field: "priority_claim", message: "priority_claim has at most 100 characters"))
        }
        clean.priorityClaim = claim.isEmpty ? nil : claim
        guard request.helpers.count <= HelperDraft.maxPerPermit else {
            throw .invalid(ValidationError(field: "helpers", message: "a permit registers at most \(HelperDraft.maxPerPermit) family helpers"))
        }
        clean.helpers = []
        for helper in request.helpers {
            let name = helper.name.trimmingCharacters(in: .whitespaces)
            let relation = helper.relation.trimmingCharacters(in: .whitespaces)
            let card = helper.idCardNo.trimmingCharacters(in: .whitespaces).uppercased()
            guard (2...20).contains(name.count), (1...10).contains(relation.count), VendorRules.isResidentIdNumber(card) else {
                throw .invalid(
                    ValidationError(
                        field: "helpers", message: "each helper needs a name, a relation (such as 配偶) and an 18-character resident ID number"))
            }
            clean.helpers.append(HelperDraft(name: name, idCardNo: card, relation: relation))
        }
        return clean
    }
}
