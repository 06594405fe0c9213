import Crypto
import Foundation

enum Digest {
    /// SHA-256 of `data` as lower-case hex, cut to `bytes` bytes (ETags need no more than 16).
    static func sha256Hex(_ data: some DataProtocol, bytes: Int = 32) -> String {
        hex(SHA256.hash(data: data).prefix(bytes))
    }

    /// Lower-case hex of bytes (every request hashes its bearer token: String(format:) is slow on Linux).
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A Content-Security-Policy source for one inline block: `'sha256-<base64>'`.
    static func cspHash(_ text: String) -> String {
        "'sha256-" + Data(SHA256.hash(data: Data(text.utf8))).base64EncodedString() + "'"
    }

    /// A strong ETag for a body: the first 128 bits of its SHA-256, quoted.
    static func etag(_ data: some DataProtocol) -> String {
        "\"" + sha256Hex(data, bytes: 16) + "\""
    }
}
