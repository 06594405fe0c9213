import Foundation

/// Why a check-in (出摊打卡) was refused; API.md fixes the codes and the order they are
/// checked in, which is the order of the cases here.
public enum CheckInRefusal: String, Error, Sendable, Hashable, Codable, CaseIterable {
    case noPermit = "NO_PERMIT"
    case permitNotActive = "PERMIT_NOT_ACTIVE"
    case outOfSeason = "OUT_OF_SEASON"
    case outsideHours = "OUTSIDE_HOURS"
    case pointsExhausted = "POINTS_EXHAUSTED"
    case poorAccuracy = "POOR_ACCURACY"
    case tooFar = "TOO_FAR"

    public var message: String {
        switch self {
        case .noPermit: "you hold no permit for this season"
        case .permitNotActive: "your permit is not in force (issued) today"
        case .outOfSeason: "today is outside the season"
        case .outsideHours: "stalls are closed at this hour"
        case .pointsExhausted: "your permit has no points left this month; check-in opens again on the first day of next month"
        case .poorAccuracy: "the position is not accurate enough; wait for a better GPS fix (accuracy_m at most 100)"
        case .tooFar: "you are too far from your slot"
        }
    }
}

/// Where a check-in must happen: the geofence around the slot and the accuracy accepted.
public struct Geofence: Sendable, Hashable {
    /// Radius around the slot, in metres (default 100; configurable per season or site).
    public var radiusM: Double
    /// At most this much of the reported accuracy is added to the radius.
    public var accuracyAllowanceCapM: Double
    /// A fix worse than this is refused outright.
    public var maxAccuracyM: Double

    public static let standard = Geofence(radiusM: 100, accuracyAllowanceCapM: 50, maxAccuracyM: 100)

    public init(radiusM: Double, accuracyAllowanceCapM: Double = 50, maxAccuracyM: Double = 100) {
        self.radiusM = radiusM
        self.accuracyAllowanceCapM = accuracyAllowanceCapM
        self.maxAccuracyM = maxAccuracyM
    }

    /// Accepted when `distance ≤ radius + min(accuracy, 50)`.
    public func accepts(distanceM: Double, accuracyM: Double) -> Bool {
        distanceM <= radiusM + min(accuracyM, accuracyAllowanceCapM)
    }
}

/// The 12-point monthly balance of a permit (记分): violations deduct points; at 0 the
/// permit may not trade until the month ends.
public enum Scoring {
    public static let monthlyPoints = 12

    public static func balance(deducted: Int) -> Int {
        max(0, monthlyPoints - deducted)
    }

    /// The month a business date counts against: `YYYY-MM`.
    public static func month(of date: LocalDate) -> String {
        String(date.description.prefix(7))
    }
}

/// A position reported by the vendor's phone, already converted to WGS-84.
public struct ReportedPosition: Sendable, Hashable {
    public var coordinate: Coordinate
    public var accuracyM: Double?

    public init(coordinate: Coordinate, accuracyM: Double?) {
        self.coordinate = coordinate
        self.accuracyM = accuracyM
    }
}

/// The vendor's previous attempt, for the travel-speed flag.
public struct PreviousAttempt: Sendable, Hashable {
    public var at: Date
    public var position: ReportedPosition

    public init(at: Date, position: ReportedPosition) {
        self.at = at
        self.position = position
    }
}

/// What the rules need to know about the permit being checked in.
public struct CheckInSubject: Sendable, Hashable {
    public var permitState: PermitState
    public var season: Season
    /// The site's own daily hours; the stall trades only when both the season and the site allow.
    public var siteOpensAt: LocalTime
    public var siteClosesAt: LocalTime
    public var slotPosition: Coordinate
    public var geofence: Geofence
    /// Points left this month (see `Scoring`).
    public var pointsBalance: Int

    public init(
        permitState: PermitState, season: Season, siteOpensAt: LocalTime, siteClosesAt: LocalTime, slotPosition: Coordinate,
        geofence: Geofence, pointsBalance: Int
    ) {
        self.permitState = permitState
        self.season = season
        self.siteOpensAt = siteOpensAt
        self.siteClosesAt = siteClosesAt
        self.slotPosition = slotPosition
        self.geofence = geofence
        self.pointsBalance = pointsBalance
    }

    public var opensAt: LocalTime { max(season.opensAt, siteOpensAt) }
    public var closesAt: LocalTime { min(season.closesAt, siteClosesAt) }
}

/// The outcome of the rules for one attempt; every attempt is recorded with it.
public struct CheckInDecision: Sendable, Hashable {
    public var refusal: CheckInRefusal?
    /// Distance from the slot in metres, when a position was given.
    public var distanceM: Double?
    /// Speed implied since the vendor's previous attempt, when there was one.
    public var impliedSpeedKmh: Double?
    /// Flagged for an officer's review (never a refusal on its own).
    public var flaggedForReview: Bool
    /// What a vendor needs to understand a refusal: how far is allowed, when the hours are.
    public var limits: CheckInLimits?

    public var accepted: Bool { refusal == nil }
}

/// The limits a check-in was held to, told back with a refusal so the vendor's page can say
/// "you are 340 m away; within 150 m is accepted" or "stalls open 06:00–22:00".
public struct CheckInLimits: Sendable, Hashable {
    /// The distance accepted for the accuracy given: radius + min(accuracy, cap).
    public var allowedDistanceM: Double?
    public var opensAt: LocalTime
    public var closesAt: LocalTime

    public init(allowedDistanceM: Double?, opensAt: LocalTime, closesAt: LocalTime) {
        self.allowedDistanceM = allowedDistanceM
        self.opensAt = opensAt
        self.closesAt = closesAt
    }
}

