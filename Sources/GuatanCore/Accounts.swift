import Foundation

/// Who a signed-in user is to the programme. Citizens have no account.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
    /// 市城管委景观科: the whole city's registry, permits and accounts.
    case admin
    /// 执法人员 of one district's enforcement squad.
    case officer
    /// A farmer holding (or applying for) a permit; bound to one vendor record.
    case vendor
    /// The bureau's call taker (12319/12345 hotlines, visitors): enters reports for the whole
    /// city and reads cases, but works none.
    case callTaker = "call_taker"
}

public struct Account: Sendable, Hashable {
    public var id: Int64
    public var username: String
    public var role: Role
    /// The district an officer works in; nil for the other roles.
    public var district: String?
    /// The vendor record a vendor account belongs to; nil for the other roles.
    public var vendorId: String?

    public init(id: Int64, username: String, role: Role, district: String?, vendorId: String?) {
        self.id = id
        self.username = username
        self.role = role
        self.district = district
        self.vendorId = vendorId
    }
}

public enum AccountRules {
    public static let minPasswordLength = 8
    /// bcrypt reads at most 72 bytes; a longer password would be silently cut.
    public static let maxPasswordBytes = 72

    /// 3–32 characters: lower-case ASCII letters, digits, `.`, `_`, `-`, starting with a letter or digit.
    public static func validateUsername(_ username: String) throws(ValidationError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789._-")
        guard (3...32).contains(username.count), username.allSatisfy(allowed.contains),
            let first = username.first, first.isLetter || first.isNumber
        else {
            throw ValidationError(
                field: "username", message: "username must be 3–32 characters of a–z, 0–9, '.', '_' or '-', starting with a letter or digit")
        }
    }

    public static func validatePassword(_ password: String, username: String) throws(ValidationError) {
        guard password.count >= minPasswordLength else {
            throw ValidationError(field: "password", message: "password must have at least \(minPasswordLength) characters")
        }
        guard password.utf8.count <= maxPasswordBytes else {
            throw ValidationError(field: "password", message: "password must be at most \(maxPasswordBytes) bytes")
        }
        guard password.lowercased() != username.lowercased() else {
            throw ValidationError(field: "password", message: "password must not be the username")
        }
    }

    /// Access can be taken from anyone but the city's last active administrator: without one,
    /// nobody could give it back short of the command line on the server.
    public static func checkDisable(_ account: Account, activeAdmins: Int) throws(ValidationError) {
        if account.role == .admin, activeAdmins <= 1 {
            throw ValidationError(field: "username", message: "\(account.username) is the last active administrator; enable or create another first")
        }
    }

    /// An officer belongs to exactly one district; admins to none. Vendors are bound to a
    /// vendor record instead, which the vendor registry creates together with the account.
    public static func validateBinding(role: Role, district: String?, knownDistricts: Set<String>) throws(ValidationError) {
        switch role {
        case .officer:
            guard let district else {
                throw ValidationError(field: "district", message: "an officer needs a district")
            }
            guard knownDistricts.contains(district) else {
                throw ValidationError(
                    field: "district", message: "unknown district '\(district)'; one of \(knownDistricts.sorted().joined(separator: ", "))")
            }
        case .admin, .callTaker:
            guard district == nil else {
                throw ValidationError(field: "district", message: "\(role.rawValue) works for the whole city and has no district")
            }
        case .vendor:
            throw ValidationError(field: "role", message: "vendor accounts are created with their vendor record")
        }
    }
}

/// Slows down password guessing without handing anyone a way to lock others out.
///
/// Failures count per (account, address): after `freeFailures` of them one address waits
/// before it may try that account again, `firstDelay` at first and twice as long after every
/// further failure, up to `maxDelay`; the owner signing in from his own phone is never held up
/// by someone guessing from elsewhere. An address that tries many accounts is held by
/// `maxFailuresPerAddress` within `window` across all of them.
public struct LoginThrottle: Sendable {
    public var window: TimeInterval
    public var freeFailures: Int
    public var firstDelay: TimeInterval
    public var maxDelay: TimeInterval
    public var maxFailuresPerAddress: Int

    public init(
        window: TimeInterval = 15 * 60, freeFailures: Int = 5, firstDelay: TimeInterval = 30, maxDelay: TimeInterval = 3600,
        maxFailuresPerAddress: Int = 20
    ) {
        self.window = window
        self.freeFailures = freeFailures
        self.firstDelay = firstDelay
        self.maxDelay = maxDelay
        self.maxFailuresPerAddress = maxFailuresPerAddress
    }

    /// How far back failures matter: the longest delay, or the address window.
    public var memory: TimeInterval { max(window, maxDelay * 2) }

    /// Seconds to wait before another attempt, or nil when one may be made now.
    /// `pairFailures` are this address's failures for this account (within `memory`),
    /// `addressFailures` this address's failures for any account.
    public func retryAfter(pairFailures: [Date], addressFailures: [Date], now: Date) -> Int? {
        var waits: [TimeInterval] = []
        let pair = pairFailures.filter { now.timeIntervalSince($0) < memory }.sorted()
        if pair.count >= freeFailures, let last = pair.last {
            let doublings = min(pair.count - freeFailures, 30)
            let delay = min(firstDelay * Double(1 << doublings), maxDelay)
            waits.append(last.addingTimeInterval(delay).timeIntervalSince(now))
        }
        let recent = addressFailures.filter { now.timeIntervalSince($0) < window }.sorted()
        if recent.count >= maxFailuresPerAddress {
            // Allowed again once enough failures have aged out of the window.
            waits.append(recent[recent.count - maxFailuresPerAddress].addingTimeInterval(window).timeIntervalSince(now))
        }
        guard let longest = waits.max(), longest > 0 else { return nil }
        return max(1, Int(longest.rounded(.up)))
    }
}

/// Refusals of the access rules, mapped to 401 and 403.
public enum AccessError: Error, Sendable, Equatable {
    case unauthenticated
    case forbidden(String)
}

public enum Access {
    /// The account, if it has one of `roles`; 401 when nobody is signed in, 403 otherwise.
    public static func require(_ account: Account?, roles: Set<Role>) throws(AccessError) -> Account {
        guard let account else { throw .unauthenticated }
        guard roles.contains(account.role) else {
            throw .forbidden("this needs the role \(roles.map(\.rawValue).sorted().joined(separator: " or "))")
        }
        return account
    }

    /// Which district a staff list shows: an officer's own (asking for another is 403), an
    /// administrator's choice (nil: every district).
    public static func districtScope(_ account: Account, asked: String?) throws(AccessError) -> String? {
        switch account.role {
        case .admin, .callTaker: return asked
        case .officer:
            if let asked, asked != account.district { throw .forbidden("officers work in their own district (\(account.district ?? "-"))") }
            return account.district
        case .vendor: throw .forbidden("only officers and administrators see a district's work")
        }
    }

    /// Admins act everywhere; an officer only in the district he belongs to; vendors in none.
    public static func covers(_ account: Account, district: String) -> Bool {
        switch account.role {
        case .admin: true
        case .officer: account.district == district
        case .vendor, .callTaker: false
        }
    }

    /// The one district check: 403 unless `covers`.
    public static func requireDistrict(_ account: Account, _ district: String) throws(AccessError) {
        guard covers(account, district: district) else { throw .forbidden("this belongs to district \(district)") }
    }
}
