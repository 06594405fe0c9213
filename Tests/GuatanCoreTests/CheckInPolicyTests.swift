import Foundation
import GuatanCore
import Testing

@Suite("Check-in rules (出摊打卡)")
struct CheckInPolicyTests {
    static let slot = Coordinate(lat: 36.0611, lng: 103.8343)
    static let season = Season.standard(year: 2026)

    static func subject(
        state: PermitState = .issued, season: Season = season, opens: String = "06:00", closes: String = "22:00", points: Int = 12,
        radius: Double = 100
    ) -> CheckInSubject {
        CheckInSubject(
            permitState: state, season: season, siteOpensAt: LocalTime(opens)!, siteClosesAt: LocalTime(closes)!, slotPosition: slot,
            geofence: Geofence(radiusM: radius), pointsBalance: points)
    }

    /// An instant in Asia/Shanghai.
    static func at(_ date: String, _ time: String) -> Date {
        BusinessTime.instant(of: LocalDate(date)!, at: LocalTime(time)!)
    }

    /// A point `metres` north of the slot.
    static func north(_ metres: Double) -> Coordinate {
        Coordinate(lat: slot.lat + metres / 111_194.93, lng: slot.lng)
    }

    static let morning = at("2026-07-15", "09:00")

    static func refusal(
        _ subject: CheckInSubject?, _ position: ReportedPosition? = ReportedPosition(coordinate: slot, accuracyM: 10), at instant: Date = morning
    ) -> CheckInRefusal? {
        CheckInPolicy.decide(subject: subject, position: position, previous: nil, at: instant).refusal
    }

    @Test("a vendor at his slot with an issued permit in season and hours is accepted, with his distance")
    func accepted() {
        let decision = CheckInPolicy.decide(
            subject: Self.subject(), position: ReportedPosition(coordinate: Self.north(30), accuracyM: 10), previous: nil, at: Self.morning)
        #expect(decision.accepted)
        #expect(abs(decision.distanceM! - 30) < 0.5)
        #expect(!decision.flaggedForReview)
    }

    @Test("every refusal code, each when it is the only thing wrong")
    func everyCode() {
        #expect(Self.refusal(nil) == .noPermit)
        for state in PermitState.allCases where state != .issued {
            #expect(Self.refusal(Self.subject(state: state)) == .permitNotActive, "\(state)")
        }
        #expect(Self.refusal(Self.subject(), at: Self.at("2026-06-14", "09:00")) == .outOfSeason)
        #expect(Self.refusal(Self.subject(), at: Self.at("2026-07-15", "05:59")) == .outsideHours)
        #expect(Self.refusal(Self.subject(points: 0)) == .pointsExhausted)
        #expect(Self.refusal(Self.subject(), ReportedPosition(coordinate: Self.slot, accuracyM: 101)) == .poorAccuracy)
        #expect(Self.refusal(Self.subject(), ReportedPosition(coordinate: Self.slot, accuracyM: nil)) == .poorAccuracy)
        #expect(Self.refusal(Self.subject(), ReportedPosition(coordinate: Self.slot, accuracyM: -1)) == .poorAccuracy)
        #expect(Self.refusal(Self.subject(), ReportedPosition(coordinate: Self.slot, accuracyM: .nan)) == .poorAccuracy)
        #expect(Self.refusal(Self.subject(), ReportedPosition(coordinate: Self.north(500), accuracyM: 10)) == .tooFar)
        #expect(Self.refusal(Self.subject(), nil) == .poorAccuracy)
    }

