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
    /// More than `PhotoRules.maxPixels` by its own header (413): a decompression bomb.
    case tooManyPixels(width: Int, height: Int)
    /// Claims to be JPEG or PNG but its structure is broken (400).
    case malformed(String)
}

public enum PhotoRules {
    public static let maxBytes = 5 * 1024 * 1024
    /// Width × height a photo may declare: a phone camera's 12–50 MP stays under it once
    /// resized by the page; a 20,000 × 20,000 "photo" of a few kilobytes does not.
    public static let maxPixels = 40_000_000

    static func checkPixels(width: Int, height: Int) throws(PhotoError) {
        guard width > 0, height > 0 else { throw .malformed("the image has no size") }
        guard width * height <= maxPixels else { throw .tooManyPixels(width: width, height: height) }
    }

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

    /// A JPEG rebuilt from the segments a decoder needs, in their order: the tables (DQT,
    /// DHT, DAC, DRI), the frame header (SOFn, whose size is checked against `maxPixels` before
    /// anything else), every scan with its entropy-coded data, and APP0 (JFIF), APP2 (ICC
    /// profile) and APP14 (Adobe colour transform) for the colours. Everything else goes,
    /// wherever it stands: EXIF, XMP, IPTC and other APPn segments and comments, also between
    /// the scans of a progressive JPEG; and everything after EOI (a multi-picture file's second
    /// image with its own EXIF, a motion photo's video, any trailer).
    static func stripJPEG(_ bytes: [UInt8]) throws(PhotoError) -> [UInt8] {
        var out: [UInt8] = [0xFF, 0xD8]
        out.reserveCapacity(bytes.count)
        var index = 2
        var sawFrame = false
        var sawScan = false
        while index < bytes.count {
            guard bytes[index] == 0xFF else { throw .malformed("JPEG segment expected at byte \(index)") }
            // Fill bytes (0xFF padding) may precede a marker.
            var markerIndex = index + 1
            while markerIndex < bytes.count, bytes[markerIndex] == 0xFF { markerIndex += 1 }
            guard markerIndex < bytes.count else { throw .malformed("JPEG ends inside a marker") }
            let marker = bytes[markerIndex]
            if marker == 0xD9 {
                guard sawFrame, sawScan else { throw .malformed("JPEG has no image data") }
                return out + [0xFF, 0xD9]
            }
            guard marker != 0xD8, marker != 0x00, !(0xD0...0xD7).contains(marker), marker != 0x01 else {
                throw .malformed("unexpected JPEG marker \(marker) at byte \(markerIndex)")
            }
            guard markerIndex + 2 < bytes.count else { throw .malformed("JPEG ends inside a segment header") }
            let length = Int(bytes[markerIndex + 1]) << 8 | Int(bytes[markerIndex + 2])
            let end = markerIndex + 1 + length
            guard length >= 2, end <= bytes.count else { throw .malformed("JPEG segment runs past the end") }
            let isFrame = (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker)
            if isFrame {
                guard length >= 8 else { throw .malformed("JPEG frame header too short") }
                let height = Int(bytes[markerIndex + 4]) << 8 | Int(bytes[markerIndex + 5])
                let width = Int(bytes[markerIndex + 6]) << 8 | Int(bytes[markerIndex + 7])
                try checkPixels(width: width, height: height)
                sawFrame = true
            }
            let tables: Set<UInt8> = [0xDB, 0xC4, 0xCC, 0xDD, 0xDC, 0xDA, 0xE0, 0xE2, 0xEE]
            if isFrame || tables.contains(marker) {
                out += [0xFF, marker]
                out += bytes[(markerIndex + 1)..<end]
            }
            index = end
            if marker == 0xDA {
                guard sawFrame else { throw .malformed("JPEG scan before its frame header") }
                sawScan = true
                // Entropy-coded data: up to the next marker that is neither a stuffed 0xFF00
                // nor a restart marker (RST0–7).
                var scan = index
                while scan < bytes.count {
                    if bytes[scan] == 0xFF, scan + 1 < bytes.count {
                        let next = bytes[scan + 1]
                        if next == 0x00 || (0xD0...0xD7).contains(next) {
                            scan += 2
                            continue
                        }
                        if next == 0xFF {
                            scan += 1
                            continue
                        }
                        break
                    }
                    scan += 1
                }
                guard scan < bytes.count else { throw .malformed("JPEG ends inside its image data (no EOI)") }
                out += bytes[index..<scan]
                index = scan
            }
        }
        throw .malformed("JPEG has no end of image")
    }

