import Crypto
import Foundation

enum Digest {
    /// SHA-256 of `data` as lower-case hex, cut to `bytes` bytes (ETags need no more than 16).
    static func sha256Hex(_ data: some DataProtocol, bytes: Int = 32) -> String {
        SHA256.hash(data: data).prefix(bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// A strong ETag for a body: the first 128 bits of its SHA-256, quoted.
    static func etag(_ data: some DataProtocol) -> String {
        "\"" + sha256Hex(data, bytes: 16) + "\""
    }
}
