import CompressNIO
import Foundation
import GuatanCore
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Public map (GeoJSON)")
struct MapTests {
    @Test("the map has 390 RFC 7946 point features whose slot counts add up to 2,059, all in Lanzhou")
    func wholeMap() async throws {
        try await TestService().run { client in
            let response = try await client.get("/api/v1/map.geojson")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/geo+json")
            let body = try response.json()
            #expect(body["type"] as? String == "FeatureCollection")
            #expect(body["crs"] == nil, "RFC 7946 has no crs member")
            let features = try #require(body["features"] as? [[String: Any]])
            #expect(features.count == 390)
            var slotTotal = 0
            var ids = Set<String>()
            for feature in features {
                #expect(feature["type"] as? String == "Feature")
                let geometry = try #require(feature["geometry"] as? [String: Any])
                #expect(geometry["type"] as? String == "Point")
                let coordinates = try #require(geometry["coordinates"] as? [Double])
                #expect(coordinates.count == 2)
                // [lng, lat]: Lanzhou's longitude is about 103.8, its latitude about 36.
                let point = Coordinate(lat: coordinates[1], lng: coordinates[0])
                #expect(RegistryRules.cityBounds.contains(point), "\(coordinates)")
                #expect((103.5...104.0).contains(coordinates[0]) && (35.9...36.2).contains(coordinates[1]))
                let properties = try #require(feature["properties"] as? [String: Any])
                let slotCount = try #require(properties["slot_count"] as? Int)
                let slots = try #require(properties["slots"] as? [[String: Any]])
                #expect(slots.count == slotCount)
                #expect(properties["assigned_count"] as? Int == 0)
                #expect(properties["open_count"] as? Int == 0)
                for key in ["site_id", "name", "district", "address"] {
                    #expect(properties[key] is String, "\(key)")
                }
                slotTotal += slotCount
                ids.insert(properties["site_id"] as? String ?? "")
            }
            #expect(slotTotal == 2059)
            #expect(ids.count == 390)
            // At most 6 decimals in every coordinate, as written on the wire.
            let numbers = try NSRegularExpression(pattern: #""coordinates":\[(-?[0-9.]+),(-?[0-9.]+)\]"#)
            let text = response.text
            let matches = numbers.matches(in: text, range: NSRange(text.startIndex..., in: text))
            #expect(matches.count == 390)
            for match in matches {
                for group in 1...2 {
                    let number = String(text[Range(match.range(at: group), in: text)!])
                    #expect((number.split(separator: ".").last?.count ?? 0) <= 6, "\(number)")
                }
            }
        }
    }

    @Test("gzip is served when asked, with its own strong ETag, and decompresses to the same map")
    func gzip() async throws {
        try await TestService().run { client in
            let plain = try await client.get("/api/v1/map.geojson")
            let zipped = try await client.get("/api/v1/map.geojson", headers: [.acceptEncoding: "gzip, deflate, br"])
            #expect(plain.headers[.contentEncoding] == nil)
            #expect(zipped.headers[.contentEncoding] == "gzip")
            #expect(zipped.headers[.vary] == "Accept-Encoding")
            #expect(zipped.body.readableBytes * 4 < plain.body.readableBytes, "gzip should shrink the map several times")
            var compressed = zipped.body
            let inflated = try compressed.decompress(with: .gzip())
            #expect(inflated == plain.body)
            let plainTag = try #require(plain.headers[.eTag])
            let zippedTag = try #require(zipped.headers[.eTag])
            #expect(plainTag.hasPrefix("\"") && !plainTag.hasPrefix("W/"), "a strong ETag")
            #expect(plainTag != zippedTag)
            // q=0 refuses gzip.
            let refused = try await client.get("/api/v1/map.geojson", headers: [.acceptEncoding: "gzip;q=0, identity"])
            #expect(refused.headers[.contentEncoding] == nil)
            let wildcard = try await client.get("/api/v1/map.geojson", headers: [.acceptEncoding: "*"])
            #expect(wildcard.headers[.contentEncoding] == "gzip")
        }
    }

    @Test("a matching If-None-Match gets a 304 with no body; a stale one gets the map")
    func conditional() async throws {
        try await TestService().run { client in
            let first = try await client.get("/api/v1/map.geojson", headers: [.acceptEncoding: "gzip"])
            let etag = try #require(first.headers[.eTag])
            for header in [etag, "W/\(etag)", "\"other\", \(etag)", "*"] {
                let again = try await client.get("/api/v1/map.geojson", headers: [.acceptEncoding: "gzip", .ifNoneMatch: header])
                #expect(again.status == .notModified, "\(header)")
                #expect(again.body.readableBytes == 0)
                #expect(again.headers[.eTag] == etag)
            }
            // The tag of the plain representation validates the gzip one's cache entry too.
            let plainTag = try #require(try await client.get("/api/v1/map.geojson").headers[.eTag])
            #expect(try await client.get("/api/v1/map.geojson", headers: [.acceptEncoding: "gzip", .ifNoneMatch: plainTag]).status == .notModified)
            let stale = try await client.get("/api/v1/map.geojson", headers: [.ifNoneMatch: "\"stale\""])
            #expect(stale.status == .ok)
            #expect(stale.body.readableBytes > 0)
        }
    }

    @Test("district and bbox filters narrow the map")
    func filters() async throws {
        try await TestService().run { client in
            let anning = try await client.get("/api/v1/map.geojson?district=AN").json()
            let features = try #require(anning["features"] as? [[String: Any]])
            #expect(features.count == 15)
            #expect(features.allSatisfy { ($0["properties"] as? [String: Any])?["district"] as? String == "AN" })

            let box = BoundingBox(minLng: 103.80, minLat: 36.03, maxLng: 103.86, maxLat: 36.07)
            let all = try #require(try await client.get("/api/v1/map.geojson").json()["features"] as? [[String: Any]])
            let expected = all.filter { feature in
                let c = (feature["geometry"] as? [String: Any])?["coordinates"] as? [Double] ?? []
                return box.contains(Coordinate(lat: c[1], lng: c[0]))
            }
            let boxed = try await client.get("/api/v1/map.geojson?bbox=103.80,36.03,103.86,36.07")
            let boxedFeatures = try #require(try boxed.json()["features"] as? [[String: Any]])
            #expect(!expected.isEmpty && expected.count < 390)
            #expect(boxedFeatures.count == expected.count)
            #expect(boxed.headers[.eTag] != nil)
            let boxedAndDistrict = try await client.get("/api/v1/map.geojson?bbox=103.80,36.03,103.86,36.07&district=QLH").json()
            #expect((boxedAndDistrict["features"] as? [Any])?.count ?? -1 < boxedFeatures.count)
            // A viewport with nothing in it is an empty collection, not an error.
            let empty = try await client.get("/api/v1/map.geojson?bbox=116.3,39.8,116.5,40.0").json()
            #expect((empty["features"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("a change to the registry is on the map within a second, with a new ETag")
    func snapshotFollowsChanges() async throws {
        let service = try await TestService()
        let database = service.database
        try await service.run { client in
            let before = try await client.get("/api/v1/map.geojson")
            let etag = try #require(before.headers[.eTag])
            let csv =
                "site_id,district,name,address,street_office,lat,lng,opens_at,closes_at,slots\nXG-900,XG,新摊点,兰州市西固区福利路1号,福利路街道,36.1010,103.6380,,,4\n"
            _ = try await database.workflows.registry.importSites(csv: Data(csv.utf8), file: "new.csv", actor: "test", now: TestService.midSeason)
            try await Task.sleep(for: .milliseconds(1100))
            let after = try await client.get("/api/v1/map.geojson", headers: [.ifNoneMatch: etag])
            #expect(after.status == .ok, "the old ETag must no longer match")
            let features = try #require(try after.json()["features"] as? [[String: Any]])
            #expect(features.count == 391)
            #expect(features.contains { ($0["properties"] as? [String: Any])?["site_id"] as? String == "XG-900" })
        }
    }
}
