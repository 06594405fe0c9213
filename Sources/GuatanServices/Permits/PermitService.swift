import Foundation
import GuatanCore
import GuatanStoreInterface

/// The permit workflow: an administrator's permit, a vendor's application, and each step of
/// review, issue, suspension and revocation, each with its audit entry in one transaction.
public struct PermitService: Sendable {
    let store: any WorkflowStore

    public init(store: any WorkflowStore) {
        self.store = store
    }

    /// An administrator's permit, `approved` or `issued` at once.
    public func create(
        vendorId: String, slotId: String, season: Int, produce: [String], state: PermitState, by admin: Account, at: Date
    ) async throws -> PermitRecord {
        _ = try Access.require(admin, roles: [.admin])
        return try await store.transaction { tx in
            guard let vendor = try tx.vendor(id: vendorId) else { throw ValidationError(field: "vendor_id", message: "no vendor \(vendorId)") }
            guard let slot = try tx.slot(id: slotId) else { throw ValidationError(field: "slot_id", message: "no slot \(slotId)") }
            let number = try Self.insert(
                tx, vendor: vendor, slot: slot, season: season, produce: produce, plate: vendor.vehiclePlate, state: state, expectedKg: nil,
                certificate: nil, actor: "account:\(admin.username)", at: at)
            return try tx.permitRecord(number: number)!
        }
    }

    /// A vendor's application (申请): a `requested` permit for a slot, or for the first free slot of a site.
    public func apply(vendorId: String, _ application: PermitApplication, at: Date) async throws -> PermitRecord {
        try await store.transaction { tx in
            guard let vendor = try tx.vendor(id: vendorId) else { throw StoreError.notFound("no vendor \(vendorId)") }
            // A season opened for the draw is allocated by it: first come would jump the waitlist.
            if let plan = try tx.seasonPlan(year: application.season), plan.copiedFrom != nil {
                throw StoreError.conflict(
                    "the \(application.season) stalls are allocated by the draw: apply in the window at /api/v1/season-applications; "
                        + "slots freed during the season go to the waitlist")
            }
            let slot: SlotPlace
            switch application.place {
            case .slot(let id):
                guard let found = try tx.slot(id: id) else { throw ValidationError(field: "slot_id", message: "no slot \(id)") }
                slot = found
            case .site(let siteId):
                guard try tx.siteExists(id: siteId) else { throw ValidationError(field: "site_id", message: "no site \(siteId)") }
                // The first slot of the site that no live permit holds this season.
                guard let free = try tx.slotsOfSite(siteId, season: application.season, heldIn: PermitState.live).first(where: { !$0.held }),
                    let found = try tx.slot(id: free.slotId)
                else {
                    throw StoreError.conflict("every slot of site \(siteId) is taken for \(application.season); choose another site")
                }
                slot = found
            }
            try tx.insertPhoto(application.certificate, purpose: "certificate", at: at)
            let number = try Self.insert(
                tx, vendor: vendor, slot: slot, season: application.season, produce: application.produce,
                plate: application.vehiclePlate ?? vendor.vehiclePlate, state: .requested, expectedKg: application.expectedKg,
                certificate: application.certificate.id, actor: "vendor:\(vendorId)", at: at)
            return try tx.permitRecord(number: number)!
        }
    }

    /// Moves a permit through its workflow; the rules are PermitWorkflow's, on the permit's
    /// effective state (an issued permit whose season is over is expired).
    public func transition(number: String, action: PermitAction, by actor: Account, reason: String?, at: Date) async throws -> PermitRecord {
        try await store.transaction { tx in
            guard let record = try tx.permitRecord(number: number) else { throw StoreError.notFound("no permit \(number)") }
            let current = PermitWorkflow.effectiveState(record.permit.state, season: record.seasonDates, on: BusinessTime.localDate(of: at))
            let target = try PermitWorkflow.decide(action, on: current, by: actor, permitDistrict: record.permit.district, reason: reason)
            try tx.setPermitState(number: number, state: target, issuedAt: action == .issue ? at : nil, at: at)
            if target == .revoked {
                try AllocationService.slotFreed(tx, season: record.permit.season, slotId: record.permit.slotId, siteId: record.siteId, at: at)
            }
            var after = ["state": target.rawValue]
            after["reason"] = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
            try tx.audit(
                actor: "account:\(actor.username)", action: "permit.\(action.rawValue)", entity: "permit", entityId: number,
                before: ["state": current.rawValue], after: after, at: at)
            if let type = Self.event(of: action) {
                try Self.emit(tx, type, record.permit, state: target, reason: after["reason"], at: at)
            }
            return try tx.permitRecord(number: number)!
        }
    }

