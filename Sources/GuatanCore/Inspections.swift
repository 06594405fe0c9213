import Foundation

/// What an officer can find at a stall (两包四必三禁, 人证位相符), with the points each costs
/// from the permit's 12-point monthly balance by default (configurable per season).
public enum ViolationCode: String, Sendable, Hashable, Codable, CaseIterable {
    case outsideBoundary = "outside_boundary"
    case notOwnProduce = "not_own_produce"
    case hygiene
    case shortWeight = "short_weight"
    case permitNotShown = "permit_not_shown"
    case personPermitSlotMismatch = "person_permit_slot_mismatch"
    case notCleanedUp = "not_cleaned_up"

    public var defaultPoints: Int {
        switch self {
        case .outsideBoundary: 3
        case .notOwnProduce: 6
        case .hygiene: 2
        case .shortWeight: 6
        case .permitNotShown: 1
        case .personPermitSlotMismatch: 12
        case .notCleanedUp: 2
        }
    }

    public var nameZh: String {
        switch self {
        case .outsideBoundary: "超出摊位经营"
        case .notOwnProduce: "非自产瓜果"
        case .hygiene: "卫生不达标"
        case .shortWeight: "缺斤短两"
        case .permitNotShown: "未亮证经营"
        case .personPermitSlotMismatch: "人证位不符"
        case .notCleanedUp: "收摊未清理"
        }
    }
}

public enum InspectionResult: String, Sendable, Hashable, Codable, CaseIterable {
    case compliant
    /// A warning costs no points.
    case warning
    case violation
}

public enum InspectionRules {
    /// Compliant lists no violations; a violation lists at least one; a warning may name what it warns about.
    public static func validate(result: InspectionResult, violations: [ViolationCode]) throws(ValidationError) {
        switch result {
        case .compliant where !violations.isEmpty:
            throw ValidationError(field: "violations", message: "a compliant inspection lists no violations")
        case .violation where violations.isEmpty:
            throw ValidationError(field: "violations", message: "name the violations found")
        default:
            break
        }
        guard Set(violations).count == violations.count else {
            throw ValidationError(field: "violations", message: "name each violation once")
        }
    }

    /// The points an inspection deducts: only a violation costs points.
    public static func deductions(result: InspectionResult, violations: [ViolationCode], points: (ViolationCode) -> Int) -> [(ViolationCode, Int)] {
        guard result == .violation else { return [] }
        return violations.map { ($0, points($0)) }.filter { $0.1 > 0 }
    }
}

extension Scoring {
    /// Reaching zero in this many months of one season revokes the permit and bars the vendor
    /// from the next season.
    public static let exhaustedMonthsForRevocation = 3

    /// The months (`YYYY-MM`) in which the points deducted reached the monthly balance.
    public static func exhaustedMonths(deductedByMonth: [String: Int]) -> [String] {
        deductedByMonth.filter { balance(deducted: $0.value) == 0 }.keys.sorted()
    }

    public static func warrantsRevocation(deductedByMonth: [String: Int]) -> Bool {
        exhaustedMonths(deductedByMonth: deductedByMonth).count >= exhaustedMonthsForRevocation
    }
}
