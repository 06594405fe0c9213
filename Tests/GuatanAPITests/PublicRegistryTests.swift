import Foundation
import GuatanCore
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Public registry API")
struct PublicRegistryTests {
    @Test("healthz answers ok")
    func health() async throws {
        try await TestService().run { client in
            let response = try await client.get("/healthz")
            #expect(response.status == .ok)
            #expect(try response.json()["status"] as? String == "ok")
        }
    }

    @Test("districts list the four urban districts with the registry's totals")
    func districts() async throws {
        try await TestService().run { client in
            let body = try await client.get("/api/v1/districts").json()
            let items = try #require(body["items"] as? [[String: Any]])
            #expect(items.map { $0["code"] as? String } == ["CG", "QLH", "XG", "AN"])
            #expect(items.map { $0["name"] as? String } == ["城关区", "七里河区", "西固区", "安宁区"])
            #expect(items.compactMap { $0["site_count"] as? Int }.reduce(0, +) == 390)
            #expect(items.compactMap { $0["slot_count"] as? Int }.reduce(0, +) == 2059)
            #expect(body["total"] as? Int == 4)
        }
    }

    @Test("the current season follows the server's clock, in season and out of it")
    func currentSeason() async throws {
        try await TestService(now: TestService.midSeason).run { client in
            let body = try await client.get("/api/v1/seasons/current").json()
            #expect(body["year"] as? Int == 2026)
            #expect(body["starts_on"] as? String == "2026-06-15")
            #expect(body["ends_on"] as? String == "2026-10-15")
            #expect(body["in_season_today"] as? Bool == true)
            #expect(body["phase"] as? String == "in_season")
            #expect(body["today"] as? String == "2026-07-15")
            #expect(body["now"] as? String == "2026-07-15T09:00:00+08:00")
            #expect(body["next_starts_on"] as? String == "2027-06-15")
        }
        // Late on 15 October UTC is already 16 October in Lanzhou: the season has ended.
        try await TestService(now: BusinessTime.parseInstant("2026-10-15T16:30:00Z")!).run { client in
            let body = try await client.get("/api/v1/seasons/current").json()
            #expect(body["today"] as? String == "2026-10-16")
            #expect(body["in_season_today"] as? Bool == false)
            #expect(body["phase"] as? String == "ended")
        }
        try await TestService(now: BusinessTime.parseInstant("2026-03-01T12:00:00+08:00")!).run { client in
            let body = try await client.get("/api/v1/seasons/current").json()
            #expect(body["phase"] as? String == "upcoming")
            #expect(body["next_starts_on"] as? String == "2026-06-15")
        }
    }