    @Test("when several things are wrong, the first code in API.md's order is given")
    func order() {
        let far = ReportedPosition(coordinate: Self.north(5_000), accuracyM: 500)
        let night = Self.at("2026-05-01", "23:30")
        #expect(Self.refusal(nil, far, at: night) == .noPermit)
        #expect(Self.refusal(Self.subject(state: .suspended, points: 0), far, at: night) == .permitNotActive)
        #expect(Self.refusal(Self.subject(points: 0), far, at: night) == .outOfSeason)
        #expect(Self.refusal(Self.subject(points: 0), far, at: Self.at("2026-07-15", "23:30")) == .outsideHours)
        #expect(Self.refusal(Self.subject(points: 0), far) == .pointsExhausted)
        #expect(Self.refusal(Self.subject(), far) == .poorAccuracy)
        #expect(Self.refusal(Self.subject(), ReportedPosition(coordinate: Self.north(5_000), accuracyM: 100)) == .tooFar)
    }

    @Test("season boundaries: first and last day inclusive; after the season the permit has expired")
    func seasonBoundaries() {
        #expect(Self.refusal(Self.subject(), at: Self.at("2026-06-15", "06:00")) == nil)
        #expect(Self.refusal(Self.subject(), at: Self.at("2026-10-15", "21:59")) == nil)
        #expect(Self.refusal(Self.subject(), at: Self.at("2026-06-14", "21:00")) == .outOfSeason)
        // An issued permit lapses by itself once the season is over (API.md's order puts that first).
        #expect(Self.refusal(Self.subject(), at: Self.at("2026-10-16", "09:00")) == .permitNotActive)
    }

    @Test("hours: opening minute inclusive, closing minute exclusive, narrowed by the site's own hours")
    func hours() {
        #expect(Self.refusal(Self.subject(), at: Self.at("2026-07-15", "06:00")) == nil)
        #expect(Self.refusal(Self.subject(), at: Self.at("2026-07-15", "21:59")) == nil)
        #expect(Self.refusal(Self.subject(), at: Self.at("2026-07-15", "22:00")) == .outsideHours)
        let site = Self.subject(opens: "08:00", closes: "20:00")
        #expect(Self.refusal(site, at: Self.at("2026-07-15", "07:59")) == .outsideHours)
        #expect(Self.refusal(site, at: Self.at("2026-07-15", "20:00")) == .outsideHours)
        let shortSeason = try! Season(
            year: 2026, startsOn: LocalDate("2026-06-15")!, endsOn: LocalDate("2026-10-15")!, opensAt: LocalTime("07:00")!,
            closesAt: LocalTime("21:00")!)
        #expect(Self.refusal(Self.subject(season: shortSeason), at: Self.at("2026-07-15", "06:30")) == .outsideHours)
    }

    @Test("the hours are Asia/Shanghai's whatever the instant's representation: 00:30 UTC is 08:30 in Lanzhou")
    func timeZone() {
        let instant = BusinessTime.parseInstant("2026-07-15T00:30:00Z")!
        #expect(Self.refusal(Self.subject(opens: "08:00"), at: instant) == nil)
        let lateUTC = BusinessTime.parseInstant("2026-07-15T14:30:00Z")!  // 22:30 in Lanzhou
        #expect(Self.refusal(Self.subject(), at: lateUTC) == .outsideHours)
    }

    @Test("geofence: radius plus accuracy up to 50 m, boundaries included")
    func geofence() {
        let fence = Geofence.standard
        #expect(fence.accepts(distanceM: 100, accuracyM: 0))
        #expect(!fence.accepts(distanceM: 100.01, accuracyM: 0))
        #expect(fence.accepts(distanceM: 130, accuracyM: 30))
        #expect(!fence.accepts(distanceM: 130.01, accuracyM: 30))
        #expect(fence.accepts(distanceM: 150, accuracyM: 100))
        #expect(!fence.accepts(distanceM: 150.01, accuracyM: 100))
        #expect(Self.refusal(Self.subject(), ReportedPosition(coordinate: Self.north(145), accuracyM: 50)) == nil)
        #expect(Self.refusal(Self.subject(), ReportedPosition(coordinate: Self.north(155), accuracyM: 50)) == .tooFar)
        #expect(Self.refusal(Self.subject(), ReportedPosition(coordinate: Self.north(125), accuracyM: 20)) == .tooFar)
        #expect(Self.refusal(Self.subject(), ReportedPosition(coordinate: Self.north(100), accuracyM: 100)) == nil)
        // A site with a tighter fence.
        #expect(Self.refusal(Self.subject(radius: 30), ReportedPosition(coordinate: Self.north(50), accuracyM: 10)) == .tooFar)
    }

