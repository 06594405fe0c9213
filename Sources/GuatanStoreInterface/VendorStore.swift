import Foundation
import GuatanCore

public protocol VendorStore: Sendable {
    /// Registers a vendor and his vendor account in one transaction. `.conflict` when the
    /// ID card (by its keyed hash) or the username is already registered.
    func createVendor(
        _ draft: VendorDraft, idCardHash: String, username: String, passwordHash: String, actor: String, at: Date
    ) async throws -> (vendor: Vendor, account: Account)
    func vendor(id: String) async throws -> Vendor?
}