    @Test("sites page, filter by district and search by text")
    func sites() async throws {
        try await TestService().run { client in
            let first = try await client.get("/api/v1/sites").json()
            #expect(first["total"] as? Int == 390)
            #expect(first["page"] as? Int == 1)
            #expect(first["per_page"] as? Int == 50)
            #expect((first["items"] as? [Any])?.count == 50)

            let last = try await client.get("/api/v1/sites?page=4&per_page=100").json()
            #expect((last["items"] as? [Any])?.count == 90)
            let beyond = try await client.get("/api/v1/sites?page=40&per_page=100").json()
            #expect((beyond["items"] as? [Any])?.count == 0)

            let anning = try await client.get("/api/v1/sites?district=AN&per_page=500").json()
            let items = try #require(anning["items"] as? [[String: Any]])
            #expect(items.count == 15)
            #expect(items.allSatisfy { $0["district"] as? String == "AN" })
            #expect(items.compactMap { $0["slot_count"] as? Int }.reduce(0, +) == 562)
            // District codes are matched without regard to case.
            #expect(try await client.get("/api/v1/sites?district=an").json()["total"] as? Int == 15)

            let search = try await client.get("/api/v1/sites?q=\("张掖路".queryEncoded)&per_page=500").json()
            let found = try #require(search["items"] as? [[String: Any]])
            #expect(!found.isEmpty)
            #expect(
                found.allSatisfy {
                    ($0["name"] as? String ?? "").contains("张掖路") || ($0["address"] as? String ?? "").contains("张掖路")
                        || ($0["street_office"] as? String ?? "").contains("张掖路")
                })
            let nothing = try await client.get("/api/v1/sites?q=\("不存在的地方".queryEncoded)").json()
            #expect(nothing["total"] as? Int == 0)
        }
    }

    @Test("a site shows its slots; an unknown site is a 404 in the error format")
    func site() async throws {
        try await TestService().run { client in
            let body = try await client.get("/api/v1/sites/AN-001").json()
            #expect(body["site_id"] as? String == "AN-001")
            #expect(body["district_name"] as? String == "安宁区")
            let slots = try #require(body["slots"] as? [[String: Any]])
            #expect(slots.count == body["slot_count"] as? Int)
            #expect(slots.first?["slot_id"] as? String == "AN-001-01")
            #expect(slots.allSatisfy { $0["status_today"] as? String == "vacant" })
            let hours = try #require(body["opening_hours"] as? [String: Any])
            #expect(hours["opens_at"] is String && hours["closes_at"] is String)

            try await client.get("/api/v1/sites/AN-999").expectError(.notFound, code: "NOT_FOUND")
            try await client.get("/api/v1/sites/%E4%B8%8D").expectError(.notFound, code: "NOT_FOUND")
        }
    }

    @Test("a stall page shows the slot, its site and today's status, and nothing private")
    func stall() async throws {
        try await TestService().run { client in
            let response = try await client.get("/api/v1/stalls/CG-001-02")
            let body = try response.json()
            #expect(body["slot_id"] as? String == "CG-001-02")
            #expect(body["number"] as? Int == 2)
            #expect(body["status_today"] as? String == "vacant")
            #expect(body["business_date"] as? String == "2026-07-15")
            #expect(body["open_report_count"] as? Int == 0)
            #expect(body["permit"] == nil, "a vacant stall shows no permit")
            let site = try #require(body["site"] as? [String: Any])
            #expect(site["site_id"] as? String == "CG-001")
            #expect(site["district_name"] as? String == "城关区")
            for word in ["phone", "id_card", "password", "token", "hash"] {
                #expect(!response.text.contains(word))
            }
            try await client.get("/api/v1/stalls/CG-001-99").expectError(.notFound, code: "NOT_FOUND")
        }
    }

    @Test("positions can be asked for in GCJ-02 for Chinese base maps")
    func outputInGCJ02() async throws {
        try await TestService().run { client in
            let wgs = try await client.get("/api/v1/stalls/CG-001-01").json()
            let gcj = try await client.get("/api/v1/stalls/CG-001-01?crs=gcj02").json()
            #expect(wgs["crs"] as? String == "wgs84")
            #expect(gcj["crs"] as? String == "gcj02")
            let w = try #require(wgs["position"] as? [String: Double])
            let g = try #require(gcj["position"] as? [String: Double])
            let expected = Geodesy.wgs84ToGCJ02(Coordinate(lat: w["lat"]!, lng: w["lng"]!))
            #expect(Geodesy.distance(expected, Coordinate(lat: g["lat"]!, lng: g["lng"]!)) < 0.2)
            #expect(Geodesy.distance(Coordinate(lat: w["lat"]!, lng: w["lng"]!), Coordinate(lat: g["lat"]!, lng: g["lng"]!)) > 100)
        }
    }

    @Test("nearby search returns stalls within the radius, nearest first, and takes GCJ-02 input")
    func nearby() async throws {
        try await TestService().run { client in
            let body = try await client.get("/api/v1/stalls/nearby?lat=36.0605&lng=103.83&radius_m=800&limit=50").json()
            let items = try #require(body["items"] as? [[String: Any]])
            #expect(!items.isEmpty)
            let distances = items.compactMap { $0["distance_m"] as? Double }
            #expect(distances.count == items.count)
            #expect(distances == distances.sorted())
            #expect(distances.allSatisfy { $0 <= 800 })
            #expect(body["radius_m"] as? Double == 800)
            // Default radius 1000 m and limit 20.
            let defaults = try await client.get("/api/v1/stalls/nearby?lat=36.0605&lng=103.83").json()
            #expect(defaults["radius_m"] as? Double == 1000)
            #expect(defaults["limit"] as? Int == 20)
            #expect((defaults["items"] as? [Any])?.count ?? 0 <= 20)

            // A phone on a Chinese map reports GCJ-02: standing at CG-001-01 it must find CG-001-01 first.
            let stall = try await client.get("/api/v1/stalls/CG-001-01").json()
            let p = try #require(stall["position"] as? [String: Double])
            let gcj = Geodesy.wgs84ToGCJ02(Coordinate(lat: p["lat"]!, lng: p["lng"]!))
            let near = try await client.get("/api/v1/stalls/nearby?lat=\(gcj.lat)&lng=\(gcj.lng)&crs=gcj02&radius_m=2").json()
            let nearItems = try #require(near["items"] as? [[String: Any]])
            #expect(nearItems.first?["slot_id"] as? String == "CG-001-01")
            #expect((nearItems.first?["distance_m"] as? Double ?? 99) < 0.5)
            // Without crs=gcj02 the same numbers are a few hundred metres off.
            let wrong = try await client.get("/api/v1/stalls/nearby?lat=\(gcj.lat)&lng=\(gcj.lng)&radius_m=2").json()
            #expect((wrong["items"] as? [Any])?.isEmpty == true)
            // Far from Lanzhou there is nothing.
            let beijing = try await client.get("/api/v1/stalls/nearby?lat=39.9&lng=116.4&radius_m=5000").json()
            #expect(beijing["total"] as? Int == 0)
        }
    }

    @Test("the home page and static files are served with validators")
    func staticPages() async throws {
        try await TestService().run { client in
            let home = try await client.get("/")
            #expect(home.status == .ok)
            #expect(home.headers[.contentType] == "text/html; charset=utf-8")
            #expect(home.text.contains("瓜摊"))
            #expect(home.text.contains("/api/v1/map.geojson"))
            let etag = try #require(home.headers[.eTag])
            let again = try await client.get("/", headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
        }
    }

    @Test("unknown paths are a 404 in the error format")
    func unknownPath() async throws {
        try await TestService().run { client in
            try await client.get("/api/v1/nothing-here").expectError(.notFound, code: "NOT_FOUND")
            try await client.get("/nothing.html").expectError(.notFound, code: "NOT_FOUND")
        }
    }
}