/// The check-in rules (出摊打卡): a pure function of the permit, the position, the previous
/// attempt and the server's instant. The client's clock never decides.
public enum CheckInPolicy {
    /// Faster than this since the previous attempt means the position deserves a look.
    public static let maxPlausibleSpeedKmh = 120.0

    /// How a vendor's check-in is decided. `subject` is nil when the vendor holds no permit
    /// for the season; `position` is nil for an officer checking a vendor in on his behalf,
    /// who vouches for the place in person (the accuracy and geofence rules then do not apply).
    public static func decide(
        subject: CheckInSubject?, position: ReportedPosition?, onBehalf: Bool = false, previous: PreviousAttempt?, at instant: Date
    ) -> CheckInDecision {
        let distance = subject.flatMap { subject in position.map { Geodesy.distance($0.coordinate, subject.slotPosition) } }
        let speed = position.flatMap { position in previous.map { impliedSpeedKmh(from: $0, to: position, at: instant) } }
        let flagged = (speed ?? 0) > maxPlausibleSpeedKmh
        let refusal = firstRefusal(subject: subject, position: position, onBehalf: onBehalf, distance: distance, at: instant)
        let limits = subject.map { subject in
            CheckInLimits(
                allowedDistanceM: position?.accuracyM.flatMap { accuracy in
                    accuracy.isFinite && accuracy >= 0
                        ? subject.geofence.radiusM + min(accuracy, subject.geofence.accuracyAllowanceCapM) : nil
                },
                opensAt: subject.opensAt, closesAt: subject.closesAt)
        }
        return CheckInDecision(refusal: refusal, distanceM: distance, impliedSpeedKmh: speed, flaggedForReview: flagged, limits: limits)
    }

    private static func firstRefusal(
        subject: CheckInSubject?, position: ReportedPosition?, onBehalf: Bool, distance: Double?, at instant: Date
    ) -> CheckInRefusal? {
        guard let subject else { return .noPermit }
        let day = BusinessTime.localDate(of: instant)
        let state = PermitWorkflow.effectiveState(subject.permitState, season: subject.season, on: day)
        guard state == .issued else { return .permitNotActive }
        guard subject.season.contains(day) else { return .outOfSeason }
        let time = BusinessTime.localTime(of: instant)
        guard subject.opensAt <= time, time < subject.closesAt else { return .outsideHours }
        guard subject.pointsBalance > 0 else { return .pointsExhausted }
        if onBehalf { return nil }
        guard let position, let accuracy = position.accuracyM, accuracy.isFinite, accuracy >= 0,
            accuracy <= subject.geofence.maxAccuracyM
        else { return .poorAccuracy }
        guard let distance, subject.geofence.accepts(distanceM: distance, accuracyM: accuracy) else { return .tooFar }
        return nil
    }

    /// The speed the two fixes imply, giving the vendor the benefit of both accuracies: only
    /// the distance beyond what GPS error could explain counts. A jump within the same
    /// second counts as taking one second.
    public static func impliedSpeedKmh(from previous: PreviousAttempt, to position: ReportedPosition, at instant: Date) -> Double {
        let raw = Geodesy.distance(previous.position.coordinate, position.coordinate)
        // Each fix's accuracy counts up to 100 m: a worse fix says little about where the phone was.
        let slack = min(previous.position.accuracyM ?? 0, 100) + min(position.accuracyM ?? 0, 100)
        let metres = max(0, raw - max(0, slack))
        let seconds = max(1, instant.timeIntervalSince(previous.at))
        return metres / seconds * 3.6
    }
}

/// How a check-in came about: the vendor's own phone at the stall, or an officer on his behalf.
public enum CheckInMethod: String, Sendable, Hashable, Codable {
    case vendor
    case officer
}

/// One day's check-in (出摊) of a permit, closed by the check-out (收摊).
public struct CheckIn: Sendable, Hashable {
    public var id: Int64
    public var permitNumber: String
    public var vendorId: String
    public var slotId: String
    public var district: String
    public var businessDate: LocalDate
    public var checkedInAt: Date
    public var checkedOutAt: Date?
    /// Distance from the slot when checked in by phone; nil when an officer vouched.
    public var distanceM: Double?
    public var accuracyM: Double?
    public var method: CheckInMethod
    public var flaggedForReview: Bool

    public init(
        id: Int64, permitNumber: String, vendorId: String, slotId: String, district: String, businessDate: LocalDate, checkedInAt: Date,
        checkedOutAt: Date?, distanceM: Double?, accuracyM: Double?, method: CheckInMethod, flaggedForReview: Bool
    ) {
        self.id = id
        self.permitNumber = permitNumber
        self.vendorId = vendorId
        self.slotId = slotId
        self.district = district
        self.businessDate = businessDate
        self.checkedInAt = checkedInAt
        self.checkedOutAt = checkedOutAt
        self.distanceM = distanceM
        self.accuracyM = accuracyM
        self.method = method
        self.flaggedForReview = flaggedForReview
    }

    /// What the stall shows today once checked in.
    public var status: StallStatus { checkedOutAt == nil ? .open : .closedForDay }
}

/// What a check-in attempt came to.
public enum CheckInOutcome: Sendable, Hashable {
    /// The first check-in of the day (201).
    case created(CheckIn)
    /// Already checked in today: the same record, nothing changed (200).
    case repeated(CheckIn)
    /// Refused (422); the attempt is stored all the same.
    case refused(CheckInRefusal, distanceM: Double?, limits: CheckInLimits?)
}
