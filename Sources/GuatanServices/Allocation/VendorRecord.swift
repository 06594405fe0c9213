import Foundation
import GuatanCore
import GuatanStoreInterface

/// A vendor's record across seasons: what renewal and a bar look back on, as he and the bureau see it.
public struct VendorSeasonRecord: Sendable, Hashable {
    public var season: Int
    public var permitNumber: String
    public var slotId: String
    /// The state as it stands today (an issued permit of a past season is expired).
    public var state: PermitState
    public var checkInDays: Int
    /// Days checked in over the season's days from the day the permit was issued.
    public var checkInShare: Double
    public var pointsDeducted: Int
    public var monthsAtZeroPoints: Int
}

public struct VendorRecordView: Sendable, Hashable {
    public var vendorId: String
    public var seasons: [VendorSeasonRecord]
    public var bars: [VendorBar]
    /// Warnings that an idle slot will be taken back.
    public var warnings: [IdleWarning]
}

extension AllocationService {
    /// Seasons worked, the share of days checked in, points lost and months at zero, sanctions and bars.
    public func vendorRecord(vendorId: String, today: LocalDate) async throws -> VendorRecordView {
        try await store.transaction { tx in
            guard try tx.vendor(id: vendorId) != nil else { throw StoreError.notFound("no vendor \(vendorId)") }
            var seasons: [VendorSeasonRecord] = []
            for permit in try tx.permitHistory(vendorId: vendorId) {
                let season = try tx.seasonPlan(year: permit.season)?.season ?? Season.standard(year: permit.season)
                let from = max(season.startsOn, permit.issuedAt.map(BusinessTime.localDate(of:)) ?? season.startsOn)
                let until = min(season.endsOn, today)
                let days = max(until.daysSinceEpoch - from.daysSinceEpoch + 1, 1)
                let deducted = try tx.deductedPoints(permitNumber: permit.number)
                seasons.append(
                    VendorSeasonRecord(
                        season: permit.season, permitNumber: permit.number, slotId: permit.slotId,
                        state: PermitWorkflow.effectiveState(permit.state, season: season, on: today), checkInDays: permit.checkInDays,
                        checkInShare: min(1, Double(permit.checkInDays) / Double(days)), pointsDeducted: deducted.values.reduce(0, +),
                        monthsAtZeroPoints: Scoring.exhaustedMonths(deductedByMonth: deducted).count))
            }
            return VendorRecordView(
                vendorId: vendorId, seasons: seasons, bars: try tx.bars(vendorId: vendorId), warnings: try tx.idleWarnings(vendorId: vendorId))
        }
    }

    /// The bureau lifts a bar, with a reason (audited): the vendor may apply for that season again.
    public func liftBar(vendorId: String, season: Int, reason: String, by admin: Account, at: Date) async throws -> VendorRecordView {
        _ = try Access.require(admin, roles: [.admin])
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (2...500).contains(trimmed.count) else {
            throw ValidationError(field: "reason", message: "say why the bar is lifted, in 2 to 500 characters")
        }
        _ = try await store.transaction { tx in
            guard try tx.liftBar(vendorId: vendorId, season: season, reason: trimmed, by: "account:\(admin.username)", at: at) else {
                throw StoreError.notFound("vendor \(vendorId) is not barred from \(season)")
            }
            try tx.audit(
                actor: "account:\(admin.username)", action: "vendor.bar_lift", entity: "vendor", entityId: vendorId,
                before: ["season": String(season), "barred": "true"], after: ["season": String(season), "reason": trimmed], at: at)
        }
        return try await vendorRecord(vendorId: vendorId, today: BusinessTime.localDate(of: at))
    }
}

extension AllocationService {
    /// Days a warned vendor has to turn up before his idle slot may be taken back (default).
    public static let reclaimAfterDays = 3

