import Testing

@testable import GuatanCore

/// Recordings built byte by byte in each format's own structure, with personal data in every
/// place a format keeps metadata.
enum VoiceSamples {
    static let secret = "王大妈 13912345678"

    static func amr(frames: Int) -> [UInt8] {
        // Frame type 7 (12.2 kbit/s): a header byte and 31 bytes of speech, 20 ms.
        Array("#!AMR\n".utf8) + (0..<frames).flatMap { n in [0x3C] + [UInt8](repeating: UInt8(n % 251), count: 31) }
    }

    static func id3v2(_ text: String) -> [UInt8] {
        let frame = Array("TIT2".utf8) + be32(text.utf8.count + 1) + [0, 0, 3] + Array(text.utf8)
        let size = frame.count
        return Array("ID3".utf8) + [4, 0, 0] + [UInt8(size >> 21 & 0x7F), UInt8(size >> 14 & 0x7F), UInt8(size >> 7 & 0x7F), UInt8(size & 0x7F)]
            + frame
    }

    /// MPEG-1 Layer III, 128 kbit/s, 44.1 kHz: 417 bytes and 1152 samples a frame.
    static func mp3(frames: Int) -> [UInt8] {
        id3v2(secret) + (0..<frames).flatMap { _ in [0xFF, 0xFB, 0x90, 0x64] + [UInt8](repeating: 0x55, count: 413) }
            + Array("TAG".utf8) + Array(secret.utf8) + [UInt8](repeating: 0, count: 125 - secret.utf8.count)
    }

    /// AAC-LC in ADTS, 16 kHz mono: 1024 samples (64 ms) a frame.
    static func adts(frames: Int, length: Int = 100) -> [UInt8] {
        let header: [UInt8] = [
            0xFF, 0xF1, 0x60, UInt8(0x40 | (length >> 11 & 3)), UInt8(length >> 3 & 0xFF), UInt8((length & 7) << 5 | 0x1F), 0xFC,
        ]
        return (0..<frames).flatMap { _ in header + [UInt8](repeating: 0x21, count: length - 7) } + Array(secret.utf8)
    }

