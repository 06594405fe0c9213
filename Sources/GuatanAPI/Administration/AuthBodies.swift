import Foundation
import GuatanCore
import GuatanServices
import GuatanStoreInterface
import Hummingbird

extension AuthRoutes {
    struct LoginInput: Decodable {
        let username: String
        let password: String
    }

    struct LoginBody: Encodable {
        let token: String
        let role: String
        let username: String
        let expiresAt: String
    }

    struct MeBody: Encodable {
        let accountId: Int64
        let username: String
        let role: String
        let district: String?
        let vendorId: String?
        /// A vendor's own record; he may see all of it.
        let vendor: VendorBody?
    }

    struct PasswordInput: Decodable {
        let oldPassword: String
        let newPassword: String
    }
}

/// A vendor's record as the vendor himself and administrators see it: full name and phone,
/// never the ID-card number (only its last four) nor its hash.
struct VendorBody: Encodable {
    let vendorId: String
    let name: String
    let phone: String
    let idCardLast4: String
    let origin: String
    let vehiclePlate: String
    let produce: [String]

    init(_ vendor: Vendor) {
        vendorId = vendor.id
        name = vendor.name
        phone = vendor.phone
        idCardLast4 = vendor.idCardLast4
        origin = vendor.origin
        vehiclePlate = vendor.vehiclePlate
        produce = vendor.produce
    }
}
