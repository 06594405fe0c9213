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

    static var jpeg: [UInt8] {
        [0xFF, 0xD8] + segment(0xE0, Array("JFIF\0\u{1}\u{1}".utf8)) + segment(0xE1, gps) + segment(0xFE, Array("taken at home".utf8))
            + segment(0xE2, Array("ICC_PROFILE".utf8)) + segment(0xDB, [0, 1, 2, 3]) + segment(0xDA, [1, 2, 3]) + scan + [0xFF, 0xD9]
    }

    static func chunk(_ name: String, _ data: [UInt8]) -> [UInt8] {
        let n = data.count
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + Array(name.utf8) + data + [0, 0, 0, 0]
    }

    static var png: [UInt8] {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", Array(repeating: 1, count: 13))
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
        let chunks = Self.riff("VP8X", vp8x) + Self.riff("VP8 ", [1, 2, 3, 4, 5]) + Self.riff("EXIF", Self.gps) + Self.riff("XMP ", Array("<x:xmpmeta>GPS</x:xmpmeta>".utf8))
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
}
