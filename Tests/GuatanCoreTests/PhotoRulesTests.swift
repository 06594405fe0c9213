import GuatanCore
import Testing

@Suite("Photos: type by signature, metadata stripped")
struct PhotoRulesTests {
    static func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let length = payload.count + 2
        return [0xFF, marker, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
    }

    static let gps = Array("Exif\0\0GPS 36.0611N 103.8343E Canon EOS serial 123456".utf8)
    static let scan: [UInt8] = [0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD0, 0x78]

    /// A frame header: 8 bits, 2 × 3 pixels, one component.
    static let sof = segment(0xC0, [8, 0, 2, 0, 3, 1, 1, 0x11, 0])

    static var jpeg: [UInt8] {
        [0xFF, 0xD8] + segment(0xE0, Array("JFIF\0\u{1}\u{1}".utf8)) + segment(0xE1, gps) + segment(0xFE, Array("taken at home".utf8))
            + segment(0xE2, Array("ICC_PROFILE".utf8)) + segment(0xDB, [0, 1, 2, 3]) + sof + segment(0xDA, [1, 2, 3]) + scan + [0xFF, 0xD9]
    }

    static func chunk(_ name: String, _ data: [UInt8]) -> [UInt8] {
        let n = data.count
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + Array(name.utf8) + data + [0, 0, 0, 0]
    }

    static var png: [UInt8] {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", [0, 0, 0, 4, 0, 0, 0, 3, 8, 2, 0, 0, 0])
            + chunk("tEXt", Array("Author\0Zhang San 13912345678".utf8)) + chunk("eXIf", gps) + chunk("IDAT", [9, 9, 9]) + chunk("IEND", [])
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }

    @Test("a JPEG loses its EXIF (GPS, camera) and comments, keeps JFIF, the ICC profile and every image byte")
    func jpegStripped() throws {
        let (clean, type) = try PhotoRules.clean(Self.jpeg)
        #expect(type == .jpeg)
        #expect(!Self.contains(clean, Array("GPS".utf8)))
        #expect(!Self.contains(clean, Array("taken at home".utf8)))
        #expect(Self.contains(clean, Array("JFIF".utf8)))
        #expect(Self.contains(clean, Array("ICC_PROFILE".utf8)))
        #expect(Self.contains(clean, Self.scan + [0xFF, 0xD9]))
        #expect(clean.count == Self.jpeg.count - Self.segment(0xE1, Self.gps).count - Self.segment(0xFE, Array("taken at home".utf8)).count)
    }

    @Test("a PNG loses its text, EXIF and time chunks, keeps the image chunks")
    func pngStripped() throws {
        let (clean, type) = try PhotoRules.clean(Self.png)
        #expect(type == .png)
        #expect(!Self.contains(clean, Array("13912345678".utf8)))
        #expect(!Self.contains(clean, Array("GPS".utf8)))
        #expect(Self.contains(clean, Array("IDAT".utf8)) && Self.contains(clean, Array("IEND".utf8)))
    }

