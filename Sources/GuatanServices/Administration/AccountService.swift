import Foundation
import GuatanCore
import GuatanStoreInterface

/// Accounts' workflows that carry a rule: the sign-in throttle's reservation and taking an
/// account's access away (or giving it back).
public struct AccountService: Sendable {
    let store: any WorkflowStore

    public init(store: any WorkflowStore) {
        self.store = store
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
