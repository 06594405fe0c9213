import GuatanCore
import Testing

@Suite("Inspections and the points balance")
struct InspectionRulesTests {
    @Test("default deductions are API.md's")
    func defaults() {
        let expected: [ViolationCode: Int] = [
            .outsideBoundary: 3, .notOwnProduce: 6, .hygiene: 2, .shortWeight: 6, .permitNotShown: 1, .personPermitSlotMismatch: 12,
            .notCleanedUp: 2,
        ]
        for code in ViolationCode.allCases {
            #expect(code.defaultPoints == expected[code], "\(code)")
        }
    }

    @Test("results and violations must agree; each violation once")
    func validation() {
        #expect(throws: Never.self) { try InspectionRules.validate(result: .compliant, violations: []) }
        #expect(throws: ValidationError.self) { try InspectionRules.validate(result: .compliant, violations: [.hygiene]) }
        #expect(throws: ValidationError.self) { try InspectionRules.validate(result: .violation, violations: []) }
        #expect(throws: ValidationError.self) { try InspectionRules.validate(result: .violation, violations: [.hygiene, .hygiene]) }
        #expect(throws: Never.self) { try InspectionRules.validate(result: .warning, violations: [.permitNotShown]) }
    }

    @Test("only a violation costs points; a warning costs none")
    func deductions() {
        let points: (ViolationCode) -> Int = { $0.defaultPoints }
        #expect(InspectionRules.deductions(result: .warning, violations: [.shortWeight], points: points).isEmpty)
        let found = InspectionRules.deductions(result: .violation, violations: [.shortWeight, .hygiene], points: points)
        #expect(found.map(\.0) == [.shortWeight, .hygiene] && found.map(\.1) == [6, 2])
    }

    @Test("two short_weight in a month exhaust it; three exhausted months of a season warrant revocation")
    func escalation() {
        #expect(Scoring.balance(deducted: 6 + 6) == 0)
        #expect(Scoring.exhaustedMonths(deductedByMonth: ["2026-07": 12, "2026-08": 11]) == ["2026-07"])
        #expect(!Scoring.warrantsRevocation(deductedByMonth: ["2026-06": 12, "2026-07": 14, "2026-08": 11]))
        #expect(Scoring.warrantsRevocation(deductedByMonth: ["2026-06": 12, "2026-07": 14, "2026-09": 12]))
    }
}
