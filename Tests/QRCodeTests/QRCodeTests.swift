import Foundation
import Testing

@testable import QRCode

@Suite("QR codes (一摊一码), decoded by a real decoder")
struct QRCodeTests {
    /// Draws the symbol as a binary PGM (4 pixels a module, a 4-module quiet zone) and asks
    /// zbarimg (Debian's zbar-tools) what it says.
    static func decode(_ code: QRCode) throws -> String {
        let scale = 4
        let border = 4
        let side = (code.size + border * 2) * scale
        var pixels = [UInt8](repeating: 255, count: side * side)
        for y in 0..<code.size {
            for x in 0..<code.size where code.isDark(x: x, y: y) {
                for dy in 0..<scale {
                    for dx in 0..<scale { pixels[((y + border) * scale + dy) * side + (x + border) * scale + dx] = 0 }
                }
            }
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("qr-\(UUID().uuidString).pgm")
        defer { try? FileManager.default.removeItem(at: file) }
        try (Data("P5\n\(side) \(side)\n255\n".utf8) + Data(pixels)).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["zbarimg", "--quiet", "--raw", file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "zbarimg could not read the code (is zbar-tools installed?)")
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    @Test("stall URLs at every error-correction level round-trip through zbarimg", arguments: QRCode.ErrorCorrection.allCases)
    func stallURLs(level: QRCode.ErrorCorrection) throws {
        for text in ["http://127.0.0.1:8080/s/CG-001-03", "https://guatan.lanzhou.gov.cn/s/QLH-075-12", "瓜摊 LZ2026-AN-000123"] {
            let code = try QRCode(text: text, errorCorrection: level)
            #expect(try Self.decode(code) == text, "\(text) at \(level)")
        }
    }

    @Test("longer texts take larger versions, with several blocks, alignment patterns and version information")
    func versions() throws {
        for length in [20, 60, 150, 300, 700] {
            let text = String(repeating: "0123456789ABCDEFGHIJ", count: length / 20)
            let code = try QRCode(text: text, errorCorrection: .medium)
            #expect(code.size == code.version * 4 + 17)
            #expect(try Self.decode(code) == text, "length \(length), version \(code.version)")
        }
        #expect(try QRCode(text: String(repeating: "x", count: 700)).version >= 7, "version information drawn")
    }

    @Test("every mask pattern decodes")
    func everyMask() throws {
        var seen = Set<Int>()
        for i in 0..<60 where seen.count < 8 {
            let code = try QRCode(text: "http://127.0.0.1:8080/s/CG-\(i)")
            if seen.insert(code.mask).inserted {
                #expect(try Self.decode(code) == "http://127.0.0.1:8080/s/CG-\(i)", "mask \(code.mask)")
            }
        }
        #expect(seen.count >= 4)
    }

    @Test("too long for any version is refused")
    func tooLong() {
        #expect(throws: QRCode.EncodingError.tooLong) { try QRCode(text: String(repeating: "x", count: 3000), errorCorrection: .high) }
    }

    @Test("Reed–Solomon: the published example of ISO/IEC 18004 annex I (version 1-M, '01234567')")
    func reedSolomon() {
        let data: [UInt8] = [0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11]
        let ecc = ReedSolomon.remainder(data, divisor: ReedSolomon.divisor(degree: 10))
        #expect(ecc == [0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55])
    }

    @Test("the SVG draws each dark module once, inside a quiet zone")
    func svg() throws {
        let code = try QRCode(text: "http://127.0.0.1:8080/s/CG-001-01")
        let svg = code.svg()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.components(separatedBy: "h1v1h-1z").count - 1 == code.modules.filter { $0 }.count)
        #expect(svg.contains("viewBox=\"0 0 \(code.size + 8) \(code.size + 8)\""))
    }
}
