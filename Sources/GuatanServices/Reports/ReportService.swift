import Foundation
import GuatanCore
import GuatanStoreInterface

/// Citizen reports (市民监督) and the city-management case loop: intake with its place and
/// duplicate link, each staff step, the reporter's reopening and rating.
public struct ReportService: Sendable {
    let store: any WorkflowStore

    /// Farther than this from every site is outside the programme's streets.
    static let programmeReachM = 5_000.0

    public init(store: any WorkflowStore) {
        self.store = store
    }

    /// Places a citizen's report (district and position from its stall, permit or the nearest
    /// site), links it to an open case of the same category within 250 m and 24 hours, and
    /// stores it with its photos and first timeline entry.
    public func submit(
        _ intake: ReportIntake, photos: [StoredPhoto], voice: StoredVoice? = nil, trackingHash: String, channel: ReportChannel = .web,
        enteredBy: Account? = nil, notifySMS: Bool = false, at: Date
    ) async throws -> Report {
        if let enteredBy {
            guard ReportChannel.mayEnter(channel, as: enteredBy.role) else {
                throw AccessError.forbidden("a \(enteredBy.role.rawValue) does not enter reports by the \(channel.rawValue) channel")
            }
        }
        return try await store.transaction { tx in
            var slotId: String?
            var siteId: String?
            var permitNumber: String?
            let district: String
            let position: Coordinate
            switch intake.subject {
            case .slot(let id):
                guard let slot = try tx.slot(id: id) else { throw ValidationError(field: "slot_id", message: "no stall \(id)") }
                (slotId, siteId, district, position) = (slot.slotId, slot.siteId, slot.district, slot.position)
                permitNumber = try tx.permitPlaces(slotId: id, season: BusinessTime.localDate(of: at).year)
                    .first { PermitState.holding.contains($0.state) }?.number
            case .permit(let number):
                guard let permit = try tx.permitPlace(number: number), permit.state.isVerifiable else {
                    throw ValidationError(field: "permit_no", message: "no permit \(number)")
                }
                permitNumber = permit.number
                (slotId, siteId, district, position) = (permit.slot.slotId, permit.slot.siteId, permit.slot.district, permit.slot.position)
            case .place(let point):
                let nearest = try tx.siteLocations()
                    .map { (site: $0, distance: Geodesy.distance(point, $0.position)) }
                    .min { $0.distance < $1.distance }
                guard let nearest else { throw ValidationError(field: "lat", message: "no stall site in the registry to place the report") }
                guard nearest.distance <= Self.programmeReachM else {
                    throw ValidationError(
                        field: "lat",
                        message: "the position is \(Int(nearest.distance)) m from the nearest stall site; report places within the programme's area")
                }
                district = nearest.site.district
                siteId = nearest.distance <= ReportWorkflow.duplicateRadiusM ? nearest.site.siteId : nil
                position = point
            }
            let sequence = try tx.nextNumber("report")
            let id = "R" + zeroPadded(Int(sequence), width: 6)
            let main = try Self.openCaseNearby(tx, category: intake.category, position: position, at: at)
            // What an officer saw on patrol is his own district's.
            if channel == .officer, let officer = enteredBy, officer.district != district {
                throw AccessError.forbidden("this place is in district \(district); officers enter what they see in their own")
            }
            var new = NewReport(
                id: id, sequence: sequence, trackingHash: trackingHash, intake: intake, slotId: slotId, siteId: siteId,
                permitNumber: permitNumber,
                district: district, position: position, state: main == nil ? .submitted : .duplicate, duplicateOf: main, at: at)
            new.channel = channel
            new.enteredBy = enteredBy.map { "account:\($0.username)" }
            new.notifySMS = notifySMS && intake.contactPhone != nil
            new.voice = voice
            try tx.insertReport(new, photos: photos)
            try tx.addReportEvent(
                NewReportEvent(
                    reportId: id, at: at, role: enteredBy?.role.rawValue ?? "citizen", actor: new.enteredBy ?? "citizen", action: "submit",
                    from: nil, to: .submitted, publicNote: channel == .web || channel == .open311 ? nil : "受理渠道：\(channel.nameZh)",
                    internalNote: nil),
                slotId: slotId)
            if let main {
                try tx.addReportEvent(
                    NewReportEvent(
                        reportId: id, at: at, role: "system", actor: "system", action: "mark_duplicate", from: .submitted, to: .duplicate,
                        publicNote: "同一位置同类问题已在处理：\(main) (the same problem here is already being handled as \(main))", internalNote: nil),
                    slotId: slotId)
            }
            let report = try tx.report(id: id, withTimeline: true)!
            try Self.emit(tx, .reportSubmitted, report, from: nil, note: nil, at: at)
            return report
        }
    }

