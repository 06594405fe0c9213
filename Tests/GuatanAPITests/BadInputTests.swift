import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Every parameter, given nonsense, gets the documented 4xx and error code — never a 500.
@Suite("Bad input")
struct BadInputTests {
    static let cases: [(String, String?)] = [
        ("/api/v1/sites?page=abc", "page"),
        ("/api/v1/sites?page=0", "page"),
        ("/api/v1/sites?page=-3", "page"),
        ("/api/v1/sites?page=1.5", "page"),
        ("/api/v1/sites?page=99999999999999999999999", "page"),
        ("/api/v1/sites?per_page=0", "per_page"),
        ("/api/v1/sites?per_page=100000", "per_page"),
        ("/api/v1/sites?per_page=ten", "per_page"),
        ("/api/v1/sites?district=ZZ", "district"),
        ("/api/v1/sites?q=\(String(repeating: "a", count: 101))", "q"),
        ("/api/v1/sites?crs=mars", "crs"),
        ("/api/v1/sites/CG-001?crs=bd09", "crs"),
        ("/api/v1/stalls/CG-001-01?crs=1", "crs"),
        ("/api/v1/stalls/nearby", "lat"),
        ("/api/v1/stalls/nearby?lng=103.8", "lat"),
        ("/api/v1/stalls/nearby?lat=36.06", "lng"),
        ("/api/v1/stalls/nearby?lat=abc&lng=103.8", "lat"),
        ("/api/v1/stalls/nearby?lat=91&lng=103.8", "lat"),
        ("/api/v1/stalls/nearby?lat=-90.5&lng=103.8", "lat"),
        ("/api/v1/stalls/nearby?lat=36.06&lng=181", "lng"),
        ("/api/v1/stalls/nearby?lat=36.06&lng=-1e999", "lng"),
        ("/api/v1/stalls/nearby?lat=nan&lng=103.8", "lat"),
        ("/api/v1/stalls/nearby?lat=inf&lng=103.8", "lat"),
        ("/api/v1/stalls/nearby?lat=36.06&lng=103.8&radius_m=0", "radius_m"),
        ("/api/v1/stalls/nearby?lat=36.06&lng=103.8&radius_m=5001", "radius_m"),
        ("/api/v1/stalls/nearby?lat=36.06&lng=103.8&radius_m=-5", "radius_m"),
        ("/api/v1/stalls/nearby?lat=36.06&lng=103.8&radius_m=far", "radius_m"),
        ("/api/v1/stalls/nearby?lat=36.06&lng=103.8&limit=0", "limit"),
        ("/api/v1/stalls/nearby?lat=36.06&lng=103.8&limit=100000", "limit"),
        ("/api/v1/stalls/nearby?lat=36.06&lng=103.8&limit=2.5", "limit"),
        ("/api/v1/stalls/nearby?lat=36.06&lng=103.8&crs=wgs85", "crs"),
        ("/api/v1/map.geojson?district=nowhere", "district"),
        ("/api/v1/map.geojson?bbox=1,2,3", "bbox"),
        ("/api/v1/map.geojson?bbox=a,b,c,d", "bbox"),
        ("/api/v1/map.geojson?bbox=103.9,36.0,103.8,36.1", "bbox"),
        ("/api/v1/map.geojson?bbox=103.8,36.0,103.9,36.1,0", "bbox"),
        ("/api/v1/map.geojson?bbox=-200,0,0,1", "bbox"),
        ("/api/v1/map.geojson?bbox=0,-95,1,0", "bbox"),
        ("/api/v1/map.geojson?bbox=\(String(repeating: "1,", count: 150))", "bbox"),
    ]

    @Test("each bad parameter is a 400 VALIDATION_FAILED naming the field")
    func badParameters() async throws {
        try await TestService().run { client in
            for (uri, field) in Self.cases {
                let response = try await client.get(uri)
                #expect(response.status == .badRequest, "\(uri) → \(response.status) \(response.text)")
                try response.expectError(.badRequest, code: "VALIDATION_FAILED", field: field)
            }
        }
    }

    @Test(
        "unknown IDs of every shape are a 404, never a 500",
        arguments: [
            "/api/v1/sites/x", "/api/v1/sites/CG-0001", "/api/v1/sites/'%20OR%201=1--", "/api/v1/sites/%00",
            "/api/v1/stalls/x", "/api/v1/stalls/CG-001", "/api/v1/stalls/%E2%80%AE", "/api/v1/sites/\(String(repeating: "9", count: 2000))",
        ])
    func unknownIds(uri: String) async throws {
        try await TestService().run { client in
            try await client.get(uri).expectError(.notFound, code: "NOT_FOUND")
        }
    }

    @Test("a malformed percent-encoding or method is a 4xx in the error format")
    func malformedRequests() async throws {
        try await TestService().run { client in
            let badEncoding = try await client.get("/api/v1/sites/%ZZ")
            #expect((400..<500).contains(badEncoding.status.code))
            let post = try await client.execute(uri: "/api/v1/sites", method: .post)
            try post.expectError(.methodNotAllowed, code: "METHOD_NOT_ALLOWED")
            #expect(post.headers[.allow] == "GET, HEAD")
            let delete = try await client.execute(uri: "/api/v1/sites/CG-001", method: .delete)
            try delete.expectError(.methodNotAllowed, code: "METHOD_NOT_ALLOWED")
            // An unknown path stays a 404 whatever the method.
            try await client.execute(uri: "/api/v1/nowhere", method: .post).expectError(.notFound, code: "NOT_FOUND")
            // HEAD works wherever GET does.
            let head = try await client.execute(uri: "/api/v1/districts", method: .head)
            #expect(head.status == .ok)
        }
    }

    @Test("repeated and empty parameters take sensible defaults")
    func emptyParameters() async throws {
        try await TestService().run { client in
            let empty = try await client.get("/api/v1/sites?page=&per_page=&q=&district=")
            #expect(empty.status == .ok)
            #expect(try empty.json()["total"] as? Int == 390)
        }
    }
}
