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

    /// Reads the key from `dataDirectory`, creating a random 256-bit one on first use only:
    /// a key file that is there but cannot be read or is not a key stops start-up with
    /// `PersonalDataKeyError`. Never a new key then: the ID-card hashes of every vendor
    /// registered before would no longer match, and duplicates would go unseen.
    public static func loadOrCreate(in dataDirectory: URL) throws -> PersonalDataKey {
        let file = dataDirectory.appendingPathComponent(fileName)
        var status = stat()
        if lstat(file.path, &status) == 0 {
            let text: String
            do {
                text = try String(contentsOf: file, encoding: .utf8)
            } catch {
                throw PersonalDataKeyError(
                    file: file.path, problem: "cannot be read (\(String(cString: strerror(errno))); check its owner and permissions)")
            }
            let hex = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else {
                throw PersonalDataKeyError(file: file.path, problem: "is not a key (64 hexadecimal digits expected); restore it from the backup")
            }
            let bytes = stride(from: 0, to: hex.count - 1, by: 2).compactMap { offset -> UInt8? in
                let start = hex.index(hex.startIndex, offsetBy: offset)
                return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)
            }
            return PersonalDataKey(bytes: bytes)
        }
        let key = SymmetricKey(size: .bits256)
        let hex = key.withUnsafeBytes { Digest.hex($0) }
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        // Written whole and synced under a name of its own (owner-only from its creation), then
        // linked into place, which never writes over a key: several instances starting at once
        // on one shared folder end up with the one key the first of them linked.
        let staged = dataDirectory.appendingPathComponent(".\(fileName).\(UUID().uuidString)")
        let descriptor = open(staged.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw PersonalDataKeyError(file: file.path, problem: "cannot be created (\(String(cString: strerror(errno))))")
        }
        defer { unlink(staged.path) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try handle.write(contentsOf: Data((hex + "\n").utf8))
        try handle.synchronize()
        guard link(staged.path, file.path) == 0 else {
            if errno == EEXIST { return try loadOrCreate(in: dataDirectory) }
            throw PersonalDataKeyError(file: file.path, problem: "cannot be created (\(String(cString: strerror(errno))))")
        }
        return key.withUnsafeBytes { PersonalDataKey(bytes: Array($0)) }
    }

    /// HMAC-SHA256 of a normalised ID-card number, hex.
    public func idCardHash(_ idCardNo: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(idCardNo.uppercased().utf8), using: SymmetricKey(data: bytes))
        return Digest.hex(mac)
    }
}

/// The personal-data key is there but unusable: the service does not start.
public struct PersonalDataKeyError: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let problem: String
    public var description: String { "the personal-data key \(file) \(problem)" }
}
