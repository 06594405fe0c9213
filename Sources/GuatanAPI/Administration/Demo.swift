import Foundation
import GuatanCore
import GuatanStoreInterface

/// The demo population for `guatan serve --demo`: farmers from Lanzhou's own counties with
/// the fruit they are known for, made deterministically so every demo looks the same. The
/// names, phones and ID-card numbers are invented (the ID numbers carry valid check digits
/// so they pass the same rules as real ones).
public enum DemoPopulation {
    /// Every demo account signs in with this password (printed at start; demo data only).
    public static let password = "guatan-demo-2026"

    /// Villages and towns of origin (自产自销), with their administrative division code and
    /// what grows there.
    static let origins: [(place: String, adcode: String, produce: [String])] = [
        ("皋兰县什川镇", "620122", ["软儿梨", "冬果梨"]),
        ("榆中县青城镇", "620123", ["白兰瓜", "西瓜"]),
        ("榆中县金崖镇", "620123", ["黄河蜜瓜", "白兰瓜"]),
        ("榆中县夏官营镇", "620123", ["西瓜", "籽瓜"]),
        ("永登县苦水镇", "620121", ["葡萄", "杏"]),
        ("红古区花庄镇", "620111", ["西瓜", "黄河蜜瓜"]),
        ("安宁区沙井驿街道", "620105", ["白凤桃"]),
        ("七里河区魏岭乡", "620103", ["苹果", "杏"]),
        ("西固区河口镇", "620104", ["枣", "葡萄"]),
        ("城关区青白石街道", "620102", ["白凤桃", "葡萄"]),
    ]

    static let familyNames = Array("王李张刘陈杨赵黄周吴马魏何郭罗孙朱胡高林")
    static let givenNames = Array("建国秀英海军玉兰志强桂芳明德春花永福淑珍文华金山红梅")

    /// `count` demo vendors with unique logins, ID cards and plates.
    public static func vendors(count: Int, key: PersonalDataKey) -> [DemoVendor] {
        (0..<count).compactMap { index in
            let origin = origins[index % origins.count]
            let family = familyNames[index % familyNames.count]
            let given1 = givenNames[(index / familyNames.count) % givenNames.count]
            let given2 = givenNames[(index * 7 + 3) % givenNames.count]
            let name = index % 3 == 0 ? "\(family)\(given1)" : "\(family)\(given1)\(given2)"
            // Birth date and sequence code together stay unique for ten million vendors (generate-season --scale 100).
            let birth =
                "\(1955 + (index / 336_000) % 30)" + zeroPadded(1 + (index / 28_000) % 12, width: 2)
                + zeroPadded(1 + (index / 1_000) % 28, width: 2)
            let first17 = origin.adcode + birth + zeroPadded(index % 1000, width: 3)
            guard let check = VendorRules.residentIdCheckCharacter(first17) else { return nil }
            let letters = Array("BCDEFGHJKLMNPQRSTUVWXYZ")
            let plate = "甘A" + String(letters[(index / 10_000) % letters.count]) + zeroPadded(index % 10_000, width: 4)
            let draft = VendorDraft(
                name: name, phone: "13893" + zeroPadded(index, width: 6), idCardNo: first17 + String(check), origin: origin.place,
                vehiclePlate: plate, produce: origin.produce)
            guard let clean = try? VendorRules.validate(draft) else { return nil }
            return DemoVendor(draft: clean, idCardHash: key.idCardHash(clean.idCardNo), username: "demo.v" + zeroPadded(index + 1, width: 4))
        }
    }
}
