import Foundation
import GuatanCore
import GuatanSQLite
import GuatanStoreInterface
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Vendor registration")
struct VendorTests {
    static let farmer = #"""
        {"name": "张三", "phone": "13912345678", "id_card_no": "11010519491231002X", "origin": "榆中县青城镇",
         "vehicle_plate": "甘A12345", "produce": ["白兰瓜", "西瓜"], "username": "zhangsan", "password": "melons from qingcheng"}
        """#

    @Test("an administrator registers a vendor with his login; the vendor signs in and sees his own record")
    func register() async throws {
        let service = try await TestService()
        try await service.addAccount("admin", role: .admin)
        let folder = service.folder.url
        let database = service.database
        try await service.run { client in
            let admin = try await client.signIn("admin")
            let created = try await client.post("/api/v1/admin/vendors", json: Self.farmer, headers: admin)
            #expect(created.status == .created, "\(created.text)")
            let body = try created.json()
            #expect(body["vendor_id"] as? String == "V000001")
            #expect(body["username"] as? String == "zhangsan")
            let vendor = try #require(body["vendor"] as? [String: Any])
            #expect(vendor["id_card_last4"] as? String == "002X")
            #expect(vendor["produce"] as? [String] == ["白兰瓜", "西瓜"])
            #expect(!created.text.contains("11010519491231002X"), "the full ID number is never sent back")
            #expect(!created.text.contains("hash"))

            let farmer = try await client.signIn("zhangsan", password: "melons from qingcheng")
            let me = try await client.get("/api/v1/me", headers: farmer).json()
            #expect(me["role"] as? String == "vendor")
            #expect(me["vendor_id"] as? String == "V000001")
            #expect((me["vendor"] as? [String: Any])?["name"] as? String == "张三")

            // The ID number is nowhere on disk: only its keyed hash and last four.
            for suffix in ["", "-wal"] {
                let bytes = (try? Data(contentsOf: folder.appendingPathComponent(GuatanDatabase.fileName + suffix))) ?? Data()
                #expect(bytes.range(of: Data("11010519491231002X".utf8)) == nil)
            }
            let trail = try await database.auditTrail(entity: "vendor", id: "V000001")
            #expect(trail.map(\.action) == ["vendor.create"])
            #expect(trail.first?.after?.contains("1101051949") == false)
        }
    }

    @Test("the same ID card cannot be registered twice, whatever its case; a taken username is a 409 too")
    func duplicates() async throws {
        let service = try await TestService()
        try await service.addAccount("admin", role: .admin)
        try await service.run { client in
            let admin = try await client.signIn("admin")
            #expect(try await client.post("/api/v1/admin/vendors", json: Self.farmer, headers: admin).status == .created)
            let sameCard = Self.farmer.replacingOccurrences(of: "002X", with: "002x").replacingOccurrences(of: "zhangsan", with: "zhang3")
            let response = try await client.post("/api/v1/admin/vendors", json: sameCard, headers: admin)
            try response.expectError(.conflict, code: "CONFLICT")
            #expect(response.text.contains("V000001"))
            // Another person's card, but the username is taken.
            let sameName = Self.farmer.replacingOccurrences(of: "11010519491231002X", with: "620102198006151230")
            try await client.post("/api/v1/admin/vendors", json: sameName, headers: admin).expectError(.conflict, code: "CONFLICT")
            let secondFarmer = sameName.replacingOccurrences(of: "zhangsan", with: "lisi")
            let second = try await client.post("/api/v1/admin/vendors", json: secondFarmer, headers: admin)
            #expect(second.status == .created)
            #expect(try second.json()["vendor_id"] as? String == "V000002")
        }
    }

    @Test("bad vendor fields are 400s naming the field; only admins register vendors")
    func refusals() async throws {
        let service = try await TestService()
        try await service.addAccount("admin", role: .admin)
        try await service.addAccount("cg.li", role: .officer, district: "CG")
        try await service.run { client in
            let admin = try await client.signIn("admin")
            let cases: [(String, String, String)] = [
                ("13912345678", "1391234", "phone"),
                ("11010519491231002X", "110105194912310021", "id_card_no"),
                ("甘A12345", "ABC", "vehicle_plate"),
                ("\"zhangsan\"", "\"Z S\"", "username"),
                ("melons from qingcheng", "short", "password"),
            ]
            for (from, to, field) in cases {
                let json = Self.farmer.replacingOccurrences(of: from, with: to)
                try await client.post("/api/v1/admin/vendors", json: json, headers: admin).expectError(
                    .badRequest, code: "VALIDATION_FAILED", field: field)
            }
            let missing = #"{"name": "张三", "phone": "13912345678"}"#
            try await client.post("/api/v1/admin/vendors", json: missing, headers: admin).expectError(.badRequest, code: "VALIDATION_FAILED")
            try await client.post("/api/v1/admin/vendors", json: Self.farmer).expectError(.unauthorized, code: "UNAUTHENTICATED")
            let officer = try await client.signIn("cg.li")
            try await client.post("/api/v1/admin/vendors", json: Self.farmer, headers: officer).expectError(.forbidden, code: "FORBIDDEN")
        }
    }
}