    @Test("a GCJ-02 fix read off a Chinese map SDK at the slot is accepted once converted, refused if taken raw")
    func gcj02() {
        let gcj = Geodesy.wgs84ToGCJ02(Self.slot)
        let converted = CoordinateSystem.gcj02.toWGS84(gcj)
        #expect(Self.refusal(Self.subject(), ReportedPosition(coordinate: converted, accuracyM: 10)) == nil)
        // Taken as WGS-84 the same numbers are hundreds of metres off: the conversion matters.
        #expect(Self.refusal(Self.subject(), ReportedPosition(coordinate: gcj, accuracyM: 10)) == .tooFar)
    }

    @Test("an officer on the vendor's behalf skips the position rules but not the others")
    func onBehalf() {
        #expect(CheckInPolicy.decide(subject: Self.subject(), position: nil, onBehalf: true, previous: nil, at: Self.morning).accepted)
        #expect(
            CheckInPolicy.decide(subject: Self.subject(state: .suspended), position: nil, onBehalf: true, previous: nil, at: Self.morning)
                .refusal == .permitNotActive)
        #expect(
            CheckInPolicy.decide(subject: Self.subject(points: 0), position: nil, onBehalf: true, previous: nil, at: Self.morning)
                .refusal == .pointsExhausted)
        #expect(
            CheckInPolicy.decide(subject: Self.subject(), position: nil, onBehalf: true, previous: nil, at: Self.at("2026-07-15", "23:00"))
                .refusal == .outsideHours)
    }

    @Test("a fix implying more than 120 km/h since the previous attempt is flagged, never refused on that alone")
    func travelFlag() {
        let earlier = PreviousAttempt(
            at: Self.morning.addingTimeInterval(-60), position: ReportedPosition(coordinate: Self.north(5_000), accuracyM: 10))
        let here = ReportedPosition(coordinate: Self.slot, accuracyM: 10)
        let fast = CheckInPolicy.decide(subject: Self.subject(), position: here, previous: earlier, at: Self.morning)
        #expect(fast.accepted)
        #expect(fast.flaggedForReview)
        #expect(fast.impliedSpeedKmh! > 290)

        // Five km in five minutes is 60 km/h: a farmer's truck, not a flag.
        let slower = PreviousAttempt(at: Self.morning.addingTimeInterval(-300), position: earlier.position)
        #expect(!CheckInPolicy.decide(subject: Self.subject(), position: here, previous: slower, at: Self.morning).flaggedForReview)

        // GPS jitter between two fixes a second apart is within their accuracies: no flag.
        let jitter = PreviousAttempt(
            at: Self.morning.addingTimeInterval(-1), position: ReportedPosition(coordinate: Self.north(40), accuracyM: 25))
        #expect(!CheckInPolicy.decide(subject: Self.subject(), position: here, previous: jitter, at: Self.morning).flaggedForReview)

        // Flagged even when refused for another reason: the attempt is stored with its flag.
        let refused = CheckInPolicy.decide(subject: Self.subject(points: 0), position: here, previous: earlier, at: Self.morning)
        #expect(refused.refusal == .pointsExhausted)
        #expect(refused.flaggedForReview)
    }

    @Test("the monthly points balance never goes below zero")
    func scoring() {
        #expect(Scoring.balance(deducted: 0) == 12)
        #expect(Scoring.balance(deducted: 11) == 1)
        #expect(Scoring.balance(deducted: 12) == 0)
        #expect(Scoring.balance(deducted: 30) == 0)
        #expect(Scoring.month(of: LocalDate("2026-07-15")!) == "2026-07")
    }
}
