import Foundation
import GuatanCore

public protocol CheckInStore: Sendable {
    /// A vendor's own check-ins, newest first, between two business dates inclusive.
    func checkIns(vendorId: String, from: LocalDate?, to: LocalDate?, page: PageRequest) async throws -> Page<CheckIn>
    /// A district's check-ins of a day (all districts when nil), optionally only those flagged for review.
    func checkIns(district: String?, on day: LocalDate, flaggedOnly: Bool, page: PageRequest) async throws -> Page<CheckIn>
    /// Points left this month on a permit.
    func pointsDeducted(permitNumber: String, month: String) async throws -> Int
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

    public init(
        at: Date, permitNumber: String? = nil, outcome: String, refusal: String? = nil, distanceM: Double? = nil, accuracyM: Double? = nil,
        impliedSpeedKmh: Double? = nil, flagged: Bool, method: String, actor: String
    ) {
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
