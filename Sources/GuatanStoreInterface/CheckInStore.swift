import Foundation
import GuatanCore

public protocol CheckInStore: Sendable {
    /// A vendor's check-in by phone for the business day of `at`; every attempt is stored.
    func checkIn(vendorId: String, position: ReportedPosition?, inputCRS: CoordinateSystem, at: Date) async throws -> CheckInOutcome
    /// An officer checks a vendor in on his behalf (phone broken, no signal): audited with the reason.
    /// `.notFound` for an unknown permit, `PermitError.forbidden` outside the officer's district.
    func checkIn(permitNumber: String, onBehalfBy officer: Account, reason: String, at: Date) async throws -> CheckInOutcome
    /// 收摊: closes today's check-in; a second check-out changes nothing. `.notFound` before any check-in today.
    func checkOut(vendorId: String, at: Date) async throws -> CheckIn
    /// A vendor's own check-ins, newest first, between two business dates inclusive.
    func checkIns(vendorId: String, from: LocalDate?, to: LocalDate?, page: PageRequest) async throws -> Page<CheckIn>
    /// A district's check-ins of a day (all districts when nil), optionally only those flagged for review.
    func checkIns(district: String?, on day: LocalDate, flaggedOnly: Bool, page: PageRequest) async throws -> Page<CheckIn>
    /// Points left this month on a permit.
    func pointsBalance(permitNumber: String, on day: LocalDate) async throws -> Int
    /// Deducts points from a permit's balance for a month (a violation's cost).
    func deductPoints(permitNumber: String, month: String, points: Int, code: String, at: Date) async throws
    /// Every attempt of a vendor, oldest first: what the phone said and what was decided.
    func checkInAttempts(vendorId: String) async throws -> [CheckInAttemptRecord]
}

/// One stored check-in attempt.
public struct CheckInAttemptRecord: Sendable, Hashable {
    public var at: Date
    public var permitNumber: String?
    /// `checked_in`, `repeat` or `refused`.
    public var outcome: String
    public var refusal: String?
    public var distanceM: Double?
    public var accuracyM: Double?
    public var impliedSpeedKmh: Double?
    public var flagged: Bool
    public var method: String
    public var actor: String

    public init(at: Date, permitNumber: String? = nil, outcome: String, refusal: String? = nil, distanceM: Double? = nil, accuracyM: Double? = nil, impliedSpeedKmh: Double? = nil, flagged: Bool, method: String, actor: String) {
        self.at = at
        self.permitNumber = permitNumber
        self.outcome = outcome
        self.refusal = refusal
        self.distanceM = distanceM
        self.accuracyM = accuracyM
        self.impliedSpeedKmh = impliedSpeedKmh
        self.flagged = flagged
        self.method = method
        self.actor = actor
    }
}
