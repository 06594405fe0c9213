import Foundation
import GuatanAPI
import Hummingbird
import HummingbirdTesting
import Testing
import Yams

@Suite("OpenAPI document and metrics")
struct OperationsTests {
    @Test("openapi.yaml is served and describes exactly the routes the router serves")
    func openAPIMatchesRoutes() async throws {
        let service = try await TestService()
        let served = Set(service.built.routes.map { "\($0.method.rawValue.lowercased()) \($0.path)" })
        try await service.run { client in
            let response = try await client.get("/openapi.yaml")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("application/yaml") == true)
            let document = try #require(try Yams.load(yaml: response.text) as? [String: Any])
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: Any])
            var documented = Set<String>()
            for (path, item) in paths {
                for method in ((item as? [String: Any]) ?? [:]).keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                    documented.insert("\(method) \(path)")
                }
            }
            #expect(
                documented == served,
                "documented but not served: \(documented.subtracting(served)); served but not documented: \(served.subtracting(documented))")
            let etag = try #require(response.headers[.eTag])
            #expect(try await client.get("/openapi.yaml", headers: [.ifNoneMatch: etag]).status == .notModified)
        }
    }

    @Test("every documented GET route answers without a server error")
    func documentedRoutesAnswer() async throws {
        let service = try await TestService()
        let routes = service.built.routes
        try await service.run { client in
            for route in routes where route.method == .get {
                let uri =
                    route.path
                    .replacingOccurrences(of: "{site_id}", with: "CG-001")
                    .replacingOccurrences(of: "{slot_id}", with: "CG-001-01")
                    .replacingOccurrences(of: "{permit_no}", with: "LZ2026-CG-000001")
                    .replacingOccurrences(of: "{report_id}", with: "R000001")
                    .replacingOccurrences(of: "{tracking_code}", with: "0123456789ABCDEF")
                    .replacingOccurrences(of: "{photo_id}", with: String(repeating: "a", count: 64))
                    .replacingOccurrences(of: "{service_code}", with: "hygiene.json")
                    .replacingOccurrences(of: "{service_request_id}", with: "R000001.xml")
                    .replacingOccurrences(of: "{token}", with: "0123456789ABCDEF.json")
                    .replacingOccurrences(of: "{year}", with: "2027")
                    .replacingOccurrences(of: "{file}", with: "CG-001.atom")
                    + (route.path.hasSuffix("/nearby") ? "?lat=36.06&lng=103.83" : "")
                let response = try await client.get(uri)
                // Signed-in routes answer 401 to a citizen; no permit exists yet; every other GET answers 200.
                let signedIn =
                    ["/api/v1/me", "/api/v1/admin", "/api/v1/officer"].contains { uri.hasPrefix($0) }
                    || uri == "/api/v1/permits" || uri == "/api/v1/inspections" || uri.hasSuffix("/certificate")
                    || uri == "/api/v1/season-applications" || uri.hasSuffix("/extensions") || uri.hasSuffix("/replies") || uri.hasSuffix("/voice")
                    || uri == "/api/v1/reply-templates"
                // No permit, report, photo or 2027 season exists yet: those answer 404.
                let missing = [
                    "/permits/verify/", "/reports/", "/photos/", "/open311/v2/requests/", "/open311/v2/tokens/", "/seasons/2027/",
                ].contains {
                    uri.contains($0)
                }
                let expected: HTTPResponse.Status = signedIn ? .unauthorized : (missing ? .notFound : .ok)
                #expect(response.status == expected, "\(uri) → \(response.status)")
            }
        }
    }

    @Test("/metrics reports request counts and latencies per route in Prometheus text")
    func metrics() async throws {
        try await TestService().run { client in
            _ = try await client.get("/api/v1/districts")
            _ = try await client.get("/api/v1/sites/CG-001")
            _ = try await client.get("/api/v1/sites?page=0")
            let response = try await client.get("/metrics")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = response.text
            #expect(text.contains("# TYPE guatan_http_requests_total counter"))
            #expect(text.contains(#"route="/api/v1/districts""#))
            #expect(text.contains(#"route="/api/v1/sites/{site_id}""#), "routes are labelled by pattern, not by ID")
            #expect(!text.contains("CG-001\""))
            #expect(text.contains("guatan_http_request_duration_seconds_bucket"))
            #expect(text.contains(#"status="400""#))
            // promtool's rules: every family has HELP text, and every counter ends in _total.
            var helped = Set<String>()
            for line in text.split(separator: "\n") where line.hasPrefix("# ") {
                let parts = line.split(separator: " ")
                if parts[1] == "HELP" { helped.insert(String(parts[2])) }
                if parts[1] == "TYPE" {
                    #expect(helped.contains(String(parts[2])), "\(parts[2]) has no HELP")
                    if parts[3] == "counter" { #expect(parts[2].hasSuffix("_total"), "\(parts[2])") }
                }
            }
            for family in [
                "guatan_data_free_bytes", "guatan_database_bytes", "guatan_process_resident_memory_bytes", "guatan_process_open_fds",
                "guatan_checkins_today", "guatan_group_commit_batch_size", "guatan_snapshot_rebuild_duration_seconds",
            ] {
                #expect(text.contains("# TYPE \(family) "), "\(family) is missing")
            }
        }
    }
}
