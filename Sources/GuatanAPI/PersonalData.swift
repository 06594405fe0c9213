import Crypto
import Foundation

/// The secret key behind the keyed hash of ID-card numbers: with it a duplicate card is
/// found; without it the stored hashes cannot be tested against guessed numbers. It lives
/// in the data folder (created on first start, readable by the owner only), never in git.
public struct PersonalDataKey: Sendable {
    public static let fileName = "personal-data.key"
    /// The raw key: `SymmetricKey` is not `Sendable` in swift-crypto 3, so it is made per use.
    private let bytes: [UInt8]

    public init(bytes: some ContiguousBytes) {
        self.bytes = bytes.withUnsafeBytes { Array($0) }
    }

    /// Reads the key from `dataDirectory`, creating a random 256-bit one on first use.
    public static func loadOrCreate(in dataDirectory: URL) throws -> PersonalDataKey {
        let file = dataDirectory.appendingPathComponent(fileName)
        if let text = try? String(contentsOf: file, encoding: .utf8) {
            let hex = text.trimmingCharacters(in: .whitespacesAndNewlines)
            let bytes = stride(from: 0, to: hex.count - 1, by: 2).compactMap { offset -> UInt8? in
                let start = hex.index(hex.startIndex, offsetBy: offset)
                return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)
            }
            guard bytes.count == 32 else {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: file.path])
            }
            return PersonalDataKey(bytes: bytes)
        }
        let key = SymmetricKey(size: .bits256)
        let hex = key.withUnsafeBytes { Digest.hex($0) }
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        // Created with owner-only permissions before the secret is written into it.
        guard FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: file.path])
        }
        try Data((hex + "\n").utf8).write(to: file)
        return key.withUnsafeBytes { PersonalDataKey(bytes: Array($0)) }
    }

    /// HMAC-SHA256 of a normalised ID-card number, hex.
    public func idCardHash(_ idCardNo: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(idCardNo.uppercased().utf8), using: SymmetricKey(data: bytes))
        return Digest.hex(mac)
    }
}