    /// The outbox's event for a case's step: what the city's platform and the reporter are told.
    static func emit(_ tx: any StoreTransaction, _ type: OutboxEventType, _ report: Report, from: ReportState?, note: String?, at: Date) throws {
        var payload = [
            "report_id": report.id, "state": report.state.rawValue, "category": report.category.rawValue, "channel": report.channel.rawValue,
            "district": report.district,
        ]
        payload["from_state"] = from?.rawValue
        payload["due_at"] = report.dueAt.map(BusinessTime.rfc3339)
        payload["slot_id"] = report.slotId
        payload["site_id"] = report.siteId
        payload["public_note"] = note.map(PrivateText.mask)
        try tx.emit(type, entity: "report", entityId: report.id, district: report.district, payload: payload, at: at)
    }

    /// The open case this report repeats: same category, within 250 m, reported in the last day; the oldest.
    static func openCaseNearby(_ tx: any StoreTransaction, category: ReportCategory, position: Coordinate, at: Date) throws -> String? {
        let box = Geodesy.boundingBox(around: position, radius: ReportWorkflow.duplicateRadiusM)
        return try tx.reports(
            category: category, states: ReportState.open, since: at.addingTimeInterval(-ReportWorkflow.duplicateWindow), within: box
        )
        .first { Geodesy.distance(position, $0.position) <= ReportWorkflow.duplicateRadiusM }?.id
    }

