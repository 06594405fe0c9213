import Foundation
import GuatanCore

/// A permit with what the people looking at it need: the holder, his origin, the site.
public struct PermitRecord: Sendable, Hashable {
    public var permit: Permit
    public var holderName: String
    public var origin: String
    public var siteId: String
    public var siteName: String
    public var seasonDates: Season
    /// An application's expected amount of fruit, in kilograms.
    public var expectedKg: Double?
    /// Whether an application's certificate photo is on file.
    public var hasCertificate: Bool

    public init(
        permit: Permit, holderName: String, origin: String, siteId: String, siteName: String, seasonDates: Season, expectedKg: Double? = nil,
        hasCertificate: Bool
    ) {
        self.permit = permit
        self.holderName = holderName
        self.origin = origin
        self.siteId = siteId
        self.siteName = siteName
        self.seasonDates = seasonDates
        self.expectedKg = expectedKg
        self.hasCertificate = hasCertificate
    }
}

public protocol PermitStore: Sendable {
    func permit(number: String) async throws -> PermitRecord?
    func permits(vendorId: String) async throws -> [PermitRecord]
    /// The certificate photo of an application, with the permit's district (for access).
    func certificate(permitNumber: String) async throws -> (district: String, photo: StoredPhoto)?
    /// Permits for officers and administrators: by district, state, season, vendor; newest first.
    func permits(matching filter: PermitFilter, page: PageRequest) async throws -> Page<PermitRecord>
}

/// What a vendor applies for.
public struct PermitApplication: Sendable {
    public enum Place: Sendable {
        case slot(String)
        /// Any free slot of the site.
        case site(String)
    }

    public var season: Int
    public var place: Place
    public var produce: [String]
    public var expectedKg: Double
    /// The vehicle for this season; the vendor's registered one when nil.
    public var vehiclePlate: String?
    public var certificate: StoredPhoto

    public init(season: Int, place: Place, produce: [String], expectedKg: Double, vehiclePlate: String?, certificate: StoredPhoto) {
        self.season = season
        self.place = place
        self.produce = produce
        self.expectedKg = expectedKg
        self.vehiclePlate = vehiclePlate
        self.certificate = certificate
    }
}

public struct PermitFilter: Sendable {
    public var district: String?
    public var state: PermitState?
    public var season: Int?
    public var vendorId: String?

    public init(district: String? = nil, state: PermitState? = nil, season: Int? = nil, vendorId: String? = nil) {
        self.district = district
        self.state = state
        self.season = season
        self.vendorId = vendorId
    }
}
