/// The life of a stall permit (应季自产自销瓜果临时摊点证), following the real process:
/// the vendor applies, the district's enforcement squad reviews it (初审), the city bureau
/// re-reviews it (复审), and the permit is issued. An issued permit can be suspended and
/// reinstated, revoked, and expires by itself when its season is over.
public enum PermitState: String, Sendable, Hashable, Codable, CaseIterable {
    case requested
    case reviewed
    case approved
    case issued
    case suspended
    case expired
    case revoked
    case rejected
    /// Given up by its holder during the season (退摊): no sanction, the slot goes to the waitlist.
    case surrendered

    /// Live permits hold their slot and their vendor: one live permit per slot and per
    /// vendor in a season (一车一证, 人证位相符).
    public var isLive: Bool {
        switch self {
        case .requested, .reviewed, .approved, .issued, .suspended: true
        case .expired, .revoked, .rejected, .surrendered: false
        }
    }

    public static let live: Set<PermitState> = Set(allCases.filter(\.isLive))
    /// The permits that hold a stall in its season: the one an inspection or a report is about.
    public static let holding: Set<PermitState> = [.issued, .suspended]

    /// Which of a vendor's permits of a season a check-in is about: the issued one if any,
    /// else a suspended one, else one still in review, else the last that ended. Rejected
    /// applications are no permit at all. `permits` are newest first.
    public static func permitOfTheDay<P>(_ permits: [P], state: (P) -> PermitState) -> P? {
        func rank(_ state: PermitState) -> Int? {
            switch state {
            case .issued: 0
            case .suspended: 1
            case .requested, .reviewed, .approved: 2
            case .expired, .revoked, .surrendered: 3
            case .rejected: nil
            }
        }
        var best: (P, Int)?
        for permit in permits {
            guard let r = rank(state(permit)) else { continue }
            if best == nil || r < best!.1 { best = (permit, r) }
        }
        return best?.0
    }

    /// Only issued permits are shown to citizens.
    public var isPublic: Bool { self == .issued }

    /// Whether a citizen verifying the number learns of the permit: once issued, always
    /// (so a suspended, revoked or expired permit shows as such); applications never.
    public var isVerifiable: Bool {
        switch self {
        case .issued, .suspended, .expired, .revoked, .surrendered: true
        case .requested, .reviewed, .approved, .rejected: false
        }
    }
}

public enum PermitAction: String, Sendable, Hashable, Codable, CaseIterable {
    /// 初审 by the district's squad.
    case review
    /// Refuse an application, with a reason.
    case reject
    /// 复审 by the city bureau.
    case approve
    case issue
    /// Stop a permit for a while (for example a serious violation), with a reason.
    case suspend
    case reinstate
    /// Withdraw a permit for good, with a reason.
    case revoke
}

extension PermitAction {
    var pastTense: String {
        switch self {
        case .review: "reviewed"
        case .reject: "rejected"
        case .approve: "approved"
        case .issue: "issued"
        case .suspend: "suspended"
        case .reinstate: "reinstated"
        case .revoke: "revoked"
        }
    }
}

public enum PermitError: Error, Sendable, Equatable {
    /// The actor's role or district may not take this action (403).
    case forbidden(String)
    /// The action does not fit the permit's state (409).
    case conflict(String)
    case invalid(ValidationError)
}

public enum PermitWorkflow {
    /// The state an action leads to from a state, or nil when it does not apply there.
    public static func target(of action: PermitAction, from state: PermitState) -> PermitState? {
        switch (action, state) {
        case (.review, .requested): .reviewed
        case (.reject, .requested), (.reject, .reviewed): .rejected
        case (.approve, .reviewed): .approved
        case (.issue, .approved): .issued
        case (.suspend, .issued): .suspended
        case (.reinstate, .suspended): .issued
        // A suspended permit can be revoked too: suspension is often the step before.
        case (.revoke, .issued), (.revoke, .suspended): .revoked
        default: nil
        }
    }

