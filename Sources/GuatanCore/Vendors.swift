/// A farmer registered with the programme (自产自销: selling his own produce).
/// The ID-card number itself is never kept: only a keyed hash (to find duplicates) and
/// its last four characters (for a person to check against the card).
public struct Vendor: Sendable, Hashable {
    public var id: String
    public var name: String
    public var phone: String
    public var idCardLast4: String
    /// Village or town the produce comes from, e.g. 榆中县青城镇.
    public var origin: String
    public var vehiclePlate: String
    public var produce: [String]

    public init(id: String, name: String, phone: String, idCardLast4: String, origin: String, vehiclePlate: String, produce: [String]) {
        self.id = id
        self.name = name
        self.phone = phone
        self.idCardLast4 = idCardLast4
        self.origin = origin
        self.vehiclePlate = vehiclePlate
        self.produce = produce
    }

    /// Vendor IDs are `V` and six digits, from the record's sequence number.
    public static func id(sequence: Int64) -> String {
        "V" + zeroPadded(sequence, width: 6)
    }
}

/// A vendor as an administrator enters him, checked by `VendorRules.validate`.
public struct VendorDraft: Sendable, Hashable {
    public var name: String
    public var phone: String
    public var idCardNo: String
    public var origin: String
    public var vehiclePlate: String
    public var produce: [String]

    public init(name: String, phone: String, idCardNo: String, origin: String, vehiclePlate: String, produce: [String]) {
        self.name = name
        self.phone = phone
        self.idCardNo = idCardNo
        self.origin = origin
        self.vehiclePlate = vehiclePlate
        self.produce = produce
    }
}

public enum VendorRules {
    /// Checks and normalises a draft (trimmed, ID card and plate upper-cased, plate without separators).
    public static func validate(_ draft: VendorDraft) throws(ValidationError) -> VendorDraft {
        var clean = draft
        clean.name = draft.name.trimmingCharacters(in: .whitespaces)
        guard (1...50).contains(clean.name.count) else {
            throw ValidationError(field: "name", message: "name must have 1–50 characters")
        }
        clean.phone = draft.phone.filter { !$0.isWhitespace && $0 != "-" }
        guard isMobileNumber(clean.phone) else {
            throw ValidationError(field: "phone", message: "phone must be an 11-digit mainland mobile number, e.g. 13912345678")
        }
        clean.idCardNo = draft.idCardNo.trimmingCharacters(in: .whitespaces).uppercased()
        guard isResidentIdNumber(clean.idCardNo) else {
            throw ValidationError(field: "id_card_no", message: "id_card_no must be an 18-character resident ID number with a valid check digit")
        }
        clean.origin = draft.origin.trimmingCharacters(in: .whitespaces)
        guard (2...100).contains(clean.origin.count) else {
            throw ValidationError(field: "origin", message: "origin (village or town of the produce) must have 2–100 characters")
        }
        clean.vehiclePlate = draft.vehiclePlate.uppercased().filter { !$0.isWhitespace && $0 != "·" && $0 != "-" }
        guard isVehiclePlate(clean.vehiclePlate) else {
            throw ValidationError(field: "vehicle_plate", message: "vehicle_plate must be a mainland plate such as 甘A12345 or 甘AD12345")
        }
        clean.produce = draft.produce.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard clean.produce.count <= 10, clean.produce.allSatisfy({ $0.count <= 20 }) else {
            throw ValidationError(field: "produce", message: "produce lists at most 10 kinds of at most 20 characters each")
        }
        return clean
    }

    public static func isMobileNumber(_ text: String) -> Bool {
        let digits = Array(text)
        return digits.count == 11 && digits.allSatisfy({ $0.isASCII && $0.isNumber }) && digits[0] == "1" && "3456789".contains(digits[1])
    }

    /// GB 11643-1999: 17 digits and an ISO 7064 MOD 11-2 check character (0–9 or X).
    public static func isResidentIdNumber(_ text: String) -> Bool {
        let chars = Array(text)
        guard chars.count == 18, let check = residentIdCheckCharacter(String(chars[0..<17])) else { return false }
        return chars[17] == check
    }

    /// The check character that completes 17 digits into a resident ID number; nil unless 17 digits.
    public static func residentIdCheckCharacter(_ first17: String) -> Character? {
        let chars = Array(first17)
        guard chars.count == 17, chars.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(chars, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
        return Array("10X98765432")[sum % 11]
    }

    /// A province abbreviation, a letter, then five (ordinary) or six (new-energy) letters and digits.
    public static func isVehiclePlate(_ text: String) -> Bool {
        let provinces = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
        let chars = Array(text)
        guard chars.count == 7 || chars.count == 8, provinces.contains(chars[0]),
            chars[1].isASCII, chars[1].isLetter
        else { return false }
        return chars[2...].allSatisfy { $0.isASCII && ($0.isNumber || $0.isUppercase) }
    }
}

/// `7` as `000007`: the fixed-width sequence numbers of vendor and permit IDs.
public func zeroPadded(_ number: some BinaryInteger, width: Int) -> String {
    let digits = String(number)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
