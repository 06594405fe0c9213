import Foundation
import GuatanCore
import Testing

@Suite("Accounts and access")
struct AccountRulesTests {
    @Test(
        "usernames",
        arguments: [
            ("admin", true), ("cg.wang-01", true), ("a_b", true), ("ab", false), (String(repeating: "a", count: 33), false),
            ("Admin", false), ("王五", false), ("-lead", false), (".dot", false), ("has space", false), ("", false),
        ])
    func usernames(name: String, valid: Bool) {
        #expect(((try? AccountRules.validateUsername(name)) != nil) == valid)
    }

    @Test("passwords need 8 characters, at most 72 bytes, and not the username")
    func passwords() {
        #expect(throws: ValidationError.self) { try AccountRules.validatePassword("short", username: "admin") }
        #expect(throws: ValidationError.self) { try AccountRules.validatePassword("ADMIN123", username: "admin123") }
        #expect(throws: ValidationError.self) { try AccountRules.validatePassword(String(repeating: "瓜", count: 25), username: "admin") }
        #expect(throws: Never.self) { try AccountRules.validatePassword("西瓜甜不甜呀朋友们", username: "admin") }
    }

    @Test("an officer needs a known district, an admin none, and vendors come with their record")
    func bindings() {
        let known: Set<String> = ["CG", "AN"]
        #expect(throws: Never.self) { try AccountRules.validateBinding(role: .officer, district: "CG", knownDistricts: known) }
        #expect(throws: Never.self) { try AccountRules.validateBinding(role: .admin, district: nil, knownDistricts: known) }
        #expect(throws: ValidationError.self) { try AccountRules.validateBinding(role: .officer, district: nil, knownDistricts: known) }
        #expect(throws: ValidationError.self) { try AccountRules.validateBinding(role: .officer, district: "XG", knownDistricts: known) }
        #expect(throws: ValidationError.self) { try AccountRules.validateBinding(role: .admin, district: "CG", knownDistricts: known) }
        #expect(throws: ValidationError.self) { try AccountRules.validateBinding(role: .vendor, district: nil, knownDistricts: known) }
    }

    @Test("the login throttle: a delay per account and address that doubles with each failure, and a cap per address")
    func throttle() {
        let throttle = LoginThrottle(window: 900, freeFailures: 5, firstDelay: 30, maxDelay: 3600, maxFailuresPerAddress: 20)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let four = (1...4).map { now.addingTimeInterval(-Double($0) * 10) }
        #expect(throttle.retryAfter(pairFailures: four, addressFailures: four, now: now) == nil)
        // The fifth failure, 10 s ago: 30 s from it.
        let five = four + [now.addingTimeInterval(-10)]
        #expect(throttle.retryAfter(pairFailures: five, addressFailures: [], now: now) == 20)
        // Each further failure doubles the wait: the seventh costs 120 s.
        let seven = five + [now.addingTimeInterval(-5), now.addingTimeInterval(-1)]
        #expect(throttle.retryAfter(pairFailures: seven, addressFailures: [], now: now) == 119)
        // The wait never passes an hour, however many guesses.
        let many = (1...40).map { now.addingTimeInterval(-Double($0)) }
        #expect(throttle.retryAfter(pairFailures: many, addressFailures: [], now: now) == 3599)
        // Once the delay has passed one more attempt may be made.
        #expect(throttle.retryAfter(pairFailures: five.map { $0.addingTimeInterval(-30) }, addressFailures: [], now: now) == nil)
        // Many names tried from one address are throttled by the address.
        let spray = (1...20).map { now.addingTimeInterval(-Double($0)) }
        #expect(throttle.retryAfter(pairFailures: [], addressFailures: spray, now: now) == 880)
        let old = (1...30).map { now.addingTimeInterval(-1000 - Double($0)) }
        #expect(throttle.retryAfter(pairFailures: [], addressFailures: old, now: now) == nil)
    }

    @Test("access: 401 for nobody, 403 for the wrong role or district, admins everywhere")
    func access() throws {
        let admin = Account(id: 1, username: "admin", role: .admin, district: nil, vendorId: nil)
        let officer = Account(id: 2, username: "cg.li", role: .officer, district: "CG", vendorId: nil)
        let vendor = Account(id: 3, username: "farmer", role: .vendor, district: nil, vendorId: "V1")
        #expect(throws: AccessError.unauthenticated) { try Access.require(nil, roles: [.admin]) }
        #expect(throws: AccessError.self) { try Access.require(officer, roles: [.admin]) }
        #expect(try Access.require(officer, roles: [.admin, .officer]) == officer)
        #expect(throws: Never.self) { try Access.requireDistrict(admin, "XG") }
        #expect(throws: Never.self) { try Access.requireDistrict(officer, "CG") }
        #expect(throws: AccessError.self) { try Access.requireDistrict(officer, "XG") }
        #expect(throws: AccessError.self) { try Access.requireDistrict(vendor, "CG") }
    }
}