    static func le(_ value: UInt64, _ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) } }
    static func be32(_ value: Int) -> [UInt8] {
        [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    static func oggPage(type: UInt8, granule: UInt64, sequence: UInt32, lacing: [UInt8], data: [UInt8]) -> [UInt8] {
        var page = Array("OggS".utf8) + [0, type] + le(granule, 8) + le(0x1234_5678, 4) + le(UInt64(sequence), 4) + [0, 0, 0, 0]
        page += [UInt8(lacing.count)] + lacing + data
        let crc = VoiceRules.oggCRC(page[...])
        page.replaceSubrange(22..<26, with: le(UInt64(crc), 4))
        return page
    }

    /// Opus in Ogg: the head, a comment header over two pages with a title, then `pages` pages
    /// of fifty 20 ms packets. Pre-skip 312.
    static func ogg(pages: Int) -> [UInt8] {
        let head = Array("OpusHead".utf8) + [1, 1] + le(312, 2) + le(48000, 4) + [0, 0, 0]
        let comment = "TITLE=" + secret + String(repeating: " 说", count: 100)
        let tags = Array("OpusTags".utf8) + le(11, 4) + Array("libopus 1.3".utf8) + le(1, 4) + le(UInt64(comment.utf8.count), 4) + Array(comment.utf8)
        precondition(tags.count > 255 && tags.count < 510)
        var file = oggPage(type: 2, granule: 0, sequence: 0, lacing: [19], data: head)
        file += oggPage(type: 0, granule: UInt64.max, sequence: 1, lacing: [255], data: Array(tags[0..<255]))
        file += oggPage(type: 1, granule: 0, sequence: 2, lacing: [UInt8(tags.count - 255)], data: Array(tags[255...]))
        for page in 0..<pages {
            let packets = (0..<50).map { n in [0xF8, UInt8(n), 0xFF, 0xFE] }
            file += oggPage(
                type: page == pages - 1 ? 4 : 0, granule: 312 + UInt64((page + 1) * 50 * 960), sequence: UInt32(3 + page),
                lacing: packets.map { UInt8($0.count) }, data: packets.flatMap { $0 })
        }
        return file
    }

    /// An EBML element with an 8-byte size (or the unknown size a live recorder writes).
    static func ebml(_ id: [UInt8], _ payload: [UInt8], unknown: Bool = false) -> [UInt8] {
        id + (unknown ? [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] : [0x01] + Array(be32(0) + be32(payload.count))[1...]) + payload
    }

    /// Opus in WebM as Chromium's recorder writes it: sizes unknown, no duration, one cluster a
    /// second, a block every 20 ms; plus a title, a date, a track name and tags.
    static func webm(seconds: Int, blocksPerSecond: Int = 50, docType: String = "webm", codec: String = "A_OPUS", trackType: UInt8 = 2) -> [UInt8] {
        let header = ebml([0x1A, 0x45, 0xDF, 0xA3], ebml([0x42, 0x86], [1]) + ebml([0x42, 0x82], Array(docType.utf8)))
        let info = ebml(
            [0x15, 0x49, 0xA9, 0x66],
            ebml([0x2A, 0xD7, 0xB1], [0x0F, 0x42, 0x40]) + ebml([0x7B, 0xA9], Array(secret.utf8)) + ebml([0x44, 0x61], le(123_456_789, 8))
                + ebml([0x4D, 0x80], Array("Chrome".utf8)) + ebml([0x57, 0x41], Array("Chrome".utf8)))
        let tracks = ebml(
            [0x16, 0x54, 0xAE, 0x6B],
            ebml(
                [0xAE],
                ebml([0xD7], [1]) + ebml([0x83], [trackType]) + ebml([0x86], Array(codec.utf8)) + ebml([0x53, 0x6E], Array("家里的麦克风".utf8))))
        let step = 1000 / blocksPerSecond
        var clusters: [UInt8] = []
        for second in 0..<seconds {
            var blocks: [UInt8] = ebml([0xE7], be32(second * 1000))
            for n in 0..<blocksPerSecond {
                let time = n * step
                let block: [UInt8] = [0x81, UInt8(time >> 8), UInt8(time & 0xFF), 0x80, 0xF8, 0xFF, 0xFE]
                blocks += ebml([0xA3], block)
            }
            clusters += ebml([0x1F, 0x43, 0xB6, 0x75], blocks, unknown: true)
        }
        let tags = ebml([0x12, 0x54, 0xC3, 0x67], ebml([0x73, 0x73], ebml([0x67, 0xC8], Array(("COMMENT" + secret).utf8))))
        return header + ebml([0x18, 0x53, 0x80, 0x67], info + tracks + tags + clusters, unknown: true)
    }

    static func box(_ type: String, _ payload: [UInt8]) -> [UInt8] { be32(payload.count + 8) + Array(type.utf8) + payload }

    /// AAC in MP4 at 16 kHz: `samples` samples of 1024 in the sample table, and (fragmented, as
    /// Safari records) `fragmentSamples` more in two fragments; a title in udta and a date in
    /// every header.
    static func m4a(samples: Int, fragmentSamples: Int = 0, handler: String = "soun") -> [UInt8] {
        let date = be32(0x7E00_0001)
        let mvhd = box("mvhd", [0, 0, 0, 0] + date + date + be32(1000) + be32(999_999) + [UInt8](repeating: 0, count: 80))
        let tkhd = box("tkhd", [0, 0, 0, 7] + date + date + be32(1) + [UInt8](repeating: 0, count: 68))
        let mdhd = box("mdhd", [0, 0, 0, 0] + date + date + be32(16000) + be32(99_999_999) + [0x55, 0xC4, 0, 0])
        let hdlr = box("hdlr", [0, 0, 0, 0, 0, 0, 0, 0] + Array(handler.utf8) + [UInt8](repeating: 0, count: 12) + Array("SoundHandler\0".utf8))
        let stsd = box("stsd", [0, 0, 0, 0] + be32(1) + box("mp4a", [UInt8](repeating: 0, count: 28)))
        let stts = box("stts", [0, 0, 0, 0] + (samples > 0 ? be32(1) + be32(samples) + be32(1024) : be32(0)))
        let stbl = box("stbl", stsd + stts)
        let trak = box("trak", tkhd + box("mdia", mdhd + hdlr + box("minf", stbl)) + box("udta", box("©nam", Array(secret.utf8))))
        let mvex = fragmentSamples > 0 ? box("mvex", box("trex", [0, 0, 0, 0] + be32(1) + be32(1) + be32(1024) + be32(0) + be32(0))) : []
        let udta = box("udta", box("meta", [0, 0, 0, 0] + box("ilst", Array(secret.utf8))))
        var file = box("ftyp", Array("M4A ".utf8) + be32(0) + Array("M4A isom".utf8)) + box("moov", mvhd + trak + mvex + udta)
        file += box("mdat", [UInt8](repeating: 0x21, count: 1000))
        if fragmentSamples > 0 {
            // One fragment on the track's default duration, one with each sample's duration.
            let first = fragmentSamples / 2
            let second = fragmentSamples - first
            file += box("moof", box("traf", box("tfhd", [0, 2, 0, 0] + be32(1)) + box("trun", [0, 0, 0, 1] + be32(first) + be32(0))))
            file += box(
                "moof",
                box(
                    "traf",
                    box("tfhd", [0, 2, 0, 0] + be32(1))
                        + box("trun", [0, 0, 3, 1] + be32(second) + be32(0) + (0..<second).flatMap { _ in be32(1024) + be32(10) })))
            file += box("XMP_", Array(secret.utf8))
        }
        return file
    }

    static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let needle = Array(needle.utf8)
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }
}