    /// Warns the holder of an idle permit (the idle-permits list): he sees it on his page, and
    /// from `reclaim_on` the bureau may take the slot back if he has not checked in since.
    public func warnIdle(permitNumber: String, days: Int?, by admin: Account, at: Date) async throws -> IdleWarning {
        _ = try Access.require(admin, roles: [.admin])
        let days = days ?? Self.reclaimAfterDays
        guard (1...30).contains(days) else { throw ValidationError(field: "days", message: "days is 1 to 30") }
        return try await store.transaction { tx in
            guard let record = try tx.permitRecord(number: permitNumber) else { throw StoreError.notFound("no permit \(permitNumber)") }
            let today = BusinessTime.localDate(of: at)
            guard PermitWorkflow.effectiveState(record.permit.state, season: record.seasonDates, on: today) == .issued else {
                throw AllocationError.conflict(code: "CONFLICT", message: "only an issued permit in its season is warned")
            }
            let warning = IdleWarning(permitNumber: permitNumber, warnedAt: at, reclaimOn: today.adding(days: days))
            try tx.warnIdle(warning, by: "account:\(admin.username)")
            try tx.audit(
                actor: "account:\(admin.username)", action: "permit.idle_warning", entity: "permit", entityId: permitNumber, before: nil,
                after: ["reclaim_on": warning.reclaimOn.description], at: at)
            try tx.emit(
                .idleWarning, entity: "permit", entityId: permitNumber, district: record.permit.district,
                payload: [
                    "permit_no": permitNumber, "vendor_id": record.permit.vendorId, "slot_id": record.permit.slotId,
                    "reclaim_on": warning.reclaimOn.description,
                ], at: at)
            return warning
        }
    }

    /// Takes an idle slot back after its warning ran out with no check-in since: the permit is
    /// revoked with the reason, and the slot offered down the site's waitlist.
    public func reclaimIdle(permitNumber: String, by admin: Account, at: Date) async throws -> PermitRecord {
        _ = try Access.require(admin, roles: [.admin])
        return try await store.transaction { tx in
            guard let record = try tx.permitRecord(number: permitNumber) else { throw StoreError.notFound("no permit \(permitNumber)") }
            let today = BusinessTime.localDate(of: at)
            guard let warning = try tx.idleWarning(permitNumber: permitNumber) else {
                throw AllocationError.conflict(
                    code: "CONFLICT", message: "warn the vendor first: a slot is taken back only after a warning he can see")
            }
            guard today >= warning.reclaimOn else {
                throw AllocationError.conflict(
                    code: "CONFLICT", message: "the vendor has until \(warning.reclaimOn) to turn up",
                    details: ["reclaim_on": warning.reclaimOn.description])
            }
            let warnedOn = BusinessTime.localDate(of: warning.warnedAt)
            guard try tx.checkInCount(permitNumber: permitNumber, since: warnedOn) == 0 else {
                throw AllocationError.conflict(code: "CONFLICT", message: "the vendor has checked in since the warning of \(warnedOn)")
            }
            guard PermitWorkflow.effectiveState(record.permit.state, season: record.seasonDates, on: today) == .issued else {
                throw AllocationError.conflict(code: "CONFLICT", message: "a permit that is \(record.permit.state.rawValue) is not reclaimed")
            }
            let reason = "idle: not checked in since the warning of \(warnedOn) (reclaimed)"
            try tx.setPermitState(number: permitNumber, state: .revoked, issuedAt: nil, at: at)
            try tx.audit(
                actor: "account:\(admin.username)", action: "permit.reclaim", entity: "permit", entityId: permitNumber,
                before: ["state": "issued"], after: ["state": "revoked", "reason": reason], at: at)
            try PermitService.emit(tx, .permitRevoked, record.permit, state: .revoked, reason: reason, at: at)
            try Self.slotFreed(tx, season: record.permit.season, slotId: record.permit.slotId, siteId: record.siteId, at: at)
            return try tx.permitRecord(number: permitNumber)!
        }
    }
}