    /// An officer's or administrator's step in the loop; ReportWorkflow's rules.
    public func transition(
        reportId: String, action: ReportAction, by actor: Account, publicNote: String?, internalNote: String?, duplicateOf: String?,
        sendBack: SendBackReason? = nil, district: String? = nil, at: Date
    ) async throws -> Report {
        try await store.transaction { tx in
            guard let report = try tx.report(id: reportId, withTimeline: false) else { throw StoreError.notFound("no report \(reportId)") }
            let target = try ReportWorkflow.decide(action, on: report.state, by: actor, caseDistrict: report.district, publicNote: publicNote)
            var update = ReportUpdate(state: target)
            var internalText = Self.trimmed(internalNote)
            switch action {
            case .dispatch, .redispatch:
                let limit = try tx.timeLimitMinutes(report.category) ?? report.category.defaultTimeLimitMinutes
                update.dueAt = ReportWorkflow.dueAt(dispatchedAt: at, limitMinutes: limit)
                update.clearEscalation = true
                // A case sent back as another district's goes to that district's squad.
                if let district, district != report.district {
                    guard report.state == .sentBack, actor.role == .admin else {
                        throw ValidationError(field: "district", message: "only a case sent back is dispatched to another district, by the bureau")
                    }
                    guard try tx.districtCodes().contains(district) else {
                        throw ValidationError(field: "district", message: "no district \(district)")
                    }
                    update.district = district
                }
            case .sendBack:
                guard let sendBack else {
                    throw ValidationError(
                        field: "reason", message: "say why: \(SendBackReason.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                guard internalText != nil else { throw ValidationError(field: "internal_note", message: "tell the bureau what you found") }
                internalText = "退单（\(sendBack.rawValue)）：" + internalText!
            case .close:
                update.closedAt = at
            case .handle:
                update.handledDueAt = report.dueAt
            case .markDuplicate:
                update.duplicateOf = try Self.mainCase(tx, of: report, named: duplicateOf)
            default:
                break
            }
            try tx.updateReport(id: reportId, slotId: report.slotId, update, at: at)
            try tx.addReportEvent(
                NewReportEvent(
                    reportId: reportId, at: at, role: actor.role.rawValue, actor: "account:\(actor.username)", action: action.rawValue,
                    from: report.state, to: target, publicNote: Self.trimmed(publicNote), internalNote: internalText),
                slotId: report.slotId)
            var after = ["state": target.rawValue]
            after["district"] = update.district
            after["send_back"] = sendBack?.rawValue
            try tx.audit(
                actor: "account:\(actor.username)", action: "report.\(action.rawValue)", entity: "report", entityId: reportId,
                before: ["state": report.state.rawValue], after: after, at: at)
            let done = try tx.report(id: reportId, withTimeline: true)!
            try Self.emit(tx, OutboxEventType.of(action), done, from: report.state, note: Self.trimmed(publicNote), at: at)
            return done
        }
    }

    /// Linking closes a case without work: only to another case of the same squad that is
    /// still being handled and is not itself a duplicate.
    static func mainCase(_ tx: any StoreTransaction, of report: Report, named: String?) throws -> String {
        guard let main = named?.uppercased(), main != report.id, let mainCase = try tx.report(id: main, withTimeline: false) else {
            throw ValidationError(field: "duplicate_of", message: "name the report this one duplicates (another report's ID)")
        }
        guard mainCase.state != .duplicate else {
            throw ValidationError(field: "duplicate_of", message: "\(main) is itself a duplicate; link to its main case")
        }
        guard mainCase.district == report.district else {
            throw ValidationError(
                field: "duplicate_of", message: "\(main) belongs to another district; a case is linked only to one of its own district")
        }
        guard mainCase.state.isOpen else {
            throw ValidationError(field: "duplicate_of", message: "\(main) is no longer open; link only to a case still being handled")
        }
        return main
    }

    /// The reporter reopens his closed case within 7 days; it goes back to the squad with a new time limit.
    public func reopen(trackingHash: String, note: String, at: Date) async throws -> Report {
        try await store.transaction { tx in
            guard let id = try tx.reportId(trackingHash: trackingHash), let report = try tx.report(id: id, withTimeline: false) else {
                throw StoreError.notFound("no report with this tracking code")
            }
            let target = try ReportWorkflow.decideReopen(on: report.state, closedAt: report.closedAt, at: at)
            let limit = try tx.timeLimitMinutes(report.category) ?? report.category.defaultTimeLimitMinutes
            try tx.updateReport(
                id: id, slotId: report.slotId,
                {
                    var update = ReportUpdate(state: target, dueAt: ReportWorkflow.dueAt(dispatchedAt: at, limitMinutes: limit), reopened: true)
                    update.clearEscalation = true
                    return update
                }(), at: at)
            try tx.addReportEvent(
                NewReportEvent(
                    reportId: id, at: at, role: "citizen", actor: "citizen", action: "reopen", from: report.state, to: target, publicNote: note,
                    internalNote: nil),
                slotId: report.slotId)
            let done = try tx.report(id: id, withTimeline: true)!
            try Self.emit(tx, .reportReopened, done, from: report.state, note: note, at: at)
            return done
        }
    }

    /// The reporter rates his closed case, once.
    public func rate(trackingHash: String, score: Int, comment: String?, at: Date) async throws -> Report {
        try await store.transaction { tx in
            guard let id = try tx.reportId(trackingHash: trackingHash), let report = try tx.report(id: id, withTimeline: false) else {
                throw StoreError.notFound("no report with this tracking code")
            }
            guard report.state == .closed else { throw StoreError.conflict("a case can be rated once it is closed; it is \(report.state.rawValue)") }
            guard report.rating == nil else { throw StoreError.conflict("this case has been rated already") }
            var update = ReportUpdate(state: .closed)
            update.rating = score
            update.ratingComment = Self.trimmed(comment)
            try tx.updateReport(id: id, slotId: report.slotId, update, at: at)
            try tx.addReportEvent(
                NewReportEvent(
                    reportId: id, at: at, role: "citizen", actor: "citizen", action: "rate", from: .closed, to: .closed,
                    publicNote: "评价 \(score)/5" + (Self.trimmed(comment).map { "：\($0)" } ?? ""), internalNote: nil),
                slotId: report.slotId)
            let done = try tx.report(id: id, withTimeline: true)!
            try Self.emit(tx, .reportRated, done, from: .closed, note: "评价 \(score)/5", at: at)
            return done
        }
    }

    /// A category's time limit from dispatch, for cases dispatched from now on.
    public func setTimeLimit(_ category: ReportCategory, minutes: Int, by admin: Account, at: Date) async throws {
        _ = try Access.require(admin, roles: [.admin])
        try await store.transaction { tx in
            let before = try tx.timeLimitMinutes(category)
            try tx.setTimeLimit(category, minutes: minutes)
            try tx.audit(
                actor: "account:\(admin.username)", action: "report_category.time_limit", entity: "report_category", entityId: category.rawValue,
                before: before.map { ["time_limit_minutes": String($0)] }, after: ["time_limit_minutes": String(minutes)], at: at)
        }
    }

    static func trimmed(_ text: String?) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        return text
    }
}
