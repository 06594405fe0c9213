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
    /// A squad sent it back (退单: not ours, wrong district, a duplicate): the bureau
    /// dispatches it again or rejects it.
    case sentBack = "sent_back"

    /// The states of cases still being worked on.
    public static let open: Set<ReportState> = Set(allCases.filter(\.isOpen))

    /// Still being worked on: Open311's `open`, and what new reports are linked to as duplicates.
    public var isOpen: Bool {
        switch self {
        case .submitted, .accepted, .dispatched, .handled, .verified, .sentBack: true
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
    /// The squad gives a case back to the bureau, with its reason (退单).
    case sendBack = "send_back"
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
        case (.sendBack, .accepted), (.sendBack, .dispatched): .sentBack
        // The bureau dispatches a sent-back case again (to another district, perhaps) or rejects it.
        case (.dispatch, .sentBack): .dispatched
        case (.reject, .sentBack): .rejected
        default: nil
        }
    }

    /// Rejecting, sending back from verification, marking a duplicate and closing tell the
    /// reporter why (a case is never closed without a word to him).
    public static func requiresPublicNote(_ action: ReportAction) -> Bool {
        switch action {
        case .reject, .redispatch, .markDuplicate, .reopen, .close: true
        case .accept, .dispatch, .handle, .verify, .sendBack: false
        }
    }

    /// Decides an officer's or administrator's action: access (403), notes (400), state (409).
    public static func decide(
        _ action: ReportAction, on state: ReportState, by actor: Account, caseDistrict: String, publicNote: String?
    ) throws(ReportError) -> ReportState {
        guard action != .reopen else { throw .forbidden("only the reporter reopens a case, with the tracking code") }
        guard actor.role == .officer || actor.role == .admin else { throw .forbidden("only officers and administrators work cases") }
        guard Access.covers(actor, district: caseDistrict) else { throw .forbidden("this case belongs to district \(caseDistrict)") }
        // A case given back is the bureau's to place again.
        if state == .sentBack, actor.role != .admin { throw .forbidden("a case sent back is dispatched again or rejected by the bureau") }
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

/// One step of a case's timeline. `actorRole` is `citizen`, `officer`, `admin` or `system`.
public struct ReportEvent: Sendable, Hashable {
    public var at: Date
    public var actorRole: String
    public var action: String
    public var fromState: ReportState?
    public var toState: ReportState
    public var publicNote: String?
    /// For officers and administrators only.
    public var internalNote: String?

    public init(
        at: Date, actorRole: String, action: String, fromState: ReportState?, toState: ReportState, publicNote: String?, internalNote: String?
    ) {
        self.at = at
        self.actorRole = actorRole
        self.action = action
        self.fromState = fromState
        self.toState = toState
        self.publicNote = publicNote
        self.internalNote = internalNote
    }
}

/// A citizen's report and its case.
public struct Report: Sendable, Hashable {
    public var id: String
    public var category: ReportCategory
    public var description: String
    public var slotId: String?
    public var siteId: String?
    public var permitNumber: String?
    public var district: String
    public var position: Coordinate
    /// Officers only; never public.
    public var contactPhone: String?
    public var state: ReportState
    public var duplicateOf: String?
    public var dueAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
    public var closedAt: Date?
    public var rating: Int?
    public var ratingComment: String?
    public var photoIds: [String]
    public var timeline: [ReportEvent]
    /// How it came in; who entered it for a staff channel (officers and administrators only).
    public var channel: ReportChannel = .web
    public var enteredBy: String?
    /// When it passed its time limit and went to the bureau's escalation queue.
    public var escalatedAt: Date?
    /// The reporter left a number and asked to be told by SMS.
    public var notifySMS = false
    /// What the reporter said instead of or beside the text: staff only.
    public var voiceNote: VoiceNote?

    public init(
        id: String, category: ReportCategory, description: String, slotId: String?, siteId: String?, permitNumber: String?, district: String,
        position: Coordinate, contactPhone: String?, state: ReportState, duplicateOf: String?, dueAt: Date?, createdAt: Date, updatedAt: Date,
        closedAt: Date?, rating: Int?, ratingComment: String?, photoIds: [String], timeline: [ReportEvent]
    ) {
        self.id = id
        self.category = category
        self.description = description
        self.slotId = slotId
        self.siteId = siteId
        self.permitNumber = permitNumber
        self.district = district
        self.position = position
        self.contactPhone = contactPhone
        self.state = state
        self.duplicateOf = duplicateOf
        self.dueAt = dueAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.closedAt = closedAt
        self.rating = rating
        self.ratingComment = ratingComment
        self.photoIds = photoIds
        self.timeline = timeline
    }
}

/// What a citizen sends, before the store places it.
public struct ReportIntake: Sendable, Hashable {
    public enum Subject: Sendable, Hashable {
        case slot(String)
        case permit(String)
        case place(Coordinate)
    }

    public var category: ReportCategory
    public var description: String
    public var subject: Subject
    public var contactPhone: String?

    public init(category: ReportCategory, description: String, subject: Subject, contactPhone: String?) {
        self.category = category
        self.description = description
        self.subject = subject
        self.contactPhone = contactPhone
    }
}

public enum ReportRules {
    public static let maxPhotos = 3

    /// Checks the citizen's words: a known category, 1–2000 characters, a mobile number if any.
    public static func validate(
        category raw: String?, description: String?, contactPhone: String?
    ) throws(ValidationError) -> (ReportCategory, String, String?) {
        guard let raw, let category = ReportCategory(rawValue: raw.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw ValidationError(
                field: "category", message: "category must be one of \(ReportCategory.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let text = (description ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...2000).contains(text.count) else {
            throw ValidationError(field: "description", message: "description must have 1–2000 characters")
        }
        var phone: String?
        if let contactPhone {
            let digits = contactPhone.filter { !$0.isWhitespace && $0 != "-" }
            if !digits.isEmpty {
                guard VendorRules.isMobileNumber(digits) else {
                    throw ValidationError(field: "contact_phone", message: "contact_phone must be an 11-digit mainland mobile number")
                }
                phone = digits
            }
        }
        return (category, text, phone)
    }

    /// A description as the public sees it (see `PrivateText.mask`).
    public static func publicDescription(_ text: String) -> String {
        PrivateText.mask(text)
    }

    /// Where a report about a place (not a stall) is shown to the public: on a grid of about
    /// 50 m, so that a report made from home does not point at the door. Officers see it exact.
    public static func publicPosition(_ position: Coordinate) -> Coordinate {
        let step = 0.0005
        return Coordinate(lat: (position.lat / step).rounded() * step, lng: (position.lng / step).rounded() * step)
    }
}

/// The one masking function for free text the public sees (descriptions, public notes, rating
/// comments): any run of seven or more digits is starred out, whether the digits are ASCII or
/// full-width (`１３８…`) and whether they are split by spaces, dots or dashes (`138-1234-5678`,
/// `138 1234 5678`, `0931.8123456`, `(0931) 8123456`): mobile and landline numbers and ID-card
/// numbers (their final `X` too). Dates written `2026-07-15` stay.
public enum PrivateText {
    static let separators: Set<Character> = [
        " ", "\u{3000}", "\u{00A0}", "-", "\u{FF0D}", "\u{2010}", "\u{2011}", "\u{2012}", "\u{2013}", "\u{2014}",
        ".", "\u{FF0E}", "\u{00B7}", "\u{30FB}", "(", ")", "\u{FF08}", "\u{FF09}", "/", "_", "+", "\u{FF0B}",
    ]

    /// Whether `character` is a decimal digit in any script's form (ASCII, full-width…).
    static func isDigit(_ character: Character) -> Bool {
        character.unicodeScalars.count == 1 && character.unicodeScalars.first!.properties.numericType == .decimal
    }

    static func isDate(_ run: [Character]) -> Bool {
        let text = String(
            run.map { character -> Character in
                guard let value = character.unicodeScalars.first?.properties.numericValue, isDigit(character) else { return character }
                return Character(String(Int(value)))
            })
        let parts = text.split(omittingEmptySubsequences: false) { "-./".contains($0) }
        guard parts.count == 3, parts[0].count == 4, (1...2).contains(parts[1].count), (1...2).contains(parts[2].count),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return false }
        return (1900...2100).contains(year) && (1...12).contains(month) && (1...31).contains(day)
    }

    public static func mask(_ text: String) -> String {
        let characters = Array(text)
        var out = ""
        var index = 0
        while index < characters.count {
            guard isDigit(characters[index]) else {
                out.append(characters[index])
                index += 1
                continue
            }
            // A run: digits, with separators only where a digit follows them.
            var end = index
            var digits = 0
            var scan = index
            while scan < characters.count {
                if isDigit(characters[scan]) {
                    digits += 1
                    scan += 1
                    end = scan
                } else if separators.contains(characters[scan]) {
                    var next = scan
                    while next < characters.count, separators.contains(characters[next]), next - scan < 3 { next += 1 }
                    guard next < characters.count, isDigit(characters[next]) else { break }
                    scan = next
                } else {
                    break
                }
            }
            // An ID card's check character.
            if digits == 17, end < characters.count, "xX\u{FF38}\u{FF58}".contains(characters[end]) { end += 1 }
            let run = Array(characters[index..<end])
            if digits >= 7, !isDate(run) {
                out += String(repeating: "*", count: run.count)
            } else {
                out += String(run)
            }
            index = end
        }
        return out
    }
}
