import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird

/// Signing in and out, and who am I.
struct AuthRoutes {
    let accounts: any AccountStore
    let workflow: AccountService
    let vendors: any VendorStore
    let passwords: PasswordHasher
    let clock: ServiceClock
    let sessionLifetime: TimeInterval
    let throttle: LoginThrottle
    let decoyHash: String

    func register(on routes: RouteTable<GuatanRequestContext>) {
        routes.post("/api/v1/auth/login") { request, context in try await login(request, context) }
        routes.post("/api/v1/auth/logout") { _, context in try await logout(context) }
        routes.get("/api/v1/me") { _, context in try await me(context) }
        routes.post("/api/v1/me/password") { request, context in try await changePassword(request, context) }
    }

    func login(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let input = try await JSONBody.decode(LoginInput.self, from: request, context: context, limit: 4096)
        let username = input.username.trimmingCharacters(in: .whitespaces).lowercased()
        let now = clock.now()
        guard let checked = try await checkPassword(input.password, username: username, context, at: now) else {
            throw APIError(.unauthorized, code: "UNAUTHENTICATED", message: "wrong username or password")
        }
        let credentials = checked.credentials
        let token = SessionToken.make()
        let expiresAt = now.addingTimeInterval(sessionLifetime)
        try await accounts.startSession(
            tokenHash: SessionToken.hash(token), accountId: credentials.account.id, address: context.limitKey, at: now, expiresAt: expiresAt)
        let body = LoginBody(
            token: token, role: credentials.account.role.rawValue, username: credentials.account.username,
            expiresAt: BusinessTime.rfc3339(expiresAt))
        return try APIJSON.response(body, headers: [.cacheControl: "no-store"])
    }

    /// Every role changes its own password with the old one; the other sessions end (a phone
    /// left signed in somewhere is signed out), this one goes on. The old password is checked
    /// under the same throttle as a sign-in, so a stolen session cannot guess it.
    func changePassword(_ request: Request, _ context: GuatanRequestContext) async throws -> Response {
        let account = try context.require(.admin, .officer, .vendor)
        let input = try await JSONBody.decode(PasswordInput.self, from: request, context: context, limit: 4096)
        try AccountRules.validatePassword(input.newPassword, username: account.username)
        let now = clock.now()
        guard let checked = try await checkPassword(input.oldPassword, username: account.username, context, at: now) else {
            throw APIError.validation("the old password is not right", field: "old_password")
        }
        // Right: this attempt was no failure.
        try await accounts.cancelLoginAttempt(checked.reservation)
        let hash = try await passwords.hash(input.newPassword)
        try await workflow.changePassword(
            username: account.username, passwordHash: hash, keepingSession: context.sessionTokenHash, actor: "account:\(account.username)", at: now)
        return Response(status: .noContent, headers: [.cacheControl: "no-store"])
    }

    /// Checks a password under the sign-in throttle: the attempt is reserved (counted as a
    /// failure) before bcrypt runs, so parallel guesses are counted one after the other; it is
    /// taken back when bcrypt had no room to check, and stays counted when the password is
    /// wrong. The credentials and the reservation when it matches, nil when it does not.
    func checkPassword(
        _ password: String, username: String, _ context: GuatanRequestContext, at now: Date
    ) async throws
        -> (credentials: (account: Account, passwordHash: String), reservation: Int64)?
    {
        let attempt = try await workflow.reserveLoginAttempt(username: username, address: context.limitKey, throttle: throttle, at: now)
        guard case .reserved(let reservation) = attempt else {
            let wait = if case .wait(let seconds) = attempt { seconds } else { 1 }
            throw APIError(
                .tooManyRequests, code: "RATE_LIMITED", message: "too many wrong passwords from this address; try again in \(wait) s",
                headers: [.retryAfter: String(wait)])
        }
        let credentials = try await accounts.credentials(username: username)
        let matches: Bool
        do {
            matches = try await passwords.verify(password, hash: credentials?.passwordHash ?? decoyHash)
        } catch is BcryptPool.Busy {
            // Not checked, so not a failure of this user's; mapped to 429 with Retry-After.
            try await accounts.cancelLoginAttempt(reservation)
            throw BcryptPool.Busy()
        }
        guard let credentials, matches else { return nil }
        return (credentials, reservation)
    }

    func logout(_ context: GuatanRequestContext) async throws -> Response {
        _ = try context.require(.admin, .officer, .vendor)
        if let tokenHash = context.sessionTokenHash {
            try await accounts.endSession(tokenHash: tokenHash, at: clock.now())
        }
        return Response(status: .noContent)
    }

    func me(_ context: GuatanRequestContext) async throws -> Response {
        let account = try context.require(.admin, .officer, .vendor)
        var vendor: VendorBody?
        if let vendorId = account.vendorId, let record = try await vendors.vendor(id: vendorId) {
            vendor = VendorBody(record)
        }
        let body = MeBody(
            accountId: account.id, username: account.username, role: account.role.rawValue,
            district: account.district, vendorId: account.vendorId, vendor: vendor)
        return try APIJSON.response(body, headers: [.cacheControl: "no-store"])
    }
}
