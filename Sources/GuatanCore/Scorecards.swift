import Foundation

/// One case as a scorecard counts it (数字城管's 考核): when it was dispatched and first handled,
/// against which time limit, by whom, and what happened to it after.
public struct CaseFacts: Sendable, Hashable {
    public var reportId: String
    public var district: String
    public var firstDispatchAt: Date?
    public var firstHandleAt: Date?
    /// `account:username` of the first handling.
    public var handledBy: String?
    /// The time limit in force when it was first handled.
    public var dueAtHandling: Date?
    /// Sent back from verification to be done again (返工).
    public var reworked: Bool
    public var reopened: Bool
    public var everClosed: Bool
    public var escalated: Bool
    public var rating: Int?

    public init(
        reportId: String, district: String, firstDispatchAt: Date?, firstHandleAt: Date?, handledBy: String?, dueAtHandling: Date?,
        reworked: Bool, reopened: Bool, everClosed: Bool, escalated: Bool, rating: Int?
    ) {
        self.reportId = reportId
        self.district = district
        self.firstDispatchAt = firstDispatchAt
        self.firstHandleAt = firstHandleAt
        self.handledBy = handledBy
        self.dueAtHandling = dueAtHandling
        self.reworked = reworked
        self.reopened = reopened
        self.everClosed = everClosed
        self.escalated = escalated
        self.rating = rating
    }
}

/// A squad's or an officer's figures for a period.
public struct Scorecard: Sendable, Hashable {
    /// The district's code, or the officer's username.
    public var key: String
    public var received = 0
    public var dispatched = 0
    public var handled = 0
    public var handledInTime = 0
    public var escalated = 0
    public var reworked = 0
    public var closed = 0
    public var reopened = 0
    public var ratings: [Int] = []
    public var handlingMinutes: [Double] = []

    public init(key: String) {
        self.key = key
    }

    /// 按期处置率: handled within the limit, of those handled.
    public var onTimeRate: Double? { handled == 0 ? nil : Double(handledInTime) / Double(handled) }
    /// 返工率: sent back from verification, of those handled.
    public var reworkRate: Double? { handled == 0 ? nil : Double(reworked) / Double(handled) }
    /// Reopened by the reporter, of those closed.
    public var reopenRate: Double? { closed == 0 ? nil : Double(reopened) / Double(closed) }
    public var averageRating: Double? { ratings.isEmpty ? nil : Double(ratings.reduce(0, +)) / Double(ratings.count) }
    /// Satisfied: rated 4 or 5, of those rated.
    public var satisfaction: Double? { ratings.isEmpty ? nil : Double(ratings.filter { $0 >= 4 }.count) / Double(ratings.count) }
    public var averageHandlingMinutes: Double? {
        handlingMinutes.isEmpty ? nil : handlingMinutes.reduce(0, +) / Double(handlingMinutes.count)
    }
    /// The 90th percentile by nearest rank: nine in ten cases were handled within it.
    public var p90HandlingMinutes: Double? {
        guard !handlingMinutes.isEmpty else { return nil }
        let sorted = handlingMinutes.sorted()
        let rank = Int((0.9 * Double(sorted.count)).rounded(.up))
        return sorted[max(rank, 1) - 1]
    }
}

public enum Scorecards {
    /// Each district squad's figures for the cases received in the period.
    public static func byDistrict(_ cases: [CaseFacts]) -> [Scorecard] {
        var cards: [String: Scorecard] = [:]
        for fact in cases {
            var card = cards[fact.district] ?? Scorecard(key: fact.district)
            card.received += 1
            count(fact, into: &card)
            cards[fact.district] = card
        }
        return cards.values.sorted { $0.key < $1.key }
    }

    /// Each officer's figures for the cases he first handled.
    public static func byOfficer(_ cases: [CaseFacts]) -> [Scorecard] {
        var cards: [String: Scorecard] = [:]
        for fact in cases {
            guard let officer = fact.handledBy.map({ $0.hasPrefix("account:") ? String($0.dropFirst(8)) : $0 }) else { continue }
            var card = cards[officer] ?? Scorecard(key: officer)
            card.received += 1
            count(fact, into: &card)
            cards[officer] = card
        }
        return cards.values.sorted { $0.key < $1.key }
    }

    static func count(_ fact: CaseFacts, into card: inout Scorecard) {
        if fact.firstDispatchAt != nil { card.dispatched += 1 }
        if fact.escalated { card.escalated += 1 }
        if let handled = fact.firstHandleAt {
            card.handled += 1
            if let due = fact.dueAtHandling, handled <= due { card.handledInTime += 1 }
            if let dispatched = fact.firstDispatchAt { card.handlingMinutes.append(max(0, handled.timeIntervalSince(dispatched) / 60)) }
            if fact.reworked { card.reworked += 1 }
        }
        if fact.everClosed {
            card.closed += 1
            if fact.reopened { card.reopened += 1 }
        }
        if let rating = fact.rating { card.ratings.append(rating) }
    }
}
