/// An urban district that runs stalls, e.g. 城关区. `code` is the short prefix used in
/// site, slot and permit numbers; `adcode` the national administrative code (GB/T 2260).
public struct District: Sendable, Hashable, Codable {
    public var code: String
    public var adcode: String
    public var name: String
    public var nameEn: String

    public init(code: String, adcode: String, name: String, nameEn: String) {
        self.code = code
        self.adcode = adcode
        self.name = name
        self.nameEn = nameEn
    }
}

/// A stall site (摊点): a spot in a compound or back street with one or more slots.
public struct Site: Sendable, Hashable {
    public var id: String
    public var district: String
    public var name: String
    public var address: String
    public var streetOffice: String
    public var position: Coordinate
    public var opensAt: LocalTime
    public var closesAt: LocalTime

    public init(
        id: String, district: String, name: String, address: String, streetOffice: String,
        position: Coordinate, opensAt: LocalTime, closesAt: LocalTime
    ) {
        self.id = id
        self.district = district
        self.name = name
        self.address = address
        self.streetOffice = streetOffice
        self.position = position
        self.opensAt = opensAt
        self.closesAt = closesAt
    }
}

/// One stall slot (摊位) of a site: the place one permit holder sells from.
public struct Slot: Sendable, Hashable {
    public var id: String
    public var siteId: String
    public var number: Int
    public var position: Coordinate

    public init(id: String, siteId: String, number: Int, position: Coordinate) {
        self.id = id
        self.siteId = siteId
        self.number = number
        self.position = position
    }

    /// Slot IDs are the site ID and a two-digit number: `CG-001-03`.
    public static func id(siteId: String, number: Int) -> String {
        number < 10 ? "\(siteId)-0\(number)" : "\(siteId)-\(number)"
    }
}

/// A site as an import file or an administrator describes it, before it is checked.
public struct SiteDraft: Sendable, Hashable {
    public var id: String
    public var district: String
    public var name: String
    public var address: String
    public var streetOffice: String
    public var lat: String
    public var lng: String
    public var opensAt: String
    public var closesAt: String
    public var slotCount: String

    public init(
        id: String, district: String, name: String, address: String, streetOffice: String,
        lat: String, lng: String, opensAt: String, closesAt: String, slotCount: String
    ) {
        self.id = id
        self.district = district
        self.name = name
        self.address = address
        self.streetOffice = streetOffice
        self.lat = lat
        self.lng = lng
        self.opensAt = opensAt
        self.closesAt = closesAt
        self.slotCount = slotCount
    }
}

/// The rules a registry entry must meet, whoever enters it.
public enum RegistryRules {
    /// Lanzhou's municipal area (its five districts and three counties) with a margin.
    /// A position outside it is a typo or a swapped latitude and longitude.
    public static let cityBounds = BoundingBox(minLng: 102.6, minLat: 35.5, maxLng: 104.6, maxLat: 37.1)
    public static let maxSlotsPerSite = 99
    public static let maxNameLength = 100
    public static let maxAddressLength = 200

    /// A site ID is its district's code, a dash and a number of at least three digits: `CG-001`.
    public static func isValidSiteId(_ id: String, district: String) -> Bool {
        guard id.hasPrefix(district + "-") else { return false }
        let number = id.dropFirst(district.count + 1)
        return (3...5).contains(number.count) && number.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// Checks every field and returns the site and its slot count, or all problems found.
    public static func validate(_ draft: SiteDraft, knownDistricts: Set<String>) -> Result<(Site, Int), ValidationErrors> {
        var errors: [ValidationError] = []
        let district = draft.district.trimmingCharacters(in: .whitespaces)
        let id = draft.id.trimmingCharacters(in: .whitespaces)
        if !knownDistricts.contains(district) {
            errors.append(
                .init(field: "district", message: "unknown district '\(district)' (known: \(knownDistricts.sorted().joined(separator: ", ")))"))
        } else if !isValidSiteId(id, district: district) {
            errors.append(.init(field: "site_id", message: "site ID '\(id)' must be the district code, a dash and 3–5 digits, e.g. \(district)-001"))
        }
        let name = draft.name.trimmingCharacters(in: .whitespaces)
        if name.isEmpty || name.count > maxNameLength {
            errors.append(.init(field: "name", message: "name must have 1–\(maxNameLength) characters"))
        }
        let address = draft.address.trimmingCharacters(in: .whitespaces)
        if address.isEmpty || address.count > maxAddressLength {
            errors.append(.init(field: "address", message: "address must have 1–\(maxAddressLength) characters"))
        }
        let streetOffice = draft.streetOffice.trimmingCharacters(in: .whitespaces)
        if streetOffice.count > maxNameLength {
            errors.append(.init(field: "street_office", message: "street office must have at most \(maxNameLength) characters"))
        }
        let lat = Double(draft.lat.trimmingCharacters(in: .whitespaces))
        let lng = Double(draft.lng.trimmingCharacters(in: .whitespaces))
        var position: Coordinate?
        if let lat, let lng, lat.isFinite, lng.isFinite {
            let p = Coordinate(lat: lat, lng: lng)
            if cityBounds.contains(p) {
                position = p
            } else {
                errors.append(
                    .init(field: "lat", message: "position \(lat),\(lng) is outside Lanzhou (WGS-84 latitude 35.5–37.1, longitude 102.6–104.6)"))
            }
        } else {
            errors.append(.init(field: lat == nil ? "lat" : "lng", message: "lat and lng must be decimal degrees"))
        }
        let opens = draft.opensAt.isEmpty ? Season.defaultOpensAt : LocalTime(draft.opensAt.trimmingCharacters(in: .whitespaces))
        let closes = draft.closesAt.isEmpty ? Season.defaultClosesAt : LocalTime(draft.closesAt.trimmingCharacters(in: .whitespaces))
        if opens == nil {
            errors.append(.init(field: "opens_at", message: "opens_at must be HH:MM"))
        }
        if closes == nil {
            errors.append(.init(field: "closes_at", message: "closes_at must be HH:MM"))
        }
        if let opens, let closes, opens >= closes {
            errors.append(.init(field: "closes_at", message: "closes_at must be later than opens_at"))
        }
        let slotCount = Int(draft.slotCount.trimmingCharacters(in: .whitespaces))
        if slotCount == nil || !(1...maxSlotsPerSite).contains(slotCount!) {
            errors.append(.init(field: "slots", message: "slots must be a whole number from 1 to \(maxSlotsPerSite)"))
        }
        guard errors.isEmpty, let position, let opens, let closes, let slotCount else {
            return .failure(ValidationErrors(errors))
        }
        let site = Site(
            id: id, district: district, name: name, address: address, streetOffice: streetOffice,
            position: position, opensAt: opens, closesAt: closes)
        return .success((site, slotCount))
    }
}

/// Several problems with one input, reported together.
public struct ValidationErrors: Error, Sendable, Equatable {
    public var errors: [ValidationError]

    public init(_ errors: [ValidationError]) {
        self.errors = errors
    }
}
