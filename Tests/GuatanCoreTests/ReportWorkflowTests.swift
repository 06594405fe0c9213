import Foundation
import GuatanCore
import Testing

@Suite("Report case loop (市民监督)")
struct ReportWorkflowTests {
    static let admin = Account(id: 1, username: "admin", role: .admin, district: nil, vendorId: nil)
    static let cg = Account(id: 2, username: "cg.li", role: .officer, district: "CG", vendorId: nil)
    static let xg = Account(id: 3, username: "xg.sun", role: .officer, district: "XG", vendorId: nil)
    static let vendor = Account(id: 4, username: "zhangsan", role: .vendor, district: nil, vendorId: "V000001")
    static let callTaker = Account(id: 5, username: "hotline.wang", role: .callTaker, district: nil, vendorId: nil)

    static let allowed: [ReportAction: [ReportState: ReportState]] = [
        .accept: [.submitted: .accepted],
        .reject: [.submitted: .rejected, .sentBack: .rejected],
        .dispatch: [.accepted: .dispatched, .sentBack: .dispatched],
        .handle: [.dispatched: .handled],
        .verify: [.handled: .verified],
        .redispatch: [.handled: .dispatched],
        .close: [.verified: .closed],
        .markDuplicate: [.submitted: .duplicate, .accepted: .duplicate],
        .reopen: [.closed: .dispatched],
        .sendBack: [.accepted: .sentBack, .dispatched: .sentBack],
    ]

    @Test("every action from every state leads where the table says, and nowhere else")
    func exhaustiveTable() {
        for action in ReportAction.allCases {
            for state in ReportState.allCases {
                #expect(ReportWorkflow.target(of: action, from: state) == Self.allowed[action]?[state], "\(action) from \(state)")
            }
        }
    }

    @Test("an officer of the case's district or an admin may act; anyone else is refused before the state is looked at")
    func access() throws {
        for action in ReportAction.allCases where action != .reopen {
            for state in ReportState.allCases {
                for actor in [Self.xg, Self.vendor, Self.callTaker] {
                    #expect(throws: ReportError.self) {
                        try ReportWorkflow.decide(action, on: state, by: actor, caseDistrict: "CG", publicNote: "note")
                    }
                    do {
                        _ = try ReportWorkflow.decide(action, on: state, by: actor, caseDistrict: "CG", publicNote: "note")
                    } catch {
                        guard case .forbidden = error else {
                            Issue.record("\(actor.username) \(action) \(state): \(error)")
                            continue
                        }
                    }
                }
                for actor in [Self.cg, Self.admin] {
                    let result = Result { () throws(ReportError) -> ReportState in
                        try ReportWorkflow.decide(action, on: state, by: actor, caseDistrict: "CG", publicNote: "note")
                    }
                    switch (result, Self.allowed[action]?[state]) {
                    // A case sent back is the bureau's: the squad cannot place it again itself.
                    case (.failure(.forbidden), _) where state == .sentBack && actor.role == .officer: break
                    case (.success(let target), let expected?): #expect(target == expected)
                    case (.failure(.conflict), nil): break
                    default: Issue.record("\(actor.username) \(action) from \(state): \(result)")
                    }
                }
            }
        }
        // Reopening is the reporter's, never an officer's.
        #expect(throws: ReportError.self) { try ReportWorkflow.decide(.reopen, on: .closed, by: Self.admin, caseDistrict: "CG", publicNote: "x") }
    }

    @Test("rejecting, sending back, marking a duplicate and closing need a public note")
    func notes() {
        #expect(throws: ReportError.self) { try ReportWorkflow.decide(.close, on: .verified, by: Self.cg, caseDistrict: "CG", publicNote: " ") }
        for action in [ReportAction.reject, .markDuplicate] {
            #expect(throws: ReportError.invalid(ValidationError(field: "public_note", message: "\(action.rawValue) needs a public note saying why")))
            {
                try ReportWorkflow.decide(action, on: .submitted, by: Self.cg, caseDistrict: "CG", publicNote: "  ")
            }
        }
        #expect(throws: ReportError.self) { try ReportWorkflow.decide(.redispatch, on: .handled, by: Self.cg, caseDistrict: "CG", publicNote: nil) }
        #expect((try? ReportWorkflow.decide(.accept, on: .submitted, by: Self.cg, caseDistrict: "CG", publicNote: nil)) == .accepted)
    }

    @Test("a closed case reopens within 7 days of closing, not after, and only when closed")
    func reopen() throws {
        let closedAt = Date(timeIntervalSince1970: 1_780_000_000)
        #expect(try ReportWorkflow.decideReopen(on: .closed, closedAt: closedAt, at: closedAt.addingTimeInterval(7 * 86_400)) == .dispatched)
        #expect(throws: ReportError.self) {
            try ReportWorkflow.decideReopen(on: .closed, closedAt: closedAt, at: closedAt.addingTimeInterval(7 * 86_400 + 1))
        }
        #expect(throws: ReportError.self) { try ReportWorkflow.decideReopen(on: .handled, closedAt: nil, at: closedAt) }
    }

    @Test("time limits: due from dispatch by category; overdue only while dispatched and past due")
    func timeLimits() {
        #expect(ReportCategory.occupyingRoad.defaultTimeLimitMinutes == 120)
        #expect(ReportCategory.hygiene.defaultTimeLimitMinutes == 240)
        #expect(ReportCategory.unlicensed.defaultTimeLimitMinutes == 240)
        #expect(ReportCategory.shortWeight.defaultTimeLimitMinutes == 1_440)
        #expect(ReportCategory.suggestion.defaultTimeLimitMinutes == 4_320)
        let dispatched = Date(timeIntervalSince1970: 1_780_000_000)
        let due = ReportWorkflow.dueAt(dispatchedAt: dispatched, limitMinutes: 120)
        #expect(due.timeIntervalSince(dispatched) == 7_200)
        #expect(!ReportWorkflow.isOverdue(state: .dispatched, dueAt: due, at: due))
        #expect(ReportWorkflow.isOverdue(state: .dispatched, dueAt: due, at: due.addingTimeInterval(1)))
        #expect(!ReportWorkflow.isOverdue(state: .handled, dueAt: due, at: due.addingTimeInterval(1)))
    }

    @Test("ratings are 1 to 5 with a short comment")
    func rating() {
        #expect(throws: Never.self) { try ReportWorkflow.validateRating(score: 5, comment: "处理及时") }
        #expect(throws: ValidationError.self) { try ReportWorkflow.validateRating(score: 0, comment: nil) }
        #expect(throws: ValidationError.self) { try ReportWorkflow.validateRating(score: 6, comment: nil) }
        #expect(throws: ValidationError.self) { try ReportWorkflow.validateRating(score: 3, comment: String(repeating: "长", count: 501)) }
    }

    @Test("every category has Chinese and English names")
    func categories() {
        #expect(ReportCategory.allCases.count == 9)
        for category in ReportCategory.allCases {
            #expect(!category.nameZh.isEmpty && !category.nameEn.isEmpty)
        }
        #expect(ReportCategory.shortWeight.nameZh == "缺斤短两/价格")
    }
}