    /// WebP chunks kept by an allow-list: the image (VP8, VP8L, VP8X, ALPH, ANIM, ANMF) and
    /// its colour profile (ICCP); EXIF, XMP and every unknown chunk go. The extended header's
    /// flags for EXIF and XMP are cleared and the RIFF size recomputed; the canvas size is
    /// checked against `maxPixels`.
    static func stripWebP(_ bytes: [UInt8]) throws(PhotoError) -> [UInt8] {
        func le(_ at: Int, _ count: Int) -> Int {
            (0..<count).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) }
        }
        let kept: Set<String> = ["VP8 ", "VP8L", "VP8X", "ALPH", "ANIM", "ANMF", "ICCP"]
        var body: [UInt8] = Array("WEBP".utf8)
        var index = 12
        var size: (width: Int, height: Int)?
        while index < bytes.count {
            guard index + 8 <= bytes.count else { throw .malformed("WebP ends inside a chunk header") }
            let name = String(decoding: bytes[index..<(index + 4)], as: UTF8.self)
            let length = le(index + 4, 4)
            let data = index + 8
            let end = data + length + (length % 2)
            guard end <= bytes.count || (end == bytes.count + 1 && length % 2 == 1) else {
                throw .malformed("WebP chunk \(name) runs past the end")
            }
            var chunk = Array(bytes[index..<min(end, bytes.count)])
            switch name {
            case "VP8X":
                guard length >= 10 else { throw .malformed("WebP extended header too short") }
                chunk[8] &= ~UInt8(0x08 | 0x04)
                size = (le(data + 4, 3) + 1, le(data + 7, 3) + 1)
            case "VP8L" where size == nil:
                guard length >= 5, bytes[data] == 0x2F else { throw .malformed("WebP lossless header is broken") }
                let bits = le(data + 1, 4)
                size = ((bits & 0x3FFF) + 1, (bits >> 14 & 0x3FFF) + 1)
            case "VP8 " where size == nil:
                guard length >= 10, bytes[data + 3] == 0x9D, bytes[data + 4] == 0x01, bytes[data + 5] == 0x2A else {
                    throw .malformed("WebP lossy header is broken")
                }
                size = (le(data + 6, 2) & 0x3FFF, le(data + 8, 2) & 0x3FFF)
            default:
                break
            }
            if kept.contains(name) { body += chunk }
            index = end
        }
        guard let size else { throw .malformed("WebP has no image data") }
        try checkPixels(width: size.width, height: size.height)
        let total = body.count
        return Array("RIFF".utf8) + [UInt8(total & 0xFF), UInt8(total >> 8 & 0xFF), UInt8(total >> 16 & 0xFF), UInt8(total >> 24 & 0xFF)] + body
    }

    /// PNG chunks kept by an allow-list: the image (IHDR, PLTE, IDAT, IEND), transparency and
    /// the colour information a viewer needs (tRNS, gAMA, cHRM, sRGB, iCCP, sBIT, cICP, pHYs).
    /// Text, EXIF (eXIf and its zxIf cousins), times and every unknown chunk (caBX, …) go. The
    /// size in IHDR, the first chunk, is checked against `maxPixels`.
    static func stripPNG(_ bytes: [UInt8]) throws(PhotoError) -> [UInt8] {
        let kept: Set<String> = ["IHDR", "PLTE", "IDAT", "IEND", "tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "sBIT", "cICP", "pHYs"]
        var out = Array(bytes[0..<8])
        var index = 8
        var first = true
        while index < bytes.count {
            guard index + 8 <= bytes.count else { throw .malformed("PNG ends inside a chunk header") }
            let length = Int(bytes[index]) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            let name = String(decoding: bytes[(index + 4)..<(index + 8)], as: UTF8.self)
            let end = index + 12 + length
            guard length >= 0, end <= bytes.count else { throw .malformed("PNG chunk \(name) runs past the end") }
            if first {
                guard name == "IHDR", length >= 8 else { throw .malformed("PNG does not start with its header") }
                let width = Int(bytes[index + 8]) << 24 | Int(bytes[index + 9]) << 16 | Int(bytes[index + 10]) << 8 | Int(bytes[index + 11])
                let height = Int(bytes[index + 12]) << 24 | Int(bytes[index + 13]) << 16 | Int(bytes[index + 14]) << 8 | Int(bytes[index + 15])
                try checkPixels(width: width, height: height)
                first = false
            }
            if kept.contains(name) {
                out += bytes[index..<end]
            }
            index = end
            if name == "IEND" { return out }
        }
        throw .malformed("PNG has no IEND chunk")
    }
}
