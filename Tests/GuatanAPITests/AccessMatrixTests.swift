import Foundation
import GuatanCore
import GuatanSQLite
import GuatanStoreInterface
import Hummingbird
import HummingbirdTesting
import Testing

/// Every route against every kind of caller: who may use it (2xx or a business answer), who
/// gets 401 and who 403. A route missing from the table fails the test, so a new route has to
/// say who it is for.
@Suite("Access matrix")
struct AccessMatrixTests {
    enum Caller: String, CaseIterable {
        case anonymous, vendor, officer
        case otherOfficer = "other_officer"
        case admin
    }

    /// Who may use a route; district-scoped routes are exercised on CG's resources, so the
    /// officer of XG (`otherOfficer`) is refused there.
    static let allowed: [String: Set<Caller>] = {
        let everyone = Set(Caller.allCases)
        let staff: Set<Caller> = [.officer, .admin]
        var table: [String: Set<Caller>] = [:]
        for route in [
            "GET /healthz", "GET /readyz", "GET /openapi.yaml", "GET /metrics", "GET /api/v1/districts", "GET /api/v1/seasons/current",
            "GET /api/v1/sites",
            "GET /api/v1/sites/{site_id}", "GET /api/v1/stalls/nearby", "GET /api/v1/stalls/{slot_id}", "GET /api/v1/map.geojson",
            "GET /api/v1/permits/verify/{permit_no}", "POST /api/v1/auth/login", "POST /api/v1/reports", "GET /api/v1/reports",
            "GET /api/v1/reports/{report_id}", "GET /api/v1/reports/track/{tracking_code}", "POST /api/v1/reports/track/{tracking_code}/rating",
            "POST /api/v1/reports/track/{tracking_code}/reopen", "GET /api/v1/report-categories", "GET /api/v1/web-config",
            "GET /api/v1/photos/{photo_id}",
            "GET /api/v1/stalls/{slot_id}/code.svg", "GET /s/{slot_id}", "GET /sites/{site_id}/codes",
            "GET /api/v1/seasons", "GET /api/v1/seasons/{year}/allocation", "GET /api/v1/seasons/{year}/draw",
            "POST /api/v1/seasons/{year}/objections",
            "GET /feeds/stalls/{file}", "GET /feeds/sites/{file}", "GET /feeds/districts/{file}",
        ] { table[route] = everyone }
        for route in [
            "GET /open311/v2/discovery.json", "GET /open311/v2/discovery.xml", "GET /open311/v2/services.json", "GET /open311/v2/services.xml",
            "GET /open311/v2/requests.json", "GET /open311/v2/requests.xml", "POST /open311/v2/requests.json", "POST /open311/v2/requests.xml",
            "GET /open311/v2/services/{service_code}", "GET /open311/v2/requests/{service_request_id}", "GET /open311/v2/tokens/{token}",
        ] { table[route] = everyone }
        for route in ["GET /api/v1/me", "POST /api/v1/auth/logout", "POST /api/v1/me/password"] { table[route] = everyone.subtracting([.anonymous]) }
        for route in [
            "GET /api/v1/me/permits", "POST /api/v1/permit-applications", "POST /api/v1/checkins", "POST /api/v1/checkins/today/checkout",
            "GET /api/v1/me/checkins", "GET /api/v1/me/points", "GET /api/v1/me/allocation", "POST /api/v1/season-applications",
            "POST /api/v1/me/permits/{permit_no}/surrender", "POST /api/v1/me/offers/{offer_no}/accept", "POST /api/v1/me/offers/{offer_no}/decline",
            "GET /api/v1/me/record",
        ] { table[route] = [.vendor] }
        // The applicant withdraws, the squad reviews, the bureau approves: each is told about his own.
        table["POST /api/v1/season-applications/{application_no}/transitions"] = everyone.subtracting([.anonymous])
        // Staff routes whose resource here is CG's: the other district's officer is refused.
        for route in [
            "POST /api/v1/permits/{permit_no}/transitions", "GET /api/v1/permits/{permit_no}/certificate",
            "POST /api/v1/reports/{report_id}/transitions",
            "POST /api/v1/inspections", "POST /api/v1/reports/{report_id}/extensions", "GET /api/v1/reports/{report_id}/extensions",
            "GET /api/v1/reports/{report_id}/replies", "GET /api/v1/reports/{report_id}/voice",
        ] { table[route] = staff }
        // Staff intake (hotline, walk-in, patrol): any officer enters what he saw; the channel decides the rest.
        table["POST /api/v1/staff/reports"] = staff.union([.otherOfficer])
        table["POST /api/v1/officer/checkins"] = [.officer]
        // Staff routes that show the caller's own district (the other officer sees his, not 403).
        for route in [
            "GET /api/v1/permits", "GET /api/v1/officer/checkins", "GET /api/v1/inspections", "GET /api/v1/officer/queue",
            "GET /api/v1/officer/coverage", "GET /api/v1/season-applications", "GET /api/v1/officer/offers",
            "GET /api/v1/admin/report-extensions", "GET /api/v1/admin/escalations", "GET /api/v1/admin/sent-back", "GET /api/v1/reply-templates",
        ] {
            table[route] = staff.union([.otherOfficer])
        }
        for route in [
            "POST /api/v1/admin/users", "POST /api/v1/admin/vendors", "POST /api/v1/admin/permits", "GET /api/v1/admin/audit",
            "GET /api/v1/admin/stats", "GET /api/v1/admin/idle-permits", "GET /api/v1/admin/sanctions", "GET /api/v1/admin/exports/{file}",
            "GET /api/v1/admin/violation-rules", "POST /api/v1/admin/violation-rules", "POST /api/v1/admin/report-categories/{code}",
            "POST /api/v1/admin/deductions/{deduction_id}/annul", "GET /api/v1/admin/users", "POST /api/v1/admin/users/{username}/disable",
            "POST /api/v1/admin/users/{username}/enable", "POST /api/v1/admin/seasons", "GET /api/v1/admin/seasons/{year}",
            "POST /api/v1/admin/seasons/{year}/settings", "POST /api/v1/admin/seasons/{year}/transitions",
            "POST /api/v1/admin/objections/{objection_no}/answer", "GET /api/v1/admin/vendors/{vendor_id}/record",
            "POST /api/v1/admin/vendors/{vendor_id}/bars/{year}/lift", "POST /api/v1/admin/idle-permits/{permit_no}/warn",
            "POST /api/v1/admin/idle-permits/{permit_no}/reclaim", "POST /api/v1/report-extensions/{extension_id}/decision",
            "GET /api/v1/admin/events", "POST /api/v1/admin/webhooks", "GET /api/v1/admin/webhooks",
            "POST /api/v1/admin/webhooks/{endpoint_id}/pause",
            "POST /api/v1/admin/webhooks/{endpoint_id}/resume", "GET /api/v1/admin/webhooks/dead-letters", "GET /api/v1/admin/sms",
            "GET /api/v1/admin/scorecards",
            "POST /api/v1/admin/reply-templates", "POST /api/v1/admin/reply-templates/{template_id}/retire",
        ] { table[route] = [.admin] }
        return table
    }()