@Suite("Private text in public views")
struct PrivateTextTests {
    @Test(
        "mobile, landline and ID-card numbers are starred out however they are written",
        arguments: [
            ("打13812345678找我", "打", 11, "找我"),
            ("电话１３８１２３４５６７８", "电话", 11, ""),
            ("手机138-1234-5678谢谢", "手机", 13, "谢谢"),
            ("手机 138 1234 5678。", "手机 ", 13, "。"),
            ("call 138.1234.5678", "call ", 13, ""),
            ("座机0931-8123456", "座机", 12, ""),
            ("座机(0931) 8123456", "座机(", 13, ""),
            ("座机０９３１－８１２３４５６", "座机", 12, ""),
            ("身份证62010219800615123X", "身份证", 18, ""),
            ("身份证 6201 0219 8006 1512 3x", "身份证 ", 22, ""),
            ("+86 138 1234 5678", "+", 16, ""),
        ])
    func masked(text: String, before: String, stars: Int, after: String) {
        #expect(PrivateText.mask(text) == before + String(repeating: "*", count: stars) + after)
    }

    @Test(
        "short numbers, prices, times and dates stay",
        arguments: [
            "3号摊位 5元一斤", "早上 9:30 到 10:00", "2026-07-15 下午", "称了 2.5 公斤少了 0.3", "摊位 CG-001-01", "123 456",
        ])
    func kept(text: String) {
        #expect(PrivateText.mask(text) == text)
    }

    @Test("a place report's public position is on a 50 m grid")
    func position() {
        let exact = Coordinate(lat: 36.061234, lng: 103.834567)
        let shown = ReportRules.publicPosition(exact)
        #expect(abs(shown.lat - 36.061) < 1e-9)
        #expect(abs(shown.lng - 103.8345) < 1e-9)
        #expect(Geodesy.distance(exact, shown) < 50)
    }
}