@Suite("Voice notes: format by bytes, at most 60 s and 1 MB, metadata removed")
struct VoiceRulesTests {
    @Test("AMR: 20 ms a frame, a frame cut off at the end dropped, reserved frame types refused")
    func amr() throws {
        let voice = try VoiceRules.clean(VoiceSamples.amr(frames: 150))
        #expect(voice.format == .amr && voice.milliseconds == 3000)
        #expect(voice.bytes == VoiceSamples.amr(frames: 150))
        let cut = try VoiceRules.clean(VoiceSamples.amr(frames: 150) + [0x3C, 1, 2])
        #expect(cut.bytes == VoiceSamples.amr(frames: 150))
        #expect(throws: VoiceError.self) { try VoiceRules.clean(VoiceSamples.amr(frames: 10) + [0x68] + [UInt8](repeating: 0, count: 40)) }
        let wide = try VoiceRules.clean(Array("#!AMR-WB\n".utf8) + (0..<100).flatMap { _ in [0x44] + [UInt8](repeating: 7, count: 60) })
        #expect(wide.format == .amrWB && wide.milliseconds == 2000)
    }

    @Test("a minute is the limit, half a second of a recorder's lateness allowed; 1 MB the size")
    func limits() throws {
        #expect(try VoiceRules.clean(VoiceSamples.amr(frames: 3020)).milliseconds == 60_400)
        #expect(throws: VoiceError.tooLong(seconds: 62)) { try VoiceRules.clean(VoiceSamples.amr(frames: 3080)) }
        #expect(throws: VoiceError.tooLarge) { try VoiceRules.clean(VoiceSamples.amr(frames: 33_000)) }
        #expect(throws: VoiceError.tooLong(seconds: 70)) { try VoiceRules.clean(VoiceSamples.webm(seconds: 71, blocksPerSecond: 1)) }
    }

