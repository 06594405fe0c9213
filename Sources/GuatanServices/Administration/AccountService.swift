import Foundation
import GuatanCore
import GuatanStoreInterface

/// Accounts' and vendors' registration and the workflows that carry a rule: one account per
/// username and one vendor per ID card, the sign-in throttle's reservation, a password change
/// ending the other sessions, and taking an account's access away (or giving it back).
public struct AccountService: Sendable {
    let store: any WorkflowStore

    public init(store: any WorkflowStore) {
        self.store = store
    }

    /// Creates an account (the password already hashed); `.conflict` when the username is taken.
    public func createAccount(
        username: String, passwordHash: String, role: Role, district: String?, vendorId: String?, actor: String, at: Date
    ) async throws -> Account {
        try await store.transaction { tx in
            try Self.checkUsernameFree(username, tx)
            let id = try tx.insertAccount(
                username: username, passwordHash: passwordHash, role: role, district: district, vendorId: vendorId, at: at)
            var after = ["username": username, "role": role.rawValue]
            after["district"] = district
            after["vendor_id"] = vendorId
            try tx.audit(actor: actor, action: "account.create", entity: "account", entityId: username, before: nil, after: after, at: at)
            return Account(id: id, username: username, role: role, district: district, vendorId: vendorId)
        }
    }

    /// Registers a vendor (a validated draft) and his vendor account in one transaction;
    /// `.conflict` when the ID card (by its keyed hash) or the username is already registered.
    public func registerVendor(
        _ draft: VendorDraft, idCardHash: String, username: String, passwordHash: String, actor: String, at: Date
    ) async throws -> (vendor: Vendor, account: Account) {
        try await store.transaction { tx in
            if let existing = try tx.vendorId(idCardHash: idCardHash) {
                throw StoreError.conflict("a vendor with this ID card is already registered as \(existing)")
            }
            try Self.checkUsernameFree(username, tx)
            let sequence = try tx.nextNumber("vendor")
            let vendor = Vendor(
                id: Vendor.id(sequence: sequence), name: draft.name, phone: draft.phone, idCardLast4: String(draft.idCardNo.suffix(4)),
                origin: draft.origin, vehiclePlate: draft.vehiclePlate, produce: draft.produce)
            try tx.insertVendor(vendor, sequence: sequence, idCardHash: idCardHash, at: at)
            let accountId = try tx.insertAccount(
                username: username, passwordHash: passwordHash, role: .vendor, district: nil, vendorId: vendor.id, at: at)
            try tx.audit(
                actor: actor, action: "vendor.create", entity: "vendor", entityId: vendor.id, before: nil,
                after: [
                    "name": vendor.name, "phone": vendor.phone, "id_card_last4": vendor.idCardLast4, "origin": vendor.origin,
                    "vehicle_plate": vendor.vehiclePlate, "produce": String(decoding: try JSONEncoder().encode(vendor.produce), as: UTF8.self),
                    "username": username,
                ], at: at)
            return (vendor, Account(id: accountId, username: username, role: .vendor, district: nil, vendorId: vendor.id))
        }
    }

    /// Sets a new password hash and ends every session of the account except `keepingSession`
    /// (the one the holder changed it from); the hash itself never goes into the audit log.
    public func changePassword(username: String, passwordHash: String, keepingSession: String?, actor: String, at: Date) async throws {
        try await store.transaction { tx in
            guard let (account, _) = try tx.account(username: username) else { throw StoreError.notFound("no account \(username)") }
            try tx.setPasswordHash(accountId: account.id, passwordHash)
            let ended = try tx.endSessions(accountId: account.id, except: keepingSession, at: at)
            try tx.audit(
                actor: actor, action: "account.password", entity: "account", entityId: username, before: nil,
                after: ["sessions_ended": String(ended)], at: at)
        }
    }

    private static func checkUsernameFree(_ username: String, _ tx: any StoreTransaction) throws {
        if try tx.account(username: username) != nil { throw StoreError.conflict("the username \(username) is taken") }
    }

    /// Counts a sign-in attempt against the (account, address) pair and the address, in the
    /// same transaction as the check, so parallel guesses cannot slip past the limit; or says
    /// how long to wait. A successful sign-in cancels its reservation.
    public func reserveLoginAttempt(username: String, address: String, throttle: LoginThrottle, at now: Date) async throws -> LoginAttempt {
        try await store.transaction { tx in
            let pair = try tx.loginFailures(username: username, address: address, since: now.addingTimeInterval(-throttle.memory))
            let byAddress = try tx.loginFailures(username: nil, address: address, since: now.addingTimeInterval(-throttle.window))
            if let wait = throttle.retryAfter(pairFailures: pair, addressFailures: byAddress, now: now) {
                return .wait(seconds: wait)
            }
            let id = try tx.insertLoginFailure(username: username, address: address, at: now)
            // Failures older than any throttle remembers no longer matter.
            try tx.deleteLoginFailures(before: now.addingTimeInterval(-max(86_400, throttle.memory)))
            return .reserved(id)
        }
    }

    /// Disables an account (its sessions end at once) or enables it; never the last active
    /// administrator. `actor` is who does it (`account:NAME`, or the command line's `cli:USER`).
    public func setDisabled(username: String, disabled: Bool, actor: String, at: Date) async throws -> AccountSummary {
        try await store.transaction { tx in
            guard let (account, disabledAt) = try tx.account(username: username) else { throw StoreError.notFound("no account \(username)") }
            let wasDisabled = disabledAt != nil
            let stamp = BusinessTime.rfc3339(at)
            if disabled, !wasDisabled {
                do {
                    try AccountRules.checkDisable(account, activeAdmins: try tx.activeAdminCount())
                } catch let refusal as ValidationError {
                    throw StoreError.conflict(refusal.message)
                }
                try tx.setAccountDisabled(accountId: account.id, at: at)
                _ = try tx.endSessions(accountId: account.id, except: nil, at: at)
                try tx.audit(
                    actor: actor, action: "account.disable", entity: "account", entityId: username, before: nil, after: ["disabled_at": stamp], at: at
                )
            } else if !disabled, wasDisabled {
                try tx.setAccountDisabled(accountId: account.id, at: nil)
                try tx.audit(
                    actor: actor, action: "account.enable", entity: "account", entityId: username,
                    before: disabledAt.map { ["disabled_at": BusinessTime.rfc3339($0)] }, after: nil, at: at)
            }
            return try tx.accountSummary(accountId: account.id, at: at)
        }
    }
}
