import GuatanCore
import Hummingbird

/// Reads and checks query parameters; every refusal names the parameter.
struct Query {
    private let parameters: Parameters

    init(_ request: Request) {
        self.parameters = request.uri.queryParameters
    }

    func string(_ name: String, maxLength: Int = 200) throws -> String? {
        guard let raw = parameters.get(name) else { return nil }
        let value = raw.trimmingCharacters(in: .whitespaces)
        guard value.count <= maxLength else {
            throw APIError.validation("\(name) must have at most \(maxLength) characters", field: name)
        }
        return value.isEmpty ? nil : value
    }

    func int(_ name: String, in range: ClosedRange<Int>, default defaultValue: Int? = nil) throws -> Int? {
        guard let raw = parameters.get(name), !raw.isEmpty else { return defaultValue }
        guard let value = Int(raw), range.contains(value) else {
            throw APIError.validation("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)", field: name)
        }
        return value
    }

    func double(_ name: String, in range: ClosedRange<Double>, default defaultValue: Double? = nil) throws -> Double? {
        guard let raw = parameters.get(name), !raw.isEmpty else { return defaultValue }
        guard let value = Double(raw), value.isFinite, range.contains(value) else {
            throw APIError.validation(
                "\(name) must be a number from \(Self.format(range.lowerBound)) to \(Self.format(range.upperBound))", field: name)
        }
        return value
    }

    func required<T>(_ value: T?, _ name: String) throws -> T {
        guard let value else { throw APIError.validation("\(name) is required", field: name) }
        return value
    }

    func page() throws -> PageRequest {
        let page = try int("page", in: 1...1_000_000, default: 1)!
        let perPage = try int("per_page", in: 1...PageRequest.maxPerPage, default: PageRequest.defaultPerPage)!
        return try PageRequest(page: page, perPage: perPage)
    }

    /// `crs=wgs84|gcj02`, the datum of coordinates given or wanted.
    func coordinateSystem() throws -> CoordinateSystem {
        guard let raw = try string("crs", maxLength: 10) else { return .wgs84 }
        guard let crs = CoordinateSystem(rawValue: raw.lowercased()) else {
            throw APIError.validation("crs must be wgs84 or gcj02", field: "crs")
        }
        return crs
    }

    /// A position from `lat`, `lng` and `crs`, converted to WGS-84.
    func position() throws -> Coordinate {
        let lat = try required(double("lat", in: -90...90), "lat")
        let lng = try required(double("lng", in: -180...180), "lng")
        return try coordinateSystem().toWGS84(Coordinate(lat: lat, lng: lng))
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
