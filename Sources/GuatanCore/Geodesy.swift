import Foundation

/// A point on the earth in WGS-84 degrees, the datum Guatan stores.
public struct Coordinate: Sendable, Hashable, Codable {
    public var lat: Double
    public var lng: Double

    public init(lat: Double, lng: Double) {
        self.lat = lat
        self.lng = lng
    }

    /// Whether the values are finite degrees on the globe.
    public var isValid: Bool {
        lat.isFinite && lng.isFinite && (-90...90).contains(lat) && (-180...180).contains(lng)
    }
}

/// The datum of coordinates crossing the API: WGS-84 (GPS) or GCJ-02, the offset
/// datum that Chinese map SDKs and `wx.getLocation({type:'gcj02'})` give.
public enum CoordinateSystem: String, Sendable, Codable, CaseIterable {
    case wgs84
    case gcj02

    /// Brings a coordinate given in this datum to WGS-84.
    public func toWGS84(_ point: Coordinate) -> Coordinate {
        switch self {
        case .wgs84: point
        case .gcj02: Geodesy.gcj02ToWGS84(point)
        }
    }

    /// Converts a stored WGS-84 coordinate into this datum for display.
    public func fromWGS84(_ point: Coordinate) -> Coordinate {
        switch self {
        case .wgs84: point
        case .gcj02: Geodesy.wgs84ToGCJ02(point)
        }
    }
}

public enum Geodesy {
    /// Mean earth radius (IUGG), the usual choice for haversine distances.
    public static let earthRadiusMetres = 6_371_008.8

    /// Great-circle distance in metres.
    public static func distance(_ a: Coordinate, _ b: Coordinate) -> Double {
        let phi1 = a.lat * .pi / 180
        let phi2 = b.lat * .pi / 180
        let dPhi = (b.lat - a.lat) * .pi / 180
        let dLambda = (b.lng - a.lng) * .pi / 180
        let h = sin(dPhi / 2) * sin(dPhi / 2) + cos(phi1) * cos(phi2) * sin(dLambda / 2) * sin(dLambda / 2)
        return 2 * earthRadiusMetres * asin(min(1, sqrt(h)))
    }

    /// The box around `center` that contains every point within `radius` metres.
    public static func boundingBox(around center: Coordinate, radius: Double) -> BoundingBox {
        let dLat = radius / earthRadiusMetres * 180 / .pi
        let cosLat = max(cos(center.lat * .pi / 180), 1e-6)
        let dLng = min(180, dLat / cosLat)
        return BoundingBox(
            minLng: max(-180, center.lng - dLng), minLat: max(-90, center.lat - dLat),
            maxLng: min(180, center.lng + dLng), maxLat: min(90, center.lat + dLat))
    }

    // GCJ-02 ("Mars coordinates") is the obfuscated datum of maps published in China.
    // The forward formula is the widely published one (Krasovsky ellipsoid); the
    // inverse has no closed form, so it iterates the forward transform.
    private static let krasovskyA = 6_378_245.0
    private static let krasovskyEE = 0.006_693_421_622_965_943_23

    /// The rough outline used by every GCJ-02 implementation: outside it no offset applies.
    public static func isInsideChina(_ p: Coordinate) -> Bool {
        (72.004...137.8347).contains(p.lng) && (0.8293...55.8271).contains(p.lat)
    }

    public static func wgs84ToGCJ02(_ p: Coordinate) -> Coordinate {
        guard isInsideChina(p) else { return p }
        let (dLat, dLng) = gcjDelta(p)
        return Coordinate(lat: p.lat + dLat, lng: p.lng + dLng)
    }

    /// Inverse transform by fixed-point iteration; converges to well under a centimetre.
    public static func gcj02ToWGS84(_ p: Coordinate) -> Coordinate {
        guard isInsideChina(p) else { return p }
        var guess = Coordinate(lat: p.lat, lng: p.lng)
        for _ in 0..<30 {
            let forward = wgs84ToGCJ02(guess)
            let errLat = forward.lat - p.lat
            let errLng = forward.lng - p.lng
            guess.lat -= errLat
            guess.lng -= errLng
            if abs(errLat) < 1e-10 && abs(errLng) < 1e-10 { break }
        }
        return guess
    }

    private static func gcjDelta(_ p: Coordinate) -> (Double, Double) {
        let x = p.lng - 105.0
        let y = p.lat - 35.0
        var dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x))
        dLat += (20.0 * sin(6.0 * x * .pi) + 20.0 * sin(2.0 * x * .pi)) * 2.0 / 3.0
        dLat += (20.0 * sin(y * .pi) + 40.0 * sin(y / 3.0 * .pi)) * 2.0 / 3.0
        dLat += (160.0 * sin(y / 12.0 * .pi) + 320 * sin(y * .pi / 30.0)) * 2.0 / 3.0
        var dLng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x))
        dLng += (20.0 * sin(6.0 * x * .pi) + 20.0 * sin(2.0 * x * .pi)) * 2.0 / 3.0
        dLng += (20.0 * sin(x * .pi) + 40.0 * sin(x / 3.0 * .pi)) * 2.0 / 3.0
        dLng += (150.0 * sin(x / 12.0 * .pi) + 300.0 * sin(x / 30.0 * .pi)) * 2.0 / 3.0
        let radLat = p.lat / 180.0 * .pi
        var magic = sin(radLat)
        magic = 1 - krasovskyEE * magic * magic
        let sqrtMagic = sqrt(magic)
        dLat = (dLat * 180.0) / ((krasovskyA * (1 - krasovskyEE)) / (magic * sqrtMagic) * .pi)
        dLng = (dLng * 180.0) / (krasovskyA / sqrtMagic * cos(radLat) * .pi)
        return (dLat, dLng)
    }
}

/// A box in WGS-84 degrees, as GeoJSON's `bbox` orders it: west, south, east, north.
public struct BoundingBox: Sendable, Hashable {
    public var minLng: Double
    public var minLat: Double
    public var maxLng: Double
    public var maxLat: Double

    public init(minLng: Double, minLat: Double, maxLng: Double, maxLat: Double) {
        self.minLng = minLng
        self.minLat = minLat
        self.maxLng = maxLng
        self.maxLat = maxLat
    }

    public func contains(_ p: Coordinate) -> Bool {
        (minLat...maxLat).contains(p.lat) && (minLng...maxLng).contains(p.lng)
    }

    /// Parses `minLng,minLat,maxLng,maxLat`; nil when malformed, out of range or inverted.
    public static func parse(_ text: String) -> BoundingBox? {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        let values = parts.compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == 4, values.allSatisfy(\.isFinite) else { return nil }
        let box = BoundingBox(minLng: values[0], minLat: values[1], maxLng: values[2], maxLat: values[3])
        guard (-180...180).contains(box.minLng), (-180...180).contains(box.maxLng),
            (-90...90).contains(box.minLat), (-90...90).contains(box.maxLat),
            box.minLng <= box.maxLng, box.minLat <= box.maxLat
        else { return nil }
        return box
    }
}
