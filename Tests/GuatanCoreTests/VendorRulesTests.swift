import GuatanCore
import Testing

@Suite("Vendor rules")
struct VendorRulesTests {
    static let good = VendorDraft(
        name: " 张三 ", phone: "139-1234-5678", idCardNo: "11010519491231002x", origin: "榆中县青城镇",
        vehiclePlate: "甘A·12345", produce: ["白兰瓜", " 西瓜 ", ""])

    @Test("a good draft is normalised")
    func normalise() throws {
        let clean = try VendorRules.validate(Self.good)
        #expect(clean.name == "张三")
        #expect(clean.phone == "13912345678")
        #expect(clean.idCardNo == "11010519491231002X")
        #expect(clean.vehiclePlate == "甘A12345")
        #expect(clean.produce == ["白兰瓜", "西瓜"])
    }

    @Test(
        "resident ID numbers need the GB 11643 check character",
        arguments: [
            ("11010519491231002X", true), ("110105194912310021", false), ("11010519491231002", false),
            ("1101051949123100XX", false), ("620102199001011234", false), ("62010219900101123X", false),
        ])
    func idNumbers(text: String, valid: Bool) {
        #expect(VendorRules.isResidentIdNumber(text) == valid)
    }

    @Test(
        "mobile numbers and plates",
        arguments: [
            ("13912345678", true), ("12912345678", false), ("1391234567", false), ("139123456789", false), ("1391234567a", false),
        ])
    func phones(text: String, valid: Bool) {
        #expect(VendorRules.isMobileNumber(text) == valid)
    }

    @Test(
        "vehicle plates",
        arguments: [
            ("甘A12345", true), ("甘AD12345", true), ("甘A1234", false), ("XA12345", false), ("甘112345", false), ("甘A12345678", false),
        ])
    func plates(text: String, valid: Bool) {
        #expect(VendorRules.isVehiclePlate(text) == valid)
    }

    @Test("each bad field is named")
    func badFields() {
        func field(_ change: (inout VendorDraft) -> Void) -> String? {
            var draft = Self.good
            change(&draft)
            do {
                _ = try VendorRules.validate(draft)
                return nil
            } catch {
                return error.field
            }
        }
        #expect(field { $0.name = "" } == "name")
        #expect(field { $0.phone = "110" } == "phone")
        #expect(field { $0.idCardNo = "123" } == "id_card_no")
        #expect(field { $0.origin = "" } == "origin")
        #expect(field { $0.vehiclePlate = "ABC" } == "vehicle_plate")
        #expect(field { $0.produce = Array(repeating: "瓜", count: 11) } == "produce")
        #expect(Vendor.id(sequence: 12) == "V000012")
    }
}
