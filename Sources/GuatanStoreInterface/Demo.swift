import Foundation
import GuatanCore

/// A demo vendor, ready to store: his checked draft, the keyed hash of his ID card, his login.
public struct DemoVendor: Sendable {
    public var draft: VendorDraft
    public var idCardHash: String
    public var username: String

    public init(draft: VendorDraft, idCardHash: String, username: String) {
        self.draft = draft
        self.idCardHash = idCardHash
        self.username = username
    }
}
