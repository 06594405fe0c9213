import Foundation
import GuatanCore
import GuatanStoreInterface
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GuatanSQLite

@Suite("Check-in (出摊打卡)")
struct CheckInTests {
    static func at(_ text: String) -> Date { BusinessTime.parseInstant(text)! }

    static func body(_ p: Coordinate, accuracy: Double? = 15, crs: String? = nil) -> String {
        var fields = [#""lat": \#(p.lat)"#, #""lng": \#(p.lng)"#]
        if let accuracy { fields.append(#""accuracy_m": \#(accuracy)"#) }
        if let crs { fields.append(#""crs": "\#(crs)""#) }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    /// A point `metres` north of `p`.
    static func north(_ p: Coordinate, _ metres: Double) -> Coordinate {
        Coordinate(lat: p.lat + metres / 111_194.93, lng: p.lng)
    }

    @Test("a full day: check in, repeat, the stall opens, check out, the stall closes for the day; history shows it")
    func fullDay() async throws {
        try await Scene.permitIssued().run { client in
            let vendor = try await client.signIn("zhangsan")
            let slot = try await Scene.slotPosition(client)
            #expect(try await client.get("/api/v1/stalls/CG-001-01").json()["status_today"] as? String == "assigned")
            let mapBefore = try await client.get("/api/v1/map.geojson?district=CG")

            let first = try await client.post("/api/v1/checkins", json: Self.body(Self.north(slot, 40)), headers: vendor)
            #expect(first.status == .created, "\(first.text)")
            let record = try first.json()
            #expect(record["permit_no"] as? String == "LZ2026-CG-000001")
            #expect(record["slot_id"] as? String == "CG-001-01")
            #expect(record["business_date"] as? String == "2026-07-15")
            #expect(record["checked_in_at"] as? String == "2026-07-15T09:00:00+08:00")
            #expect(abs((record["distance_m"] as? Double ?? -1) - 40) < 1)
            #expect(record["status"] as? String == "open")

            // A second tap, from elsewhere at the stall: 200 and the very same record.
            let again = try await client.post("/api/v1/checkins", json: Self.body(Self.north(slot, 10)), headers: vendor)
            #expect(again.status == .ok)
            #expect(try again.json()["checkin_id"] as? Int == record["checkin_id"] as? Int)
            #expect(abs((try again.json()["distance_m"] as? Double ?? -1) - 40) < 1, "nothing changed")

            // Citizens see the stall open: the stall page, the site page and the map (with a new ETag).
            #expect(try await client.get("/api/v1/stalls/CG-001-01").json()["status_today"] as? String == "open")
            let mapOpen = try await client.get("/api/v1/map.geojson?district=CG")
            #expect(mapOpen.headers[.eTag] != mapBefore.headers[.eTag])
            let feature = try Self.feature(mapOpen, site: "CG-001")
            #expect(feature["open_count"] as? Int == 1)
            #expect(feature["assigned_count"] as? Int == 1)

            let out = try await client.post("/api/v1/checkins/today/checkout", json: "", headers: vendor)
            #expect(out.status == .ok, "\(out.text)")
            #expect(try out.json()["status"] as? String == "closed_for_day")
            #expect(try out.json()["checked_out_at"] as? String == "2026-07-15T09:00:00+08:00")
            #expect(
                try await client.post("/api/v1/checkins/today/checkout", json: "", headers: vendor).status == .ok,
                "checking out twice changes nothing")
            #expect(try await client.get("/api/v1/stalls/CG-001-01").json()["status_today"] as? String == "closed_for_day")
            let mapClosed = try await client.get("/api/v1/map.geojson?district=CG")
            #expect(try Self.feature(mapClosed, site: "CG-001")["open_count"] as? Int == 0)
            #expect(mapClosed.headers[.eTag] != mapOpen.headers[.eTag])

            let history = try await client.get("/api/v1/me/checkins", headers: vendor).json()
            #expect(history["total"] as? Int == 1)
            let items = try #require(history["items"] as? [[String: Any]])
            #expect(items.first?["checkin_id"] as? Int == record["checkin_id"] as? Int)
            #expect(items.first?["status"] as? String == "closed_for_day")
            #expect(try await client.get("/api/v1/me/checkins?from=2026-07-16", headers: vendor).json()["total"] as? Int == 0)
            try await client.get("/api/v1/me/checkins?from=yesterday", headers: vendor).expectError(
                .badRequest, code: "VALIDATION_FAILED", field: "from")
        }
    }

    static func feature(_ response: TestResponse, site: String) throws -> [String: Any] {
        let features = try #require(try response.json()["features"] as? [[String: Any]])
        let feature = try #require(features.first { $0["id"] as? String == site })
        return try #require(feature["properties"] as? [String: Any])
    }

    @Test("a stall's page, kept for a second against crowds, changes at once with a check-in, a report, an inspection and a check-out")
    func stallPageFollowsWrites() async throws {
        try await Scene.permitIssued().run { client in
            let vendor = try await client.signIn("zhangsan")
            let cg = try await client.signIn("cg.li")
            let stall = { try await client.get("/api/v1/stalls/CG-001-01").json() }
            #expect(try await stall()["status_today"] as? String == "assigned")
            #expect(try await stall()["open_report_count"] as? Int == 0)  // served from the cache
            let slot = try await Scene.slotPosition(client)
            #expect(try await client.post("/api/v1/checkins", json: Self.body(slot), headers: vendor).status == .created)
            #expect(try await stall()["status_today"] as? String == "open")
            _ = try await Scene.submit(client, #"{"category": "hygiene", "description": "垃圾", "slot_id": "CG-001-01"}"#)
            #expect(try await stall()["open_report_count"] as? Int == 1)
            _ = try await Scene.inspect(client, cg, result: "warning")
            #expect((try await stall()["last_inspection"] as? [String: Any])?["result"] as? String == "warning")
            #expect(try await client.post("/api/v1/checkins/today/checkout", json: "", headers: vendor).status == .ok)
            #expect(try await stall()["status_today"] as? String == "closed_for_day")
            // The GCJ-02 view is kept apart from the WGS-84 one.
            let gcj = try await client.get("/api/v1/stalls/CG-001-01?crs=gcj02").json()
            #expect((gcj["position"] as? [String: Any])?["lat"] as? Double != (try await stall()["position"] as? [String: Any])?["lat"] as? Double)
        }
    }

    @Test("every refusal through HTTP: 422 with its code, and every attempt stored")
    func refusals() async throws {
        // Too far, with poor accuracy and without a permit, mid-morning.
        try await Scene.permitIssued().run { client in
            let vendor = try await client.signIn("zhangsan")
            let slot = try await Scene.slotPosition(client)
            // The refusal carries what the vendor's page says in words: how far, and how far is accepted.
            let far = try await client.post("/api/v1/checkins", json: Self.body(Self.north(slot, 400)), headers: vendor)
                .expectError(.unprocessableContent, code: "TOO_FAR")
            let farDetails = try #require(far["details"] as? [String: Any])
            #expect(abs((farDetails["distance_m"] as? Double ?? 0) - 400) < 1)
            #expect(farDetails["allowed_m"] as? Double == 115)
            try await client.post("/api/v1/checkins", json: Self.body(slot, accuracy: 150), headers: vendor)
                .expectError(.unprocessableContent, code: "POOR_ACCURACY")
            try await client.post("/api/v1/checkins", json: Self.body(slot, accuracy: nil), headers: vendor)
                .expectError(.unprocessableContent, code: "POOR_ACCURACY")
            let lisi = try await client.signIn("lisi")
            try await client.post("/api/v1/checkins", json: Self.body(slot), headers: lisi)
                .expectError(.unprocessableContent, code: "NO_PERMIT")
            // Refused attempts leave the stall as it was.
            #expect(try await client.get("/api/v1/stalls/CG-001-01").json()["status_today"] as? String == "assigned")
            try await client.post("/api/v1/checkins/today/checkout", json: "", headers: vendor).expectError(.notFound, code: "NOT_FOUND")
        }
        // Too early and too late (the server's clock decides), out of season.
        for (instant, code) in [
            ("2026-07-15T05:59:00+08:00", "OUTSIDE_HOURS"), ("2026-07-15T22:00:00+08:00", "OUTSIDE_HOURS"),
            ("2026-06-14T09:00:00+08:00", "OUT_OF_SEASON"), ("2026-10-16T09:00:00+08:00", "PERMIT_NOT_ACTIVE"),
        ] {
            try await Scene.permitIssued(now: Self.at(instant)).run { client in
                let vendor = try await client.signIn("zhangsan")
                let slot = try await Scene.slotPosition(client)
                let error = try await client.post("/api/v1/checkins", json: Self.body(slot), headers: vendor)
                    .expectError(.unprocessableContent, code: code)
                if code == "OUTSIDE_HOURS" {
                    // The hours that apply: CG-001's own 07:00–21:00, narrower than the season's 06:00–22:00.
                    let details = try #require(error["details"] as? [String: Any])
                    #expect(details["opens_at"] as? String == "07:00" && details["closes_at"] as? String == "21:00")
                }
            }
        }
    }

    @Test("a suspended permit cannot check in; reinstated, it can")
    func suspended() async throws {
        try await Scene.permitIssued().run { client in
            let admin = try await client.signIn("admin")
            let vendor = try await client.signIn("zhangsan")
            let slot = try await Scene.slotPosition(client)
            let suspend = try await client.post(
                "/api/v1/permits/LZ2026-CG-000001/transitions", json: #"{"action": "suspend", "reason": "不是自产瓜果"}"#, headers: admin)
            #expect(suspend.status == .ok)
            try await client.post("/api/v1/checkins", json: Self.body(slot), headers: vendor)
                .expectError(.unprocessableContent, code: "PERMIT_NOT_ACTIVE")
            _ = try await client.post("/api/v1/permits/LZ2026-CG-000001/transitions", json: #"{"action": "reinstate"}"#, headers: admin)
            #expect(try await client.post("/api/v1/checkins", json: Self.body(slot), headers: vendor).status == .created)
        }
    }

    @Test("a GCJ-02 position from a Chinese map SDK is converted before the geofence is applied")
    func gcj02() async throws {
        try await Scene.permitIssued().run { client in
            let vendor = try await client.signIn("zhangsan")
            let slot = try await Scene.slotPosition(client)
            let gcj = Geodesy.wgs84ToGCJ02(slot)
            // The raw GCJ-02 numbers, taken as WGS-84, are hundreds of metres off.
            try await client.post("/api/v1/checkins", json: Self.body(gcj), headers: vendor).expectError(.unprocessableContent, code: "TOO_FAR")
            let converted = try await client.post("/api/v1/checkins", json: Self.body(gcj, crs: "gcj02"), headers: vendor)
            #expect(converted.status == .created, "\(converted.text)")
            #expect((try converted.json()["distance_m"] as? Double ?? 99) < 1)
        }
    }

    @Test("points exhausted this month: refused with POINTS_EXHAUSTED, the next month the permit trades again")
    func pointsExhausted() async throws {
        let service = try await Scene.permitIssued()
        try await service.database.deductPoints(
            permitNumber: "LZ2026-CG-000001", month: "2026-07", points: 12, code: "person_permit_slot_mismatch", at: TestService.midSeason)
        try await service.run { client in
            let vendor = try await client.signIn("zhangsan")
            let slot = try await Scene.slotPosition(client)
            try await client.post("/api/v1/checkins", json: Self.body(slot), headers: vendor)
                .expectError(.unprocessableContent, code: "POINTS_EXHAUSTED")
        }
        #expect(try await service.database.pointsDeducted(permitNumber: "LZ2026-CG-000001", month: "2026-08") == 0)
    }

    @Test("bad input is a 400 naming the field; wrong roles are refused")
    func badInputAndAccess() async throws {
        try await Scene.permitIssued().run { client in
            let vendor = try await client.signIn("zhangsan")
            try await client.post("/api/v1/checkins", json: #"{"lng": 103.8, "accuracy_m": 10}"#, headers: vendor)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "lat")
            try await client.post("/api/v1/checkins", json: #"{"lat": 91, "lng": 103.8, "accuracy_m": 10}"#, headers: vendor)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "lat")
            try await client.post("/api/v1/checkins", json: #"{"lat": 36, "lng": 103.8, "accuracy_m": "good"}"#, headers: vendor)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "accuracy_m")
            try await client.post("/api/v1/checkins", json: #"{"lat": 36, "lng": 103.8, "accuracy_m": 10, "crs": "bd09"}"#, headers: vendor)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "crs")
            try await client.post("/api/v1/checkins", json: "{", headers: vendor).expectError(.badRequest, code: "VALIDATION_FAILED")
            try await client.post("/api/v1/checkins", json: #"{"lat": 36, "lng": 103.8, "accuracy_m": 10}"#)
                .expectError(.unauthorized, code: "UNAUTHENTICATED")
            let officer = try await client.signIn("cg.li")
            try await client.post("/api/v1/checkins", json: #"{"lat": 36, "lng": 103.8, "accuracy_m": 10}"#, headers: officer)
                .expectError(.forbidden, code: "FORBIDDEN")
            try await client.get("/api/v1/me/checkins", headers: officer).expectError(.forbidden, code: "FORBIDDEN")
            try await client.post("/api/v1/officer/checkins", json: #"{"permit_no": "LZ2026-CG-000001", "reason": "x"}"#, headers: vendor)
                .expectError(.forbidden, code: "FORBIDDEN")
        }
    }

    @Test("an officer of the district checks a vendor in on his behalf, with a reason, in the audit log; another district's officer cannot")
    func onBehalf() async throws {
        try await Scene.permitIssued().run { client in
            let xg = try await client.signIn("xg.sun")
            try await client.post("/api/v1/officer/checkins", json: #"{"permit_no": "LZ2026-CG-000001", "reason": "手机没电"}"#, headers: xg)
                .expectError(.forbidden, code: "FORBIDDEN")
            let cg = try await client.signIn("cg.li")
            try await client.post("/api/v1/officer/checkins", json: #"{"permit_no": "LZ2026-CG-000001", "reason": "  "}"#, headers: cg)
                .expectError(.badRequest, code: "VALIDATION_FAILED", field: "reason")
            try await client.post("/api/v1/officer/checkins", json: #"{"permit_no": "LZ2026-CG-999999", "reason": "手机没电"}"#, headers: cg)
                .expectError(.notFound, code: "NOT_FOUND")
            let done = try await client.post("/api/v1/officer/checkins", json: #"{"permit_no": "lz2026-cg-000001", "reason": "手机没电"}"#, headers: cg)
            #expect(done.status == .created, "\(done.text)")
            #expect(try done.json()["method"] as? String == "officer")
            #expect(try done.json()["distance_m"] is NSNull)
            #expect(try await client.get("/api/v1/stalls/CG-001-01").json()["status_today"] as? String == "open")
            // The vendor's own tap later the same day is a repeat of the officer's record.
            let vendor = try await client.signIn("zhangsan")
            let slot = try await Scene.slotPosition(client)
            let tap = try await client.post("/api/v1/checkins", json: Self.body(slot), headers: vendor)
            #expect(tap.status == .ok)
            #expect(try tap.json()["checkin_id"] as? Int == done.json()["checkin_id"] as? Int)

            let admin = try await client.signIn("admin")
            let audit = try await client.get("/api/v1/admin/audit?entity=checkin", headers: admin).json()
            let entries = try #require(audit["items"] as? [[String: Any]])
            #expect(entries.count == 1)
            #expect(entries.first?["actor"] as? String == "account:cg.li")
            #expect((entries.first?["after"] as? [String: String])?["reason"] == "手机没电")
        }
    }

    @Test("a jump faster than 120 km/h since the previous attempt is accepted but flagged for review")
    func travelFlag() async throws {
        let service = try await Scene.permitIssued()
        try await service.run { client in
            let vendor = try await client.signIn("zhangsan")
            let slot = try await Scene.slotPosition(client)
            // Refused 20 km away, then at the stall the same instant: accepted, flagged.
            try await client.post("/api/v1/checkins", json: Self.body(Self.north(slot, 20_000)), headers: vendor)
                .expectError(.unprocessableContent, code: "TOO_FAR")
            #expect(try await client.post("/api/v1/checkins", json: Self.body(slot), headers: vendor).status == .created)

            // The district's officers find it among today's flagged check-ins; other districts do not.
            let cg = try await client.signIn("cg.li")
            let flagged = try await client.get("/api/v1/officer/checkins?flagged=true", headers: cg).json()
            let items = try #require(flagged["items"] as? [[String: Any]])
            #expect(items.count == 1)
            #expect(items.first?["flagged_for_review"] as? Bool == true)
            #expect(items.first?["vendor_id"] as? String == "V000001")
            #expect(items.first?["permit_no"] as? String == "LZ2026-CG-000001")
            #expect(try await client.get("/api/v1/officer/checkins?date=2026-07-14", headers: cg).json()["total"] as? Int == 0)
            let xg = try await client.signIn("xg.sun")
            #expect(try await client.get("/api/v1/officer/checkins", headers: xg).json()["total"] as? Int == 0)
            try await client.get("/api/v1/officer/checkins?district=CG", headers: xg).expectError(.forbidden, code: "FORBIDDEN")
            try await client.get("/api/v1/officer/checkins", headers: vendor).expectError(.forbidden, code: "FORBIDDEN")
            try await client.get("/api/v1/officer/checkins?flagged=maybe", headers: cg).expectError(
                .badRequest, code: "VALIDATION_FAILED", field: "flagged")
            let admin = try await client.signIn("admin")
            #expect(try await client.get("/api/v1/officer/checkins?district=CG", headers: admin).json()["total"] as? Int == 1)
        }
        let attempts = try await service.database.checkInAttempts(vendorId: "V000001")
        #expect(attempts.map(\.outcome) == ["refused", "checked_in"])
        #expect(attempts.map(\.flagged) == [false, true])
        #expect(attempts.first?.refusal == "TOO_FAR")
        #expect(attempts.allSatisfy { $0.distanceM != nil })
    }
}