    /// A new permit after the one-live-permit rules, in this order: a bar on the vendor, then
    /// the slot (一摊一证), the vendor (一人一证), then the vehicle (一车一证); numbered in its district.
    static func insert(
        _ tx: any StoreTransaction, vendor: Vendor, slot: SlotPlace, season: Int, produce: [String], plate: String, state: PermitState,
        expectedKg: Double?, certificate: String?, actor: String, at: Date
    ) throws -> String {
        if let reason = try tx.bar(vendorId: vendor.id, season: season) {
            throw StoreError.conflict("vendor \(vendor.id) is barred from the \(season) season: \(reason)")
        }
        if let other = try tx.permitNumber(season: season, holder: .slot(slot.slotId), states: PermitState.live) {
            throw StoreError.conflict("slot \(slot.slotId) already has a live permit for \(season): \(other)")
        }
        if let other = try tx.permitNumber(season: season, holder: .vendor(vendor.id), states: PermitState.live) {
            throw StoreError.conflict("vendor \(vendor.id) already has a live permit for \(season): \(other)")
        }
        // A plate registered to another vendor cannot be claimed: otherwise anyone could block
        // the real owner's application by naming his vehicle first. The answer names the rule,
        // never the other vendor.
        if try tx.vendorIds(withPlate: plate).contains(where: { $0 != vendor.id }) {
            throw StoreError.conflict(
                "the vehicle \(plate) is registered to another vendor: apply with your own vehicle's plate (一车一证), or ask the bureau to correct the registration"
            )
        }
        if let other = try tx.permitNumber(season: season, holder: .vehicle(plate), states: PermitState.live) {
            throw StoreError.conflict("vehicle \(plate) already has a live permit for \(season): \(other) (一车一证)")
        }
        let sequence = try tx.nextNumber("permit/\(season)/\(slot.district)")
        let number = PermitWorkflow.permitNumber(year: season, district: slot.district, sequence: Int(sequence))
        try tx.insertPermit(
            NewPermit(
                number: number, season: season, vendorId: vendor.id, slotId: slot.slotId, district: slot.district, state: state,
                produce: produce.isEmpty ? vendor.produce : produce, vehiclePlate: plate, expectedKg: expectedKg, certificatePhoto: certificate,
                at: at))
        var after = ["state": state.rawValue, "vendor_id": vendor.id, "slot_id": slot.slotId, "season": String(season)]
        after["expected_kg"] = expectedKg.map { String($0) }
        try tx.audit(actor: actor, action: "permit.create", entity: "permit", entityId: number, before: nil, after: after, at: at)
        if state == .issued {
            try tx.emit(
                .permitIssued, entity: "permit", entityId: number, district: slot.district,
                payload: ["permit_no": number, "state": state.rawValue, "vendor_id": vendor.id, "slot_id": slot.slotId, "season": String(season)],
                at: at)
        }
        return number
    }

    /// The outbox's name for a permit's step; nil for steps nobody is told of.
    static func event(of action: PermitAction) -> OutboxEventType? {
        switch action {
        case .review: .permitReviewed
        case .approve: .permitApproved
        case .issue: .permitIssued
        case .suspend: .permitSuspended
        case .revoke: .permitRevoked
        case .reject: .permitRejected
        default: nil
        }
    }

    /// A permit's event: its vendor is told (SMS) and the city's platform hears of it.
    static func emit(_ tx: any StoreTransaction, _ type: OutboxEventType, _ permit: Permit, state: PermitState, reason: String?, at: Date) throws {
        var payload = [
            "permit_no": permit.number, "state": state.rawValue, "vendor_id": permit.vendorId, "slot_id": permit.slotId,
            "season": String(permit.season),
        ]
        payload["reason"] = reason
        try tx.emit(type, entity: "permit", entityId: permit.number, district: permit.district, payload: payload, at: at)
    }
}