    /// Review and rejection belong to the district's officers (and admins); every later
    /// step to the city's administrators.
    public static func allowedRoles(for action: PermitAction) -> Set<Role> {
        switch action {
        case .review, .reject: [.officer, .admin]
        case .approve, .issue, .suspend, .reinstate, .revoke: [.admin]
        }
    }

    public static func requiresReason(_ action: PermitAction) -> Bool {
        switch action {
        case .reject, .suspend, .revoke: true
        case .review, .approve, .issue, .reinstate: false
        }
    }

    /// Decides an action: access first (403), then the reason (400), then the state (409).
    public static func decide(
        _ action: PermitAction, on state: PermitState, by actor: Account, permitDistrict: String, reason: String?
    ) throws(PermitError) -> PermitState {
        guard allowedRoles(for: action).contains(actor.role) else {
            throw .forbidden("only \(allowedRoles(for: action).map(\.rawValue).sorted().joined(separator: " or ")) may \(action.rawValue) a permit")
        }
        if !Access.covers(actor, district: permitDistrict) {
            throw .forbidden("this permit belongs to district \(permitDistrict)")
        }
        let trimmed = reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if requiresReason(action), trimmed.isEmpty {
            throw .invalid(ValidationError(field: "reason", message: "\(action.rawValue) needs a reason"))
        }
        if trimmed.count > 500 {
            throw .invalid(ValidationError(field: "reason", message: "reason must have at most 500 characters"))
        }
        guard let target = target(of: action, from: state) else {
            throw .conflict("a permit that is \(state.rawValue) cannot be \(action.pastTense)")
        }
        return target
    }

    /// What a stored state means on a given day: issued and suspended permits have
    /// expired once their season is over, without anyone having to record it.
    public static func effectiveState(_ stored: PermitState, season: Season, on day: LocalDate) -> PermitState {
        switch stored {
        case .issued where day > season.endsOn, .suspended where day > season.endsOn: .expired
        default: stored
        }
    }

    /// Readable, unique permit numbers: `LZ2026-CG-000123`.
    public static func permitNumber(year: Int, district: String, sequence: Int) -> String {
        "LZ\(year)-\(district)-" + zeroPadded(sequence, width: 6)
    }
}

/// A permit binding one vendor and one vehicle to one slot for one season.
public struct Permit: Sendable, Hashable {
    public var number: String
    public var season: Int
    public var vendorId: String
    public var slotId: String
    public var district: String
    /// The state as recorded; see `PermitWorkflow.effectiveState` for what it means today.
    public var state: PermitState
    public var produce: [String]
    public var vehiclePlate: String

    public init(
        number: String, season: Int, vendorId: String, slotId: String, district: String, state: PermitState, produce: [String], vehiclePlate: String
    ) {
        self.number = number
        self.season = season
        self.vendorId = vendorId
        self.slotId = slotId
        self.district = district
        self.state = state
        self.produce = produce
        self.vehiclePlate = vehiclePlate
    }
}

/// What citizens may see of a person: the family name and a star per other character.
public enum Masking {
    public static func name(_ name: String) -> String {
        // Spaces and tabs around the name are not part of it (what Foundation's `.whitespaces`
        // trims), cut here without it: the map's snapshot masks every holder's name at once.
        func blank(_ scalar: Unicode.Scalar) -> Bool { scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator }
        let scalars = name.unicodeScalars
        // Most names have nothing to trim: their first character and their length as they are.
        if let first = scalars.first, let last = scalars.last, !blank(first), !blank(last), let character = name.first {
            return String(character) + String(repeating: "*", count: max(1, name.count - 1))
        }
        guard let start = scalars.firstIndex(where: { !blank($0) }), let last = scalars.lastIndex(where: { !blank($0) }) else { return "" }
        let trimmed = Substring(scalars[start...last])
        guard let first = trimmed.first else { return "" }
        return String(first) + String(repeating: "*", count: max(1, trimmed.count - 1))
    }
}
