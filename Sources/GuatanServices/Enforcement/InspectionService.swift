import Foundation
import GuatanCore
import GuatanStoreInterface

/// Enforcement (执法监督): an officer's inspection with its deductions, the cases it settles
/// and the escalation it may bring; an administrator's annulment and the season's points.
public struct InspectionService: Sendable {
    let store: any WorkflowStore

    public init(store: any WorkflowStore) {
        self.store = store
    }

    /// Records an inspection in one transaction: deductions, settled cases, and the escalation
    /// (a third exhausted month revokes the permit and bars the vendor from the next season).
    public func inspect(_ input: InspectionInput, by officer: Account, at: Date) async throws -> Inspection {
        _ = try Access.require(officer, roles: [.officer, .admin])
        return try await store.transaction { tx in
            guard let slot = try tx.slot(id: input.slotId) else { throw ValidationError(field: "slot_id", message: "no stall \(input.slotId)") }
            try Access.requireDistrict(officer, slot.district)
            let day = BusinessTime.localDate(of: at)
            let permit = try tx.permitPlaces(slotId: input.slotId, season: day.year).first { PermitState.holding.contains($0.state) }
            // A helper at the stall is one the permit registers; someone else is a mismatch (人证位不符).
            if input.atStall == .helper, try permit.map({ try tx.permitHelpers(number: $0.number).isEmpty }) ?? true {
                throw ValidationError(
                    field: "at_stall", message: "no family helper is registered on this stall's permit: record someone else (other)")
            }
            let sequence = try tx.nextNumber("inspection")
            let id = "I" + zeroPadded(Int(sequence), width: 6)
            let actor = "account:\(officer.username)"
            try tx.insertInspection(
                NewInspection(
                    id: id, sequence: sequence, slot: slot, permitNumber: permit?.number, officer: actor, result: input.result,
                    violations: input.violations, note: input.note, position: input.position,
                    distanceM: input.position.map { Geodesy.distance($0, slot.position) }, at: at, day: day, atStall: input.atStall),
                photos: input.photos)

            var deducted = 0
            var consequences: [String] = []
            if let permit {
                let rules = try tx.violationPoints(season: day.year)
                for (code, points) in InspectionRules.deductions(
                    result: input.result, violations: input.violations, points: { rules[$0] ?? $0.defaultPoints })
                {
                    try tx.insertDeduction(
                        permitNumber: permit.number, month: Scoring.month(of: day), points: points, code: code.rawValue, inspectionId: id, at: at)
                    deducted += points
                }
                if deducted > 0 {
                    try tx.emit(
                        .pointsDeducted, entity: "permit", entityId: permit.number, district: permit.slot.district,
                        payload: [
                            "permit_no": permit.number, "vendor_id": permit.vendorId, "slot_id": permit.slot.slotId, "points": String(deducted),
                            "inspection_id": id, "month": Scoring.month(of: day),
                        ], at: at)
                    consequences = try Self.escalate(tx, permit: permit, season: day.year, at: at)
                }
            }
            for reportId in input.resolvesReports {
                try Self.settle(tx, reportId: reportId, byInspection: id, result: input.result, note: input.note, officer: officer, at: at)
            }
            try tx.audit(
                actor: actor, action: "inspection.create", entity: "inspection", entityId: id, before: nil,
                after: [
                    "slot_id": input.slotId, "result": input.result.rawValue, "violations": input.violations.map(\.rawValue).joined(separator: ","),
                    "points": String(deducted), "permit_no": permit?.number ?? "",
                ], at: at)
            var inspection = try tx.inspection(id: id)!
            inspection.pointsDeducted = deducted
            inspection.consequences = consequences
            return inspection
        }
    }