    static func riff(_ name: String, _ data: [UInt8]) -> [UInt8] {
        let n = data.count
        return Array(name.utf8) + [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), 0, 0] + data + (n % 2 == 1 ? [0] : [])
    }

    @Test("a WebP loses its EXIF and XMP chunks and their flags; the RIFF size follows")
    func webpStripped() throws {
        let vp8x = [UInt8(0x08 | 0x04 | 0x10), 0, 0, 0, 9, 0, 0, 9, 0, 0]
        let chunks =
            Self.riff("VP8X", vp8x) + Self.riff("VP8 ", [1, 2, 3, 4, 5]) + Self.riff("EXIF", Self.gps)
            + Self.riff("XMP ", Array("<x:xmpmeta>GPS</x:xmpmeta>".utf8))
        let size = chunks.count + 4
        let webp = Array("RIFF".utf8) + [UInt8(size & 0xFF), UInt8(size >> 8), 0, 0] + Array("WEBP".utf8) + chunks
        let (clean, type) = try PhotoRules.clean(webp)
        #expect(type == .webp)
        #expect(!Self.contains(clean, Array("GPS".utf8)))
        #expect(Self.contains(clean, [1, 2, 3, 4, 5]))
        #expect(clean[20] == 0x10, "only the alpha flag is left")
        let declared = Int(clean[4]) | Int(clean[5]) << 8 | Int(clean[6]) << 16 | Int(clean[7]) << 24
        #expect(declared == clean.count - 8)
    }

    @Test("anything else is refused: other types, oversize, broken structure")
    func refusals() {
        #expect(throws: PhotoError.unsupportedType) { try PhotoRules.clean(Array("GIF89a....".utf8)) }
        #expect(throws: PhotoError.unsupportedType) { try PhotoRules.clean(Array("%PDF-1.7".utf8)) }
        #expect(throws: PhotoError.tooLarge) { try PhotoRules.clean([0xFF, 0xD8, 0xFF] + Array(repeating: 0, count: PhotoRules.maxBytes)) }
        #expect(throws: PhotoError.self) { try PhotoRules.clean(Array(Self.jpeg.prefix(20))) }
        #expect(throws: PhotoError.self) { try PhotoRules.clean(Array(Self.png.prefix(30))) }
        #expect(throws: PhotoError.self) { try PhotoRules.clean([0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF]) }
        #expect(throws: PhotoError.self) { try PhotoRules.clean(Array("RIFF\u{4}\0\0\0WEBP".utf8)) }
    }

    @Test("a multi-picture JPEG keeps only its first picture; a trailer after EOI (a motion photo's video) goes")
    func afterEOI() throws {
        let secondary = [0xFF, 0xD8] + Self.segment(0xE1, Self.gps) + Self.sof + Self.segment(0xDA, [1]) + [0x44, 0xFF, 0xD9]
        let mpf = Self.jpeg + secondary
        let clean = try PhotoRules.clean(mpf).bytes
        #expect(!Self.contains(clean, Array("GPS".utf8)))
        #expect(Array(clean.suffix(2)) == [0xFF, 0xD9])
        let motion = Self.jpeg + Array("ftypmp42....MotionPhoto_Data GPS".utf8)
        #expect(!Self.contains(try PhotoRules.clean(motion).bytes, Array("MotionPhoto".utf8)))
    }

    @Test("APPn segments and comments between the scans of a progressive JPEG go; the scans stay")
    func betweenScans() throws {
        let progressive =
            [0xFF, 0xD8] + Self.segment(0xDB, [0, 1]) + Self.segment(0xC2, [8, 0, 2, 0, 3, 1, 1, 0x11, 0])
            + Self.segment(0xDA, [1]) + [0x51, 0x52] + Self.segment(0xE1, Self.gps) + Self.segment(0xFE, Array("comment".utf8))
            + Self.segment(0xC4, [0, 9]) + Self.segment(0xDA, [2]) + [0x61, 0xFF, 0x00, 0x62, 0xFF, 0xD1, 0x63] + [0xFF, 0xD9]
        let clean = try PhotoRules.clean(progressive).bytes
        #expect(!Self.contains(clean, Array("GPS".utf8)) && !Self.contains(clean, Array("comment".utf8)))
        #expect(Self.contains(clean, [0x51, 0x52]) && Self.contains(clean, [0x61, 0xFF, 0x00, 0x62, 0xFF, 0xD1, 0x63, 0xFF, 0xD9]))
        #expect(Self.contains(clean, [0xFF, 0xC4, 0, 4, 0, 9]))
    }

    @Test("unknown PNG chunks (caBX, zxIf, …) and WebP chunks go by the allow-list")
    func allowLists() throws {
        let png =
            [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Self.chunk("IHDR", [0, 0, 0, 4, 0, 0, 0, 3, 8, 2, 0, 0, 0])
            + Self.chunk("caBX", Array("c2pa manifest GPS".utf8)) + Self.chunk("zxIf", Self.gps) + Self.chunk("gAMA", [0, 0, 0xB1, 0x8F])
            + Self.chunk("IDAT", [9, 9]) + Self.chunk("IEND", [])
        let cleanPNG = try PhotoRules.clean(png).bytes
        #expect(!Self.contains(cleanPNG, Array("GPS".utf8)))
        #expect(Self.contains(cleanPNG, Array("gAMA".utf8)))
        let vp8 = [UInt8](repeating: 0, count: 3) + [0x9D, 0x01, 0x2A, 4, 0, 3, 0]
        let chunks = Self.riff("VP8 ", vp8) + Self.riff("zxIf", Self.gps) + Self.riff("C2PA", Array("GPS".utf8))
        let size = chunks.count + 4
        let webp = Array("RIFF".utf8) + [UInt8(size & 0xFF), UInt8(size >> 8), 0, 0] + Array("WEBP".utf8) + chunks
        let cleanWebP = try PhotoRules.clean(webp).bytes
        #expect(!Self.contains(cleanWebP, Array("GPS".utf8)))
        #expect(Self.contains(cleanWebP, vp8))
    }

    @Test("a decompression bomb is refused by its header before anything is kept: PNG, JPEG, WebP")
    func bombs() {
        let png =
            [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Self.chunk("IHDR", [0, 0, 0x4E, 0x20, 0, 0, 0x4E, 0x20, 8, 2, 0, 0, 0])
            + Self.chunk("IDAT", [9]) + Self.chunk("IEND", [])
        #expect(throws: PhotoError.tooManyPixels(width: 20_000, height: 20_000)) { try PhotoRules.clean(png) }
        let jpeg = [0xFF, 0xD8] + Self.segment(0xC0, [8, 0x4E, 0x20, 0x4E, 0x20, 1, 1, 0x11, 0]) + Self.segment(0xDA, [1]) + [1, 0xFF, 0xD9]
        #expect(throws: PhotoError.tooManyPixels(width: 20_000, height: 20_000)) { try PhotoRules.clean(jpeg) }
        let vp8x = [UInt8(0), 0, 0, 0, 0x1F, 0x4E, 0, 0x1F, 0x4E, 0]
        let chunks = Self.riff("VP8X", vp8x) + Self.riff("VP8L", [0x2F, 0, 0, 0, 0])
        let size = chunks.count + 4
        let webp = Array("RIFF".utf8) + [UInt8(size & 0xFF), UInt8(size >> 8), 0, 0] + Array("WEBP".utf8) + chunks
        #expect(throws: PhotoError.tooManyPixels(width: 20_000, height: 20_000)) { try PhotoRules.clean(webp) }
    }

    @Test("the review's fake JPEG (FF D8 FF DA and random bytes) is not a photo")
    func fakeJPEG() {
        let fake: [UInt8] = [0xFF, 0xD8, 0xFF, 0xDA] + (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) }
        #expect(throws: PhotoError.self) { try PhotoRules.clean(fake) }
    }
}
