import Foundation

/// What a citizen reports about a stall or a place (市民监督). API.md fixes the codes.
public enum ReportCategory: String, Sendable, Hashable, Codable, CaseIterable {
    case occupyingRoad = "occupying_road"
    case notOwnProduce = "not_own_produce"
    case hygiene
    case shortWeight = "short_weight"
    case unlicensed
    case stallAbsent = "stall_absent"
    case noise
    case suggestion
    case other

    public var nameZh: String {
        switch self {
        case .occupyingRoad: "占道/超出摊位"
        case .notOwnProduce: "非自产/超范围经营"
        case .hygiene: "卫生/垃圾"
        case .shortWeight: "缺斤短两/价格"
        case .unlicensed: "无证经营/人证位不符"
        case .stallAbsent: "摊位闲置/未出摊"
        case .noise: "噪音/扰民"
        case .suggestion: "建议/表扬"
        case .other: "其他"
        }
    }

    public var nameEn: String {
        switch self {
        case .occupyingRoad: "Occupying the road or beyond the stall"
        case .notOwnProduce: "Not own produce or beyond the permit"
        case .hygiene: "Hygiene or rubbish"
        case .shortWeight: "Short weight or pricing"
        case .unlicensed: "Unlicensed, or person, permit and slot do not match"
        case .stallAbsent: "Stall left idle or not opened"
        case .noise: "Noise or disturbance"
        case .suggestion: "Suggestion or praise"
        case .other: "Other"
        }
    }

    /// The default time limit from dispatch (派遣) to handling: what blocks the street is
    /// urgent, a suggestion can wait. Configurable per category in the store.
    public var defaultTimeLimitMinutes: Int {
        switch self {
        case .occupyingRoad: 2 * 60
        case .hygiene, .unlicensed, .noise: 4 * 60
        case .shortWeight, .notOwnProduce, .stallAbsent, .other: 24 * 60
        case .suggestion: 3 * 24 * 60
        }
    }
}

/// The digital city-management case loop: submitted → accepted (立案) or rejected (不予立案)
/// → dispatched (派遣; the time limit starts) → handled (处置) → verified (核查) → closed (结案).
/// A failed verification sends a handled case back to dispatched; the reporter can reopen a
/// closed case within 7 days; an officer can mark an open case a duplicate of another.
public enum ReportState: String, Sendable, Hashable, Codable, CaseIterable {
    case submitted
    case accepted
    case rejected
    case dispatched
    case handled
    case verified
    case closed
    case duplicate

    /// Still being worked on: Open311's `open`, and what new reports are linked to as duplicates.
    public var isOpen: Bool {
        switch self {
        case .submitted, .accepted, .dispatched, .handled, .verified: true
        case .rejected, .closed, .duplicate: false
        }
    }
}

public enum ReportAction: String, Sendable, Hashable, Codable, CaseIterable {
    case accept
    case reject
    case dispatch
    case handle
    case verify
    /// Verification failed: back to the street.
    case redispatch
    case close
    case markDuplicate = "mark_duplicate"
    /// The reporter, within 7 days of closing.
    case reopen
}

public enum ReportError: Error, Sendable, Equatable {
    case forbidden(String)
    case conflict(String)
    case invalid(ValidationError)
}

public enum ReportWorkflow {
    public static let reopenWindow: TimeInterval = 7 * 86_400
    /// A new report this close to an open case of the same category within a day is linked to it.
    public static let duplicateRadiusM = 250.0
    public static let duplicateWindow: TimeInterval = 86_400

    public static func target(of action: ReportAction, from state: ReportState) -> ReportState? {
        switch (action, state) {
        case (.accept, .submitted): .accepted
        case (.reject, .submitted): .rejected
        case (.dispatch, .accepted): .dispatched
        case (.handle, .dispatched): .handled
        case (.verify, .handled): .verified
        case (.redispatch, .handled): .dispatched
        case (.close, .verified): .closed
        case (.markDuplicate, .submitted), (.markDuplicate, .accepted): .duplicate
        // Reopened, the case goes straight back to the district's queue with a new time limit.
        case (.reopen, .closed): .dispatched
        default: nil
        }
    }

    /// Rejecting, sending back and marking a duplicate tell the reporter why.
    public static func requiresPublicNote(_ action: ReportAction) -> Bool {
        switch action {
        case .reject, .redispatch, .markDuplicate, .reopen: true
        case .accept, .dispatch, .handle, .verify, .close: false
        }
    }

    /// Decides an officer's or administrator's action: access (403), notes (400), state (409).
    public static func decide(
        _ action: ReportAction, on state: ReportState, by actor: Account, caseDistrict: String, publicNote: String?
    ) throws(ReportError) -> ReportState {
        guard action != .reopen else { throw .forbidden("only the reporter reopens a case, with the tracking code") }
        switch actor.role {
        case .admin: break
        case .officer where actor.district == caseDistrict: break
        case .officer: throw .forbidden("this case belongs to district \(caseDistrict)")
        case .vendor: throw .forbidden("only officers and administrators work cases")
        }
        let note = publicNote?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if requiresPublicNote(action), note.isEmpty {
            throw .invalid(ValidationError(field: "public_note", message: "\(action.rawValue) needs a public note saying why"))
        }
        guard let target = target(of: action, from: state) else {
            throw .conflict("a case that is \(state.rawValue) cannot take the action \(action.rawValue)")
        }
        return target
    }

    /// The reporter reopens a closed case within 7 days of its closing.
    public static func decideReopen(on state: ReportState, closedAt: Date?, at instant: Date) throws(ReportError) -> ReportState {
        guard state == .closed, let closedAt else { throw .conflict("only a closed case can be reopened") }
        guard instant.timeIntervalSince(closedAt) <= reopenWindow else {
            throw .conflict("a case can be reopened within 7 days of closing")
        }
        return .dispatched
    }

    /// When a dispatched case must be handled.
    public static func dueAt(dispatchedAt: Date, limitMinutes: Int) -> Date {
        dispatchedAt.addingTimeInterval(TimeInterval(limitMinutes * 60))
    }

    public static func isOverdue(state: ReportState, dueAt: Date?, at instant: Date) -> Bool {
        guard state == .dispatched, let dueAt else { return false }
        return instant > dueAt
    }

    /// The reporter's rating, once, after closing.
    public static func validateRating(score: Int, comment: String?) throws(ValidationError) {
        guard (1...5).contains(score) else { throw ValidationError(field: "score", message: "score must be from 1 to 5") }
        if let comment, comment.count > 500 {
            throw ValidationError(field: "comment", message: "comment must have at most 500 characters")
        }
    }
}