    @Test("what is not a voice note is refused by its bytes, whatever it calls itself")
    func notVoice() {
        #expect(throws: VoiceError.unsupportedType) { try VoiceRules.clean(Array("<html>#!AMR\n".utf8)) }
        #expect(throws: VoiceError.unsupportedType) { try VoiceRules.clean([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]) }
        #expect(throws: VoiceError.unsupportedType) { try VoiceRules.clean([]) }
        #expect(throws: VoiceError.self) { try VoiceRules.clean(Array("#!AMR\n".utf8)) }
        #expect(throws: VoiceError.self) { try VoiceRules.clean(VoiceSamples.id3v2("only a tag")) }
    }

    @Test("MP3: ID3v2 and ID3v1 tags gone, every frame kept, length from the frames")
    func mp3() throws {
        let voice = try VoiceRules.clean(VoiceSamples.mp3(frames: 40))
        #expect(voice.format == .mp3)
        #expect(voice.bytes.count == 40 * 417 && voice.bytes.starts(with: [0xFF, 0xFB]))
        #expect(!VoiceSamples.contains(voice.bytes, "13912345678") && !VoiceSamples.contains(voice.bytes, "ID3"))
        #expect(voice.milliseconds == 40 * 1152 * 1000 / 44100)
    }

    @Test("AAC in ADTS: 1024 samples a frame, the trailer gone")
    func adts() throws {
        let voice = try VoiceRules.clean(VoiceSamples.adts(frames: 30))
        #expect(voice.format == .aac && voice.milliseconds == 1920 && voice.bytes.count == 3000)
        #expect(!VoiceSamples.contains(voice.bytes, "13912345678"))
    }

    @Test("Ogg Opus: the comment pages become one empty OpusTags, pages renumbered with checksums that hold")
    func ogg() throws {
        #expect(VoiceRules.oggCRC(Array("123456789".utf8)[...]) == 0x89A1_897F)
        let original = VoiceSamples.ogg(pages: 3)
        let voice = try VoiceRules.clean(original)
        #expect(voice.format == .ogg && voice.milliseconds == 3000)
        #expect(!VoiceSamples.contains(voice.bytes, "13912345678") && !VoiceSamples.contains(voice.bytes, "libopus"))
        // The head page is untouched; the clean file is itself clean (checksums, order) and stays so.
        #expect(voice.bytes.starts(with: original[0..<(27 + 1 + 19)]))
        #expect(try VoiceRules.clean(voice.bytes) == voice)
        // Page 1 is the new comment header, the audio follows as pages 2, 3, 4.
        let sequences = stride(from: 0, to: voice.bytes.count, by: 1).filter {
            VoiceSamples.contains(Array(voice.bytes[$0..<min($0 + 4, voice.bytes.count)]), "OggS")
        }
        .map { VoiceRules.le(voice.bytes, $0 + 18, 4) }
        #expect(sequences == [0, 1, 2, 3, 4])
        var broken = original
        broken[broken.count - 3] ^= 0x40
        #expect(throws: VoiceError.self) { try VoiceRules.clean(broken) }
    }

    @Test("WebM Opus: title, date, track name and tags voided in place; length from the last block")
    func webm() throws {
        let original = VoiceSamples.webm(seconds: 2)
        let voice = try VoiceRules.clean(original)
        #expect(voice.format == .webm && voice.milliseconds == 1980)
        #expect(voice.bytes.count == original.count)
        #expect(!VoiceSamples.contains(voice.bytes, "13912345678") && !VoiceSamples.contains(voice.bytes, "家里的麦克风"))
        #expect(VoiceSamples.contains(voice.bytes, "A_OPUS") && VoiceSamples.contains(voice.bytes, "Chrome"))
        let date = VoiceSamples.le(123_456_789, 8)
        #expect(!voice.bytes.indices.dropLast(7).contains { Array(voice.bytes[$0..<($0 + 8)]) == date })
        // Voided in place, the file still parses the same way.
        #expect(try VoiceRules.clean(voice.bytes) == voice)
        #expect(throws: VoiceError.self) { try VoiceRules.clean(VoiceSamples.webm(seconds: 2, codec: "V_VP8", trackType: 1)) }
        #expect(throws: VoiceError.self) { try VoiceRules.clean(VoiceSamples.webm(seconds: 2, docType: "matroska")) }
    }

