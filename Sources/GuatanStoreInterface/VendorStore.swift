import Foundation
import GuatanCore

public protocol VendorStore: Sendable {
    // Vendors are registered by `AccountService.registerVendor`.
    func vendor(id: String) async throws -> Vendor?
}
