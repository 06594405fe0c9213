import Foundation
import GuatanCore
import GuatanSQLite
import GuatanStoreInterface
import Hummingbird
import HummingbirdTesting
import Testing

/// The scenes the route suites start from, and the requests several of them make: in one
/// place, so that no suite depends on another's fixtures.
enum Scene {
    /// A service with an admin, an officer of CG and of XG, and two vendors.
    static func people(now: Date = TestService.midSeason, clock: ServiceClock? = nil) async throws -> TestService {
        let service = try await TestService(now: now, clock: clock)
        try await service.addAccount("admin", role: .admin)
        try await service.addAccount("cg.li", role: .officer, district: "CG")
        try await service.addAccount("xg.sun", role: .officer, district: "XG")
        let hash = try await TestService.passwords.hash(TestService.password)
        _ = try await service.database.workflows.accounts.registerVendor(
            VendorDraft(
                name: "张三丰", phone: "13912345678", idCardNo: "11010519491231002X", origin: "榆中县青城镇", vehiclePlate: "甘A12345", produce: ["白兰瓜"]),
            idCardHash: "card-1", username: "zhangsan", passwordHash: hash, actor: "test", at: now)
        _ = try await service.database.workflows.accounts.registerVendor(
            VendorDraft(
                name: "李四", phone: "13800001111", idCardNo: "620102198006151230", origin: "安宁区沙井驿", vehiclePlate: "甘AD1234", produce: ["白凤桃"]),
            idCardHash: "card-2", username: "lisi", passwordHash: hash, actor: "test", at: now)
        return service
    }

    /// The people, with 张三丰's permit for CG-001-01 issued.
    static func permitIssued(now: Date = TestService.midSeason, issue: Bool = true, clock: ServiceClock? = nil) async throws -> TestService {
        let service = try await Self.people(now: now, clock: clock)
        if issue {
            _ = try await service.database.workflows.permits.create(
                vendorId: "V000001", slotId: "CG-001-01", season: 2026, produce: [], state: .issued, by: .testAdmin, at: now)
        }
        return service
    }

    static func inspect(
        _ client: some TestClientProtocol, _ who: HTTPFields, slot: String = "CG-001-01", result: String, violations: [String] = [],
        extra: String = ""
    ) async throws -> TestResponse {
        let codes = violations.map { "\"\($0)\"" }.joined(separator: ", ")
        return try await client.post(
            "/api/v1/inspections", json: #"{"slot_id": "\#(slot)", "result": "\#(result)", "violations": [\#(codes)], "note": "现场核查"\#(extra)}"#,
            headers: who)
    }

    static func checkIn(_ client: some TestClientProtocol, _ vendor: HTTPFields) async throws -> TestResponse {
        let stall = try await client.get("/api/v1/stalls/CG-001-01").json()
        let p = try #require(stall["position"] as? [String: Any])
        return try await client.post("/api/v1/checkins", json: #"{"lat": \#(p["lat"]!), "lng": \#(p["lng"]!), "accuracy_m": 10}"#, headers: vendor)
    }

    static func submit(_ client: some TestClientProtocol, _ json: String) async throws -> [String: Any] {
        let response = try await client.post("/api/v1/reports", json: json)
        #expect(response.status == .created, "\(response.text)")
        return try response.json()
    }

    static func act(
        _ client: some TestClientProtocol, _ id: String, _ action: String, note: String? = nil, _ who: HTTPFields
    ) async throws -> TestResponse {
        let noteField = note.map { #", "public_note": "\#($0)""# } ?? ""
        return try await client.post(
            "/api/v1/reports/\(id)/transitions", json: #"{"action": "\#(action)"\#(noteField), "internal_note": "巡查组王队"}"#, headers: who)
    }

    /// A tiny JPEG with an EXIF segment carrying a GPS position and a camera serial.
    static let photo: [UInt8] = {
        func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
            [0xFF, marker, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
        }
        return [0xFF, 0xD8] + segment(0xE0, Array("JFIF\0\u{1}\u{1}".utf8)) + segment(0xE1, Array("Exif\0\0GPS 36.1N 103.7E serial 99".utf8))
            + segment(0xDB, [0, 1, 2]) + segment(0xC0, [8, 0, 1, 0, 1, 1, 1, 0x11, 0]) + segment(0xDA, [1, 2, 3]) + [0x11, 0x22, 0x33, 0xFF, 0xD9]
    }()

    static func applicationForm(
        slot: String? = "CG-002-01", site: String? = nil, produce: [String] = ["白兰瓜", "黄河蜜瓜"], kg: String? = "800",
        photo: [UInt8]? = Self.photo, filename: String = "证明.jpg"
    ) -> MultipartBody {
        var form = MultipartBody()
        form.field("season", "2026")
        if let slot { form.field("slot_id", slot) }
        if let site { form.field("site_id", site) }
        for kind in produce { form.field("produce", kind) }
        if let kg { form.field("expected_kg", kg) }
        if let photo { form.file("certificate", filename: filename, contentType: "image/jpeg", photo) }
        return form
    }

    /// The slot's position, as the stall page gives it.
    static func slotPosition(_ client: some TestClientProtocol, _ slotId: String = "CG-001-01") async throws -> Coordinate {
        let stall = try await client.get("/api/v1/stalls/\(slotId)").json()
        let position = try #require(stall["position"] as? [String: Any])
        return Coordinate(lat: position["lat"] as! Double, lng: position["lng"] as! Double)
    }
}