    /// A case the inspection dealt with is handled, by ReportWorkflow's rules (the case's
    /// district, a dispatched case) and with its timeline entry and audit entry like any step.
    static func settle(
        _ tx: any StoreTransaction, reportId: String, byInspection id: String, result: InspectionResult, note: String?, officer: Account, at: Date
    ) throws {
        guard let report = try tx.report(id: reportId, withTimeline: false) else {
            throw ValidationError(field: "resolves_reports", message: "no report \(reportId)")
        }
        let target = try ReportWorkflow.decide(.handle, on: report.state, by: officer, caseDistrict: report.district, publicNote: nil)
        var update = ReportUpdate(state: target)
        update.handledDueAt = report.dueAt
        try tx.updateReport(id: reportId, slotId: report.slotId, update, at: at)
        try tx.addReportEvent(
            NewReportEvent(
                reportId: reportId, at: at, role: officer.role.rawValue, actor: "account:\(officer.username)", action: ReportAction.handle.rawValue,
                from: report.state, to: target, publicNote: "现场检查 \(id)：\(result.chinese) (inspection \(id): \(result.rawValue))",
                internalNote: note),
            slotId: report.slotId)
        try tx.audit(
            actor: "account:\(officer.username)", action: "report.handle", entity: "report", entityId: reportId,
            before: ["state": report.state.rawValue], after: ["state": target.rawValue, "inspection_id": id], at: at)
        let done = try tx.report(id: reportId, withTimeline: false)!
        try ReportService.emit(tx, .reportHandled, done, from: report.state, note: "现场检查 \(id)：\(result.chinese)", at: at)
    }

    /// The third month of a season in which the permit's points ran out revokes it and bars
    /// the vendor from the next season.
    static func escalate(_ tx: any StoreTransaction, permit: PermitPlace, season: Int, at: Date) throws -> [String] {
        let byMonth = try tx.deductedPoints(permitNumber: permit.number)
        guard Scoring.warrantsRevocation(deductedByMonth: byMonth) else { return [] }
        let months = Scoring.exhaustedMonths(deductedByMonth: byMonth).joined(separator: ", ")
        let reason = "points exhausted in \(Scoring.exhaustedMonthsForRevocation) months of season \(season) (\(months))"
        var consequences: [String] = []
        if PermitState.holding.contains(permit.state) {
            try tx.setPermitState(number: permit.number, state: .revoked, issuedAt: nil, at: at)
            try tx.audit(
                actor: "system", action: "permit.revoke", entity: "permit", entityId: permit.number, before: ["state": permit.state.rawValue],
                after: ["state": "revoked", "reason": reason], at: at)
            consequences.append("permit_revoked")
            try tx.emit(
                .permitRevoked, entity: "permit", entityId: permit.number, district: permit.slot.district,
                payload: [
                    "permit_no": permit.number, "state": "revoked", "vendor_id": permit.vendorId, "slot_id": permit.slot.slotId,
                    "season": String(permit.season), "reason": reason,
                ], at: at)
            try AllocationService.slotFreed(tx, season: permit.season, slotId: permit.slot.slotId, siteId: permit.slot.siteId, at: at)
        }
        if try tx.insertBar(vendorId: permit.vendorId, season: season + 1, reason: reason, at: at) {
            try tx.audit(
                actor: "system", action: "vendor.bar", entity: "vendor", entityId: permit.vendorId, before: nil,
                after: ["season": String(season + 1), "reason": reason], at: at)
            consequences.append("vendor_barred")
        }
        return consequences
    }

    public func annulDeduction(id: Int64, by admin: Account, reason: String, at: Date) async throws -> PointDeduction {
        _ = try Access.require(admin, roles: [.admin])
        return try await store.transaction { tx in
            guard let deduction = try tx.deduction(id: id) else { throw StoreError.notFound("no deduction \(id)") }
            guard !deduction.annulled else { throw StoreError.conflict("deduction \(id) is annulled already") }
            try tx.annulDeduction(id: id, by: "account:\(admin.username)", reason: reason, at: at)
            try tx.audit(
                actor: "account:\(admin.username)", action: "deduction.annul", entity: "point_deduction", entityId: String(id),
                before: ["points": String(deduction.points), "permit_no": deduction.permitNumber], after: ["annulled": "true", "reason": reason],
                at: at)
            return try tx.deduction(id: id)!
        }
    }

    public func setViolationPoints(season: Int, code: ViolationCode, points: Int, by admin: Account, at: Date) async throws {
        _ = try Access.require(admin, roles: [.admin])
        try await store.transaction { tx in
            let before = try tx.violationPoints(season: season)[code] ?? code.defaultPoints
            try tx.setViolationPoints(season: season, code: code, points: points)
            try tx.audit(
                actor: "account:\(admin.username)", action: "violation_rule.set", entity: "violation_rule", entityId: "\(season)/\(code.rawValue)",
                before: ["points": String(before)], after: ["points": String(points)], at: at)
        }
    }
}

extension InspectionResult {
    var chinese: String {
        switch self {
        case .compliant: "合规"
        case .warning: "警告"
        case .violation: "违规"
        }
    }
}