    @Test("M4A: udta, meta and unknown boxes blanked, header dates zeroed, length from the samples and fragments")
    func m4a() throws {
        let original = VoiceSamples.m4a(samples: 50)
        let voice = try VoiceRules.clean(original)
        #expect(voice.format == .m4a && voice.milliseconds == 3200)
        #expect(voice.bytes.count == original.count)
        #expect(!VoiceSamples.contains(voice.bytes, "13912345678") && !VoiceSamples.contains(voice.bytes, "udta"))
        #expect(!voice.bytes.indices.dropLast(3).contains { Array(voice.bytes[$0..<($0 + 4)]) == [0x7E, 0, 0, 1] })
        let twice = try VoiceRules.clean(voice.bytes)
        #expect(twice.milliseconds == voice.milliseconds && twice.format == voice.format)
        #expect(twice.bytes == voice.bytes)
        let fragmented = try VoiceRules.clean(VoiceSamples.m4a(samples: 0, fragmentSamples: 30))
        #expect(fragmented.milliseconds == 1920)
        #expect(!VoiceSamples.contains(fragmented.bytes, "13912345678"))
        #expect(throws: VoiceError.self) { try VoiceRules.clean(VoiceSamples.m4a(samples: 50, handler: "vide")) }
        var cut = original
        cut.removeLast(10)
        #expect(throws: VoiceError.self) { try VoiceRules.clean(cut) }
    }

    @Test(
        "random damage to every format (a fixed seed: the same run each time) is refused or cleaned, never a crash, and what is kept is clean again")
    func damage() {
        // SplitMix64: reproducible without Foundation's random state.
        var state: UInt64 = 0x1234_5678_9ABC
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let samples = [
            VoiceSamples.amr(frames: 20), VoiceSamples.mp3(frames: 4), VoiceSamples.adts(frames: 4), VoiceSamples.ogg(pages: 2),
            VoiceSamples.webm(seconds: 2, blocksPerSecond: 3), VoiceSamples.m4a(samples: 5, fragmentSamples: 6),
        ]
        for sample in samples {
            for _ in 0..<2000 {
                var damaged = sample
                for _ in 0..<(1 + Int(next() % 4)) {
                    let at = Int(next() % UInt64(damaged.count))
                    switch next() % 3 {
                    case 0: damaged[at] = UInt8(truncatingIfNeeded: next())
                    case 1: damaged[at] = [0x00, 0x01, 0x7F, 0x80, 0xFF][Int(next() % 5)]
                    default: damaged.removeSubrange(at..<min(damaged.count, at + Int(next() % 16) + 1))
                    }
                    if damaged.isEmpty { break }
                }
                if let clean = try? VoiceRules.clean(damaged) {
                    let same = (try? VoiceRules.clean(clean.bytes)) == clean
                    #expect(same, "\(clean.format), \(clean.milliseconds) ms: the kept recording reads back the same")
                }
            }
        }
    }

    @Test("every broken prefix of every format is refused or cleaned, never a crash")
    func prefixes() {
        for sample in [
            VoiceSamples.amr(frames: 3), VoiceSamples.mp3(frames: 2), VoiceSamples.adts(frames: 2), VoiceSamples.ogg(pages: 1),
            VoiceSamples.webm(seconds: 1, blocksPerSecond: 2), VoiceSamples.m4a(samples: 3, fragmentSamples: 4),
        ] {
            for length in 0...sample.count {
                _ = try? VoiceRules.clean(Array(sample[0..<length]))
                var flipped = sample
                if length < sample.count { flipped[length] ^= 0xA5 }
                _ = try? VoiceRules.clean(flipped)
            }
        }
    }
}
