import Foundation
import GuatanCore
import Testing

@Suite("Geodesy")
struct GeodesyTests {
    @Test("one degree of latitude is 111.195 km on the mean sphere")
    func oneDegreeOfLatitude() {
        let d = Geodesy.distance(Coordinate(lat: 36, lng: 103.8), Coordinate(lat: 37, lng: 103.8))
        #expect(abs(d - 111_195.08) < 0.5)
    }

    @Test("distance is zero to itself, symmetric, and matches a short known span")
    func distanceProperties() {
        let bridge = Coordinate(lat: 36.0660, lng: 103.8190)  // near 中山桥
        let east = Coordinate(lat: 36.0660, lng: 103.8290)
        #expect(Geodesy.distance(bridge, bridge) == 0)
        #expect(abs(Geodesy.distance(bridge, east) - Geodesy.distance(east, bridge)) < 1e-9)
        // 0.01° of longitude at 36.066° N: 111195.08 m × cos(36.066°) / 100 ≈ 898.8 m
        #expect(abs(Geodesy.distance(bridge, east) - 898.8) < 0.5)
    }

    @Test("Beijing to Shanghai is about 1,068 km")
    func longDistance() {
        let beijing = Coordinate(lat: 39.9042, lng: 116.4074)
        let shanghai = Coordinate(lat: 31.2304, lng: 121.4737)
        #expect(abs(Geodesy.distance(beijing, shanghai) - 1_067_000) < 3_000)
    }

    @Test("WGS-84 to GCJ-02 matches the published reference values")
    func forwardKnownValues() {
        // coordtransform's published example (Krasovsky ellipsoid, as here).
        let beijing = Geodesy.wgs84ToGCJ02(Coordinate(lat: 39.915, lng: 116.404))
        #expect(abs(beijing.lng - 116.41024449916938) < 1e-9)
        #expect(abs(beijing.lat - 39.91640428150164) < 1e-9)
        // eviltransform's test cases use the WGS-84 radius in the delta: within 0.1 m.
        let cases: [(Double, Double, Double, Double)] = [
            (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
            (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
            (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
        ]
        for (wLat, wLng, gLat, gLng) in cases {
            let gcj = Geodesy.wgs84ToGCJ02(Coordinate(lat: wLat, lng: wLng))
            #expect(Geodesy.distance(gcj, Coordinate(lat: gLat, lng: gLng)) < 0.1)
        }
    }

    @Test("GCJ-02 offset in Lanzhou is a few hundred metres")
    func lanzhouOffset() {
        let wgs = Coordinate(lat: 36.0611, lng: 103.8343)
        let offset = Geodesy.distance(wgs, Geodesy.wgs84ToGCJ02(wgs))
        #expect(offset > 100 && offset < 700)
    }

    @Test("round trip WGS-84 → GCJ-02 → WGS-84 across Lanzhou stays within 0.5 m")
    func roundTripLanzhou() {
        var worst = 0.0
        var lat = 35.6
        while lat <= 37.0 {
            var lng = 102.7
            while lng <= 104.5 {
                let p = Coordinate(lat: lat, lng: lng)
                let back = Geodesy.gcj02ToWGS84(Geodesy.wgs84ToGCJ02(p))
                worst = max(worst, Geodesy.distance(p, back))
                lng += 0.037
            }
            lat += 0.031
        }
        #expect(worst < 0.5)
        #expect(worst < 0.01, "the iterative inverse should converge to centimetres, was \(worst) m")
    }

    @Test("points outside China pass through unchanged")
    func outsideChina() {
        let london = Coordinate(lat: 51.5074, lng: -0.1278)
        #expect(Geodesy.wgs84ToGCJ02(london) == london)
        #expect(Geodesy.gcj02ToWGS84(london) == london)
        #expect(CoordinateSystem.gcj02.toWGS84(london) == london)
        let tokyo = Coordinate(lat: 35.6762, lng: 139.6503)
        #expect(Geodesy.wgs84ToGCJ02(tokyo) == tokyo)
    }

    @Test("a bounding box around a point contains every point within the radius")
    func boundingBoxContainsCircle() {
        let center = Coordinate(lat: 36.06, lng: 103.83)
        let box = Geodesy.boundingBox(around: center, radius: 1000)
        for bearing in stride(from: 0.0, to: 360.0, by: 15.0) {
            // step ~999 m along the bearing
            let rad = bearing * .pi / 180
            let dLat = 999 * cos(rad) / 111_195.08
            let dLng = 999 * sin(rad) / (111_195.08 * cos(center.lat * .pi / 180))
            let p = Coordinate(lat: center.lat + dLat, lng: center.lng + dLng)
            #expect(Geodesy.distance(center, p) <= 1000)
            #expect(box.contains(p))
        }
    }

    @Test(
        "bbox parsing accepts minLng,minLat,maxLng,maxLat and refuses everything else",
        arguments: [
            ("103.8,36.0,103.9,36.1", true),
            (" 103.8 , 36.0 , 103.9 , 36.1 ", true),
            ("-180,-90,180,90", true),
            ("103.9,36.0,103.8,36.1", false),  // inverted
            ("103.8,36.1,103.9,36.0", false),
            ("103.8,36.0,103.9", false),
            ("103.8,36.0,103.9,36.1,5", false),
            ("a,b,c,d", false),
            ("103.8,,103.9,36.1", false),
            ("181,0,182,1", false),
            ("0,-91,1,0", false),
            ("nan,0,1,1", false),
            ("inf,0,1,1", false),
            ("", false),
        ])
    func bboxParsing(text: String, valid: Bool) {
        #expect((BoundingBox.parse(text) != nil) == valid)
    }
}
