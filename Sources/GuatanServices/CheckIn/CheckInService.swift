import Foundation
import GuatanCore
import GuatanStoreInterface

/// The vendor's daily check-in (出摊打卡), an officer's check-in on his behalf, and the
/// check-out: the permit of the day and what the rules need are read, CheckInPolicy decides,
/// and the attempt (accepted or not) and the check-in are written in one batched transaction.
public struct CheckInService: Sendable {
    let store: any WorkflowStore

    public init(store: any WorkflowStore) {
        self.store = store
    }

    public func checkIn(vendorId: String, position: ReportedPosition?, inputCRS: CoordinateSystem, at: Date) async throws -> CheckInOutcome {
        try await store.batchedTransaction { tx in
            let day = BusinessTime.localDate(of: at)
            let permit = PermitState.permitOfTheDay(try tx.permitPlaces(vendorId: vendorId, season: day.year), state: \.state)
            var attempt = CheckInAttemptRow(
                vendorId: vendorId, permitNumber: permit?.number, at: at, day: day, position: position, inputCRS: inputCRS.rawValue,
                method: .vendor, actor: "vendor:\(vendorId)", reason: nil, outcome: "repeat")
            if let permit, let existing = try tx.checkIn(permitNumber: permit.number, on: day) {
                attempt.checkInId = existing.id
                try tx.recordAttempt(attempt)
                return .repeated(existing)
            }
            let previous = try tx.lastPositionedAttempt(vendorId: vendorId)
            let decision = CheckInPolicy.decide(
                subject: try permit.map { try Self.subject(tx, $0, on: day) }, position: position, previous: previous, at: at)
            return try Self.settle(tx, attempt, permit: permit, decision: decision)
        }
    }

    /// An officer's check-in for a vendor who cannot (a dead phone, no GPS), with his reason;
    /// officers of the permit's district only.
    public func checkIn(permitNumber: String, onBehalfBy officer: Account, reason: String, at: Date) async throws -> CheckInOutcome {
        _ = try Access.require(officer, roles: [.officer, .admin])
        return try await store.batchedTransaction { tx in
            guard let permit = try tx.permitPlace(number: permitNumber) else { throw StoreError.notFound("no permit \(permitNumber)") }
            try Access.requireDistrict(officer, permit.slot.district)
            let day = BusinessTime.localDate(of: at)
            var attempt = CheckInAttemptRow(
                vendorId: permit.vendorId, permitNumber: permitNumber, at: at, day: day, position: nil, inputCRS: nil, method: .officer,
                actor: "account:\(officer.username)", reason: reason, outcome: "repeat")
            if let existing = try tx.checkIn(permitNumber: permitNumber, on: day) {
                attempt.checkInId = existing.id
                try tx.recordAttempt(attempt)
                return .repeated(existing)
            }
            // The permit of another season is not today's permit: as for a vendor without one.
            let subject = permit.season == day.year ? try Self.subject(tx, permit, on: day) : nil
            let decision = CheckInPolicy.decide(subject: subject, position: nil, onBehalf: true, previous: nil, at: at)
            let outcome = try Self.settle(tx, attempt, permit: permit, decision: decision)
            if case .created(let checkIn) = outcome {
                try tx.audit(
                    actor: attempt.actor, action: "checkin.on_behalf", entity: "checkin", entityId: String(checkIn.id), before: nil,
                    after: ["permit_no": permitNumber, "business_date": day.description, "reason": reason], at: at)
            }
            return outcome
        }
    }

    public func checkOut(vendorId: String, at: Date) async throws -> CheckIn {
        try await store.batchedTransaction { tx in
            let day = BusinessTime.localDate(of: at)
            guard let permit = PermitState.permitOfTheDay(try tx.permitPlaces(vendorId: vendorId, season: day.year), state: \.state),
                let existing = try tx.checkIn(permitNumber: permit.number, on: day)
            else {
                throw StoreError.notFound("no check-in today (\(day)) to close")
            }
            guard existing.checkedOutAt == nil else { return existing }
            try tx.closeCheckIn(id: existing.id, slotId: existing.slotId, at: at)
            var closed = existing
            closed.checkedOutAt = at
            return closed
        }
    }

    /// What the check-in rules need of a permit: its season's dates and hours, the site's hours,
    /// the geofence (the site's own radius, else the season's, else the standard) and this month's points.
    static func subject(_ tx: any StoreTransaction, _ permit: PermitPlace, on day: LocalDate) throws -> CheckInSubject {
        let season = try tx.season(year: permit.season)
        let radius = permit.siteGeofenceM ?? season?.geofenceRadiusM ?? Geofence.standard.radiusM
        let deducted = try tx.deductedPoints(permitNumber: permit.number)[Scoring.month(of: day)] ?? 0
        return CheckInSubject(
            permitState: permit.state, season: season?.season ?? Season.standard(year: permit.season), siteOpensAt: permit.siteOpensAt,
            siteClosesAt: permit.siteClosesAt, slotPosition: permit.slot.position, geofence: Geofence(radiusM: radius),
            pointsBalance: Scoring.balance(deducted: deducted))
    }

    /// Stores the attempt and, when the rules accepted it, the check-in.
    static func settle(
        _ tx: any StoreTransaction, _ attempt: CheckInAttemptRow, permit: PermitPlace?, decision: CheckInDecision
    ) throws -> CheckInOutcome {
        var attempt = attempt
        attempt.distanceM = decision.distanceM
        attempt.impliedSpeedKmh = decision.impliedSpeedKmh
        attempt.flagged = decision.flaggedForReview
        guard decision.accepted, let permit else {
            attempt.outcome = "refused"
            attempt.refusal = (decision.refusal ?? .noPermit).rawValue
            try tx.recordAttempt(attempt)
            return .refused(decision.refusal ?? .noPermit, distanceM: decision.distanceM, limits: decision.limits)
        }
        var checkIn = CheckIn(
            id: 0, permitNumber: permit.number, vendorId: permit.vendorId, slotId: permit.slot.slotId, district: permit.slot.district,
            businessDate: attempt.day, checkedInAt: attempt.at, checkedOutAt: nil, distanceM: decision.distanceM,
            accuracyM: attempt.position?.accuracyM, method: attempt.method, flaggedForReview: decision.flaggedForReview)
        checkIn.id = try tx.insertCheckIn(checkIn, position: attempt.position)
        attempt.outcome = "checked_in"
        attempt.checkInId = checkIn.id
        try tx.recordAttempt(attempt)
        return .created(checkIn)
    }
}
