/// Photos people send (a village committee's certificate, reports' and inspections'
/// evidence): JPEG, PNG or WebP only, at most 5 MB, and stripped of metadata before they are
/// kept, so no camera serial, capture time or GPS position of a farmer's home leaks.
public enum PhotoType: String, Sendable, Hashable, Codable {
    case jpeg = "image/jpeg"
    case png = "image/png"
    case webp = "image/webp"

    public var fileExtension: String {
        switch self {
        case .jpeg: "jpg"
        case .png: "png"
        case .webp: "webp"
        }
    }
}

public enum PhotoError: Error, Sendable, Equatable {
    /// Not a JPEG or PNG image (415).
    case unsupportedType
    /// Larger than `PhotoRules.maxBytes` (413).
    case tooLarge
    /// Claims to be JPEG or PNG but its structure is broken (400).
    case malformed(String)
}

public enum PhotoRules {
    public static let maxBytes = 5 * 1024 * 1024

    /// The type by the file's own signature, never by its name or the client's word.
    public static func type(of bytes: [UInt8]) -> PhotoType? {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) { return .webp }
        return nil
    }

    /// Checks a photo and returns it without metadata, with its type.
    public static func clean(_ bytes: [UInt8]) throws(PhotoError) -> (bytes: [UInt8], type: PhotoType) {
        guard bytes.count <= maxBytes else { throw .tooLarge }
        switch type(of: bytes) {
        case .jpeg: return (try stripJPEG(bytes), .jpeg)
        case .png: return (try stripPNG(bytes), .png)
        case .webp: return (try stripWebP(bytes), .webp)
        case nil: throw .unsupportedType
        }
    }

    /// JPEG segments kept: APP0 (JFIF), APP2 (ICC colour profile) and APP14 (Adobe colour
    /// transform), which decoders need to show the colours right. Every other APPn — EXIF
    /// with GPS and camera data (APP1), XMP, IPTC (APP13) — and comments are dropped.
    static func stripJPEG(_ bytes: [UInt8]) throws(PhotoError) -> [UInt8] {
        var out: [UInt8] = [0xFF, 0xD8]
        var index = 2
        while index < bytes.count {
            guard bytes[index] == 0xFF else { throw .malformed("JPEG segment expected at byte \(index)") }
            // Fill bytes (0xFF padding) may precede a marker.
            var markerIndex = index + 1
            while markerIndex < bytes.count, bytes[markerIndex] == 0xFF { markerIndex += 1 }
            guard markerIndex < bytes.count else { throw .malformed("JPEG ends inside a marker") }
            let marker = bytes[markerIndex]
            // Markers without a length.
            if marker == 0xD9 || (0xD0...0xD7).contains(marker) || marker == 0x01 {
                out += [0xFF, marker]
                index = markerIndex + 1
                if marker == 0xD9 { return out }
                continue
            }
            guard markerIndex + 2 < bytes.count else { throw .malformed("JPEG ends inside a segment header") }
            let length = Int(bytes[markerIndex + 1]) << 8 | Int(bytes[markerIndex + 2])
            let end = markerIndex + 1 + length
            guard length >= 2, end <= bytes.count else { throw .malformed("JPEG segment runs past the end") }
            let isApp = (0xE0...0xEF).contains(marker)
            let keep = !isApp && marker != 0xFE || [0xE0, 0xE2, 0xEE].contains(marker)
            if keep {
                out += [0xFF, marker]
                out += bytes[(markerIndex + 1)..<end]
            }
            index = end
            if marker == 0xDA {
                // Start of scan: the entropy-coded data runs to EOI; it carries no metadata.
                out += bytes[index...]
                return out
            }
        }
        throw .malformed("JPEG has no image data")
    }

    /// WebP chunks dropped: EXIF and XMP; the extended header's flags for them are cleared
    /// and the RIFF size recomputed.
    static func stripWebP(_ bytes: [UInt8]) throws(PhotoError) -> [UInt8] {
        func le32(_ at: Int) -> Int {
            Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        var body: [UInt8] = Array("WEBP".utf8)
        var index = 12
        var sawImage = false
        while index < bytes.count {
            guard index + 8 <= bytes.count else { throw .malformed("WebP ends inside a chunk header") }
            let name = String(decoding: bytes[index..<(index + 4)], as: UTF8.self)
            let length = le32(index + 4)
            let end = index + 8 + length + (length % 2)
            guard end <= bytes.count || (end == bytes.count + 1 && length % 2 == 1) else {
                throw .malformed("WebP chunk \(name) runs past the end")
            }
            var chunk = Array(bytes[index..<min(end, bytes.count)])
            if name == "VP8X", chunk.count > 8 {
                chunk[8] &= ~UInt8(0x08 | 0x04)
            }
            if ["VP8 ", "VP8L", "ANIM"].contains(name) { sawImage = true }
            if name != "EXIF", name != "XMP " { body += chunk }
            index = end
        }
        guard sawImage else { throw .malformed("WebP has no image data") }
        let size = body.count
        return Array("RIFF".utf8) + [UInt8(size & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 24 & 0xFF)] + body
    }

    /// PNG chunks dropped: text (tEXt, zTXt, iTXt), EXIF (eXIf) and the modification time (tIME).
    static func stripPNG(_ bytes: [UInt8]) throws(PhotoError) -> [UInt8] {
        let dropped: Set<String> = ["tEXt", "zTXt", "iTXt", "eXIf", "tIME"]
        var out = Array(bytes[0..<8])
        var index = 8
        while index < bytes.count {
            guard index + 8 <= bytes.count else { throw .malformed("PNG ends inside a chunk header") }
            let length = Int(bytes[index]) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            let name = String(decoding: bytes[(index + 4)..<(index + 8)], as: UTF8.self)
            let end = index + 12 + length
            guard length >= 0, end <= bytes.count else { throw .malformed("PNG chunk \(name) runs past the end") }
            if !dropped.contains(name) {
                out += bytes[index..<end]
            }
            index = end
            if name == "IEND" { return out }
        }
        throw .malformed("PNG has no IEND chunk")
    }
}