    /// Bodies good enough to reach the district check behind the role check.
    static let bodies: [String: String] = [
        "POST /api/v1/permits/{permit_no}/transitions": #"{"action": "review"}"#,
        "POST /api/v1/reports/{report_id}/transitions": #"{"action": "accept"}"#,
        "POST /api/v1/inspections": #"{"slot_id": "CG-001-01", "result": "compliant"}"#,
        "POST /api/v1/officer/checkins": #"{"permit_no": "LZ2026-CG-000001", "reason": "手机没电"}"#,
        "POST /api/v1/reports/{report_id}/extensions": #"{"new_due_at": "2026-07-16T10:00:00+08:00", "reason": "需要调查"}"#,
        "POST /api/v1/report-extensions/{extension_id}/decision": #"{"approve": true, "answer": "同意延期"}"#,
    ]

    /// What each path parameter stands for here: CG's resources, mostly.
    static func parameters(reportId: String) -> [(String, String)] {
        [
            ("{site_id}", "CG-001"), ("{slot_id}", "CG-001-01"), ("{permit_no}", "LZ2026-CG-000001"), ("{report_id}", reportId),
            ("{tracking_code}", "0123456789ABCDEF"), ("{photo_id}", "x"), ("{service_code}", "hygiene.json"),
            ("{service_request_id}", "R000001.json"), ("{token}", "x.json"), ("{file}", "permits.csv"), ("{code}", "hygiene"),
            ("{deduction_id}", "1"), ("{username}", "nobody"), ("{year}", "2027"), ("{offer_no}", "HB2026-00001"),
            ("{application_no}", "SQ2027-000001"), ("{objection_no}", "YY2027-0001"), ("{vendor_id}", "V000001"),
            ("{extension_id}", "1"), ("{endpoint_id}", "1"), ("{template_id}", "999"),
        ]
    }

    @Test("every route answers each kind of caller as its table says")
    func matrix() async throws {
        let service = try await Scene.permitIssued()
        let routes = service.built.routes
        let photo = try await service.database.workflows.reports.submit(
            ReportIntake(category: .hygiene, description: "垃圾", subject: .slot("CG-001-01"), contactPhone: nil), photos: [],
            trackingHash: "0", at: TestService.midSeason)
        try await service.run { client in
            var headers: [Caller: HTTPFields] = [.anonymous: [:]]
            headers[.vendor] = try await client.signIn("zhangsan")
            headers[.officer] = try await client.signIn("cg.li")
            headers[.otherOfficer] = try await client.signIn("xg.sun")
            headers[.admin] = try await client.signIn("admin")
            for route in routes {
                let key = "\(route.method) \(route.path)"
                guard let allowed = Self.allowed[key] else {
                    Issue.record("\(key) is not in the access matrix")
                    continue
                }
                var uri = route.path
                for (parameter, value) in Self.parameters(reportId: photo.id) { uri = uri.replacingOccurrences(of: parameter, with: value) }
                if route.path.hasSuffix("/nearby") { uri += "?lat=36.06&lng=103.83" }
                // Signing out is tried last: it ends the session the other rows use.
                for caller in Caller.allCases where !(caller != .anonymous && key == "POST /api/v1/auth/logout") {
                    var fields = headers[caller]!
                    let response: TestResponse
                    if route.method == .post {
                        fields[.contentType] = "application/json"
                        response = try await client.execute(
                            uri: uri, method: .post, headers: fields, body: ByteBuffer(string: Self.bodies[key] ?? "{}"))
                    } else {
                        response = try await client.execute(uri: uri, method: .get, headers: fields)
                    }
                    let code = response.status.code
                    if allowed.contains(caller) {
                        #expect(code != 401 && code != 403 && code < 500, "\(key) as \(caller.rawValue): \(code) \(response.text.prefix(160))")
                    } else {
                        let expected = caller == .anonymous ? 401 : 403
                        #expect(code == expected, "\(key) as \(caller.rawValue): \(code), expected \(expected)")
                    }
                }
            }
            for caller in Caller.allCases where caller != .anonymous {
                let out = try await client.execute(uri: "/api/v1/auth/logout", method: .post, headers: headers[caller]!)
                #expect(out.status == .noContent, "logout as \(caller.rawValue)")
            }
        }
    }
}
