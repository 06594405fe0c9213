import GuatanCore
import Testing

@Suite("Permit workflow")
struct PermitWorkflowTests {
    static let admin = Account(id: 1, username: "admin", role: .admin, district: nil, vendorId: nil)
    static let cgOfficer = Account(id: 2, username: "cg.li", role: .officer, district: "CG", vendorId: nil)
    static let xgOfficer = Account(id: 3, username: "xg.sun", role: .officer, district: "XG", vendorId: nil)
    static let vendor = Account(id: 4, username: "zhangsan", role: .vendor, district: nil, vendorId: "V000001")

    /// The whole table: every (action, state) pair that is allowed, and where it leads.
    static let allowed: [PermitAction: [PermitState: PermitState]] = [
        .review: [.requested: .reviewed],
        .reject: [.requested: .rejected, .reviewed: .rejected],
        .approve: [.reviewed: .approved],
        .issue: [.approved: .issued],
        .suspend: [.issued: .suspended],
        .reinstate: [.suspended: .issued],
        .revoke: [.issued: .revoked, .suspended: .revoked],
    ]

    @Test("every action from every state leads where the table says, and nowhere else")
    func exhaustiveTable() {
        for action in PermitAction.allCases {
            for state in PermitState.allCases {
                #expect(PermitWorkflow.target(of: action, from: state) == Self.allowed[action]?[state], "\(action) from \(state)")
            }
        }
    }

    @Test("every action not in the table is a 409 for an actor who may take it")
    func conflicts() {
        for action in PermitAction.allCases {
            for state in PermitState.allCases where Self.allowed[action]?[state] == nil {
                #expect(throws: PermitError.self) {
                    try PermitWorkflow.decide(action, on: state, by: Self.admin, permitDistrict: "CG", reason: "a reason")
                }
                do {
                    _ = try PermitWorkflow.decide(action, on: state, by: Self.admin, permitDistrict: "CG", reason: "a reason")
                } catch {
                    guard case .conflict = error else {
                        Issue.record("\(action) from \(state): expected a conflict, got \(error)")
                        continue
                    }
                }
            }
        }
    }

    @Test("the real process: the district's officer reviews, an admin approves and issues")
    func happyPath() throws {
        var state = PermitState.requested
        state = try PermitWorkflow.decide(.review, on: state, by: Self.cgOfficer, permitDistrict: "CG", reason: nil)
        state = try PermitWorkflow.decide(.approve, on: state, by: Self.admin, permitDistrict: "CG", reason: nil)
        state = try PermitWorkflow.decide(.issue, on: state, by: Self.admin, permitDistrict: "CG", reason: nil)
        #expect(state == .issued)
        state = try PermitWorkflow.decide(.suspend, on: state, by: Self.admin, permitDistrict: "CG", reason: "占道经营")
        state = try PermitWorkflow.decide(.reinstate, on: state, by: Self.admin, permitDistrict: "CG", reason: nil)
        #expect(state == .issued)
    }

    @Test("officers act only in their district and only review or reject; vendors move nothing")
    func access() {
        #expect(throws: PermitError.forbidden("this permit belongs to district CG")) {
            try PermitWorkflow.decide(.review, on: .requested, by: Self.xgOfficer, permitDistrict: "CG", reason: nil)
        }
        for action in [PermitAction.approve, .issue, .suspend, .reinstate, .revoke] {
            #expect(throws: PermitError.self) {
                try PermitWorkflow.decide(action, on: .issued, by: Self.cgOfficer, permitDistrict: "CG", reason: "x")
            }
        }
        for action in PermitAction.allCases {
            do {
                _ = try PermitWorkflow.decide(action, on: .requested, by: Self.vendor, permitDistrict: "CG", reason: "x")
                Issue.record("a vendor must not \(action)")
            } catch {
                guard case .forbidden = error else {
                    Issue.record("expected forbidden, got \(error)")
                    continue
                }
            }
        }
        // Access is decided before the state: an officer approving gets 403, not 409.
        #expect(throws: PermitError.forbidden("only admin may approve a permit")) {
            try PermitWorkflow.decide(.approve, on: .expired, by: Self.cgOfficer, permitDistrict: "CG", reason: nil)
        }
    }

    @Test("rejecting, suspending and revoking need a reason")
    func reasons() {
        for action in [PermitAction.reject, .suspend, .revoke] {
            let from: PermitState = action == .reject ? .requested : .issued
            #expect(throws: PermitError.self) { try PermitWorkflow.decide(action, on: from, by: Self.admin, permitDistrict: "CG", reason: nil) }
            #expect(throws: PermitError.self) { try PermitWorkflow.decide(action, on: from, by: Self.admin, permitDistrict: "CG", reason: "  ") }
            #expect(throws: Never.self) { try PermitWorkflow.decide(action, on: from, by: Self.admin, permitDistrict: "CG", reason: "卫生不合格") }
        }
    }

    @Test("issued and suspended permits expire after their season; others keep their state")
    func expiry() {
        let season = Season.standard(year: 2026)
        let lastDay = LocalDate("2026-10-15")!
        let after = LocalDate("2026-10-16")!
        #expect(PermitWorkflow.effectiveState(.issued, season: season, on: lastDay) == .issued)
        #expect(PermitWorkflow.effectiveState(.issued, season: season, on: after) == .expired)
        #expect(PermitWorkflow.effectiveState(.suspended, season: season, on: after) == .expired)
        #expect(PermitWorkflow.effectiveState(.suspended, season: season, on: lastDay) == .suspended)
        for state in [PermitState.requested, .reviewed, .approved, .revoked, .rejected] {
            #expect(PermitWorkflow.effectiveState(state, season: season, on: after) == state)
        }
    }

    @Test("live states hold the slot; only issued permits are public; numbers are readable")
    func liveAndPublic() {
        #expect(PermitState.allCases.filter(\.isLive) == [.requested, .reviewed, .approved, .issued, .suspended])
        #expect(PermitState.allCases.filter(\.isPublic) == [.issued])
        #expect(PermitState.allCases.filter(\.isVerifiable) == [.issued, .suspended, .expired, .revoked, .surrendered])
        #expect(PermitWorkflow.permitNumber(year: 2026, district: "CG", sequence: 123) == "LZ2026-CG-000123")
    }
}

@Suite("Masking")
struct MaskingTests {
    @Test(
        "names keep only their first character",
        arguments: [
            ("张三", "张*"), ("欧阳娜娜", "欧***"), ("李", "李*"), (" 王五 ", "王*"), ("", ""), ("\t\u{3000}赵六\u{3000}", "赵*"), ("  ", ""),
            ("Ana María", "A********"),
        ])
    func names(name: String, masked: String) {
        #expect(Masking.name(name) == masked)
    }
}
