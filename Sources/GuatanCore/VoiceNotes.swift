/// A citizen's voice note on a report (语音留言): one recording, the way people report in chat
/// apps and the way elderly reporters speak more easily than they type. Identified by its own
/// bytes, at most `VoiceRules.maxBytes` and `VoiceRules.maxSeconds`, and kept without its
/// metadata (tags, titles, dates, embedded pictures, anything after the audio), for staff only.
public enum VoiceFormat: String, Sendable, Hashable, Codable, CaseIterable {
    /// AMR narrowband: WeChat's and most phones' voice-memo format.
    case amr = "audio/amr"
    case amrWB = "audio/amr-wb"
    case mp3 = "audio/mpeg"
    /// AAC in ADTS frames, as some recorders write it bare.
    case aac = "audio/aac"
    /// AAC in an MP4 file (M4A, and Safari's recorder).
    case m4a = "audio/mp4"
    /// Opus in Ogg (Firefox's recorder, WhatsApp's voice notes).
    case ogg = "audio/ogg"
    /// Opus in WebM (Chromium's recorder).
    case webm = "audio/webm"

    public var fileExtension: String {
        switch self {
        case .amr: "amr"
        case .amrWB: "awb"
        case .mp3: "mp3"
        case .aac: "aac"
        case .m4a: "m4a"
        case .ogg: "opus"
        case .webm: "webm"
        }
    }

    public init?(fileExtension: String) {
        guard let format = Self.allCases.first(where: { $0.fileExtension == fileExtension }) else { return nil }
        self = format
    }
}

public enum VoiceError: Error, Sendable, Equatable {
    /// None of the formats above, by its bytes (415).
    case unsupportedType
    /// More than `VoiceRules.maxBytes` (413).
    case tooLarge
    /// Longer than `VoiceRules.maxSeconds` by its own frames (413).
    case tooLong(seconds: Int)
    /// Claims to be one of the formats but does not hold together, or holds more than one
    /// audio track (415).
    case malformed(String)
}

/// A report's kept voice note: named by the SHA-256 of its cleaned bytes, like a photo.
public struct VoiceNote: Sendable, Hashable, Codable {
    public var id: String
    public var format: VoiceFormat
    public var milliseconds: Int

    public init(id: String, format: VoiceFormat, milliseconds: Int) {
        self.id = id
        self.format = format
        self.milliseconds = milliseconds
    }
}

/// A voice note ready to keep: the cleaned bytes, what they are, and how long they play.
public struct CleanVoice: Sendable, Equatable {
    public var bytes: [UInt8]
    public var format: VoiceFormat
    public var milliseconds: Int
}

public enum VoiceRules {
    public static let maxBytes = 1 << 20
    public static let maxSeconds = 60
    /// A recorder stopped at 60 s by the page writes its last frame a few tens of
    /// milliseconds later; half a second of grace keeps that from being refused.
    static let graceMilliseconds = 500

    /// The format by the file's own bytes, never by its name or the client's word.
    public static func format(of bytes: [UInt8]) -> VoiceFormat? {
        if bytes.starts(with: Array("#!AMR\n".utf8)) { return .amr }
        if bytes.starts(with: Array("#!AMR-WB\n".utf8)) { return .amrWB }
        if bytes.starts(with: Array("OggS".utf8)) { return .ogg }
        if bytes.starts(with: [0x1A, 0x45, 0xDF, 0xA3]) { return .webm }
        if bytes.count >= 8, Array(bytes[4..<8]) == Array("ftyp".utf8) { return .m4a }
        guard let audio = try? skipID3v2(bytes) else { return nil }
        if adtsFrame(bytes, at: audio) != nil { return .aac }
        if mpegFrame(bytes, at: audio) != nil { return .mp3 }
        return nil
    }

    /// Checks a voice note and returns it without metadata, with its format and length.
    public static func clean(_ bytes: [UInt8]) throws(VoiceError) -> CleanVoice {
        guard bytes.count <= maxBytes else { throw .tooLarge }
        guard let format = format(of: bytes) else { throw .unsupportedType }
        let (cleaned, milliseconds): ([UInt8], Int)
        switch format {
        case .amr: (cleaned, milliseconds) = try cleanAMR(bytes, wide: false)
        case .amrWB: (cleaned, milliseconds) = try cleanAMR(bytes, wide: true)
        case .mp3: (cleaned, milliseconds) = try cleanFrames(bytes, name: "MP3", frame: mpegFrame)
        case .aac: (cleaned, milliseconds) = try cleanFrames(bytes, name: "AAC", frame: adtsFrame)
        case .ogg: (cleaned, milliseconds) = try cleanOgg(bytes)
        case .webm: (cleaned, milliseconds) = try cleanWebM(bytes)
        case .m4a: (cleaned, milliseconds) = try cleanM4A(bytes)
        }
        guard milliseconds > 0 else { throw .malformed("the recording has no sound in it") }
        guard milliseconds <= maxSeconds * 1000 + graceMilliseconds else {
            throw .tooLong(seconds: (milliseconds + 999) / 1000)
        }
        return CleanVoice(bytes: cleaned, format: format, milliseconds: milliseconds)
    }

    // MARK: - AMR

    /// AMR storage format (RFC 4867 §5): a magic line, then frames of 20 ms whose size follows
    /// from the frame type in their first byte. Only the magic and whole frames are kept; a
    /// frame cut off at the end (a recorder that lost power) is dropped.
    static func cleanAMR(_ bytes: [UInt8], wide: Bool) throws(VoiceError) -> ([UInt8], Int) {
        let magic = wide ? 9 : 6
        // Bytes per frame including its header byte; nil for the reserved frame types.
        let sizes: [Int?] =
            wide
            ? [18, 24, 33, 37, 41, 47, 51, 59, 61, 6, nil, nil, nil, nil, 1, 1]
            : [13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, nil, nil, nil, 1]
        var index = magic
        var frames = 0
        while index < bytes.count {
            let header = bytes[index]
            guard header & 0x80 == 0, let size = sizes[Int(header >> 3 & 0x0F)] else {
                throw .malformed("AMR frame header \(header) at byte \(index)")
            }
            guard index + size <= bytes.count else { break }
            index += size
            frames += 1
        }
        return (Array(bytes[0..<index]), frames * 20)
    }

    // MARK: - MP3 and AAC (ADTS): self-delimiting frames

    /// ID3v2 tags before the audio (several may follow each other) are skipped.
    static func skipID3v2(_ bytes: [UInt8]) throws(VoiceError) -> Int {
        var index = 0
        while bytes.count >= index + 10, bytes[index] == 0x49, bytes[index + 1] == 0x44, bytes[index + 2] == 0x33 {
            let sizeBytes = bytes[(index + 6)..<(index + 10)]
            guard sizeBytes.allSatisfy({ $0 < 0x80 }) else { throw .malformed("ID3 tag size is broken") }
            let size = sizeBytes.reduce(0) { $0 << 7 | Int($1) }
            let footer = bytes[index + 5] & 0x10 != 0 ? 10 : 0
            index += 10 + size + footer
            guard index <= bytes.count else { throw .malformed("ID3 tag runs past the end") }
        }
        return index
    }

    struct AudioFrame {
        var length: Int
        var samples: Int
        var sampleRate: Int
    }

    /// An MPEG-1/2/2.5 Layer III frame header (MP3) at `index`, or nil.
    static func mpegFrame(_ bytes: [UInt8], at index: Int) -> AudioFrame? {
        guard index + 4 <= bytes.count, bytes[index] == 0xFF, bytes[index + 1] & 0xE0 == 0xE0 else { return nil }
        let version = Int(bytes[index + 1] >> 3 & 3)  // 0: MPEG-2.5, 1: reserved, 2: MPEG-2, 3: MPEG-1
        let layer = bytes[index + 1] >> 1 & 3  // 1: Layer III
        let bitrateIndex = Int(bytes[index + 2] >> 4)
        let rateIndex = Int(bytes[index + 2] >> 2 & 3)
        guard version != 1, layer == 1, bitrateIndex != 0, bitrateIndex != 15, rateIndex != 3 else { return nil }
        let mpeg1 = version == 3
        let kbps =
            mpeg1
            ? [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320][bitrateIndex]
            : [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160][bitrateIndex]
        let rates = [[11025, 12000, 8000], [], [22050, 24000, 16000], [44100, 48000, 32000]]
        let sampleRate = rates[version][rateIndex]
        let samples = mpeg1 ? 1152 : 576
        let padding = Int(bytes[index + 2] >> 1 & 1)
        return AudioFrame(length: samples / 8 * kbps * 1000 / sampleRate + padding, samples: samples, sampleRate: sampleRate)
    }

    /// An AAC ADTS frame header at `index`, or nil.
    static func adtsFrame(_ bytes: [UInt8], at index: Int) -> AudioFrame? {
        guard index + 7 <= bytes.count, bytes[index] == 0xFF, bytes[index + 1] & 0xF6 == 0xF0 else { return nil }
        let rates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350]
        let rateIndex = Int(bytes[index + 2] >> 2 & 0x0F)
        guard rateIndex < rates.count else { return nil }
        let length = Int(bytes[index + 3] & 3) << 11 | Int(bytes[index + 4]) << 3 | Int(bytes[index + 5]) >> 5
        let header = bytes[index + 1] & 1 == 1 ? 7 : 9
        guard length > header else { return nil }
        return AudioFrame(length: length, samples: 1024 * (Int(bytes[index + 6] & 3) + 1), sampleRate: rates[rateIndex])
    }

    /// The frames from the first one on, back to back; what follows the last whole frame (an
    /// ID3v1 or APE tag, lyrics, anything appended) and the ID3v2 tags before are left out.
    static func cleanFrames(
        _ bytes: [UInt8], name: String, frame: ([UInt8], Int) -> AudioFrame?
    ) throws(VoiceError) -> ([UInt8], Int) {
        let start = try skipID3v2(bytes)
        var index = start
        var microseconds = 0
        while let next = frame(bytes, index), index + next.length <= bytes.count {
            microseconds += next.samples * 1_000_000 / next.sampleRate
            index += next.length
        }
        guard index > start else { throw .malformed("\(name) has no whole frame") }
        return (Array(bytes[start..<index]), microseconds / 1000)
    }

    // MARK: - Ogg Opus (RFC 7845)

    /// Ogg's page checksum: CRC-32 with polynomial 0x04C11DB7, not reflected, initial value
    /// and final XOR zero (RFC 3533).
    static let oggTable: [UInt32] = (0..<256).map { byte in
        var crc = UInt32(byte) << 24
        for _ in 0..<8 { crc = crc & 0x8000_0000 != 0 ? crc << 1 ^ 0x04C1_1DB7 : crc << 1 }
        return crc
    }

    static func oggCRC(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.reduce(UInt32(0)) { crc, byte in crc << 8 ^ oggTable[Int(UInt8(crc >> 24) ^ byte)] }
    }

    struct OggPage {
        var start: Int
        var headerType: UInt8
        var granule: UInt64
        var serial: UInt32
        var lacing: ArraySlice<UInt8>
        var end: Int
        var dataStart: Int { start + 27 + lacing.count }
    }

    static func le(_ bytes: [UInt8], _ at: Int, _ count: Int) -> UInt64 {
        (0..<count).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
    }

    /// One Opus stream: the identification header (OpusHead) on the first page, the comment
    /// header (OpusTags, the encoder's name and any tags) on the next pages, then the audio.
    /// The comment pages are replaced by one page with an empty OpusTags, the later pages
    /// renumbered and their checksums computed again. The length is the last granule position
    /// less the pre-skip, at 48 kHz.
    static func cleanOgg(_ bytes: [UInt8]) throws(VoiceError) -> ([UInt8], Int) {
        var pages: [OggPage] = []
        var index = 0
        while index < bytes.count {
            guard index + 27 <= bytes.count, bytes[index..<(index + 4)].elementsEqual("OggS".utf8), bytes[index + 4] == 0 else {
                throw .malformed("Ogg page expected at byte \(index)")
            }
            let segments = Int(bytes[index + 26])
            guard index + 27 + segments <= bytes.count else { throw .malformed("Ogg page header runs past the end") }
            let lacing = bytes[(index + 27)..<(index + 27 + segments)]
            let end = index + 27 + segments + lacing.reduce(0) { $0 + Int($1) }
            guard end <= bytes.count else { throw .malformed("Ogg page runs past the end") }
            var checked = Array(bytes[index..<end])
            checked.replaceSubrange(22..<26, with: [0, 0, 0, 0])
            guard oggCRC(checked[...]) == UInt32(le(bytes, index + 22, 4)) else { throw .malformed("Ogg page at byte \(index) fails its checksum") }
            pages.append(
                OggPage(
                    start: index, headerType: bytes[index + 5], granule: le(bytes, index + 6, 8), serial: UInt32(le(bytes, index + 14, 4)),
                    lacing: lacing, end: end))
            index = end
        }
        guard let head = pages.first, head.headerType & 0x02 != 0, head.lacing.count == 1, head.lacing.first! >= 19,
            bytes[head.dataStart..<(head.dataStart + 8)].elementsEqual("OpusHead".utf8)
        else { throw .malformed("Ogg holds no Opus stream") }
        guard pages.allSatisfy({ $0.serial == head.serial }) else { throw .malformed("Ogg holds more than one stream") }
        let preSkip = le(bytes, head.dataStart + 10, 2)
        // The comment header starts on the second page and ends on the page where its last
        // lacing value is under 255; the audio starts on a fresh page (RFC 7845 §3).
        guard pages.count > 2, pages[1].headerType & 0x01 == 0,
            bytes[pages[1].dataStart..<min(pages[1].dataStart + 8, pages[1].end)].elementsEqual("OpusTags".utf8)
        else { throw .malformed("Opus comment header missing") }
        var tagsEnd = 1
        while pages[tagsEnd].lacing.last == 255 || pages[tagsEnd].lacing.isEmpty {
            tagsEnd += 1
            guard tagsEnd < pages.count, pages[tagsEnd].headerType & 0x01 != 0 else { throw .malformed("Opus comment header is broken") }
        }
        guard pages[tagsEnd].lacing.dropLast().allSatisfy({ $0 == 255 }) else { throw .malformed("audio shares the comment header's page") }
        let audio = pages[(tagsEnd + 1)...]
        guard !audio.isEmpty else { throw .malformed("Ogg holds no audio") }

        var out = Array(bytes[head.start..<head.end])
        let tags: [UInt8] = Array("OpusTags".utf8) + [0, 0, 0, 0, 0, 0, 0, 0]
        func appendPage(_ header: [UInt8], sequence: UInt32, lacing: [UInt8], data: ArraySlice<UInt8>) {
            var page = header
            page.replaceSubrange(18..<22, with: (0..<4).map { UInt8(truncatingIfNeeded: sequence >> (8 * $0)) })
            page.replaceSubrange(22..<26, with: [0, 0, 0, 0])
            page.append(UInt8(lacing.count))
            page += lacing
            page += data
            let crc = oggCRC(page[...])
            page.replaceSubrange(22..<26, with: (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) })
            out += page
        }
        var tagsHeader = Array(bytes[pages[1].start..<(pages[1].start + 26)])
        tagsHeader.replaceSubrange(6..<14, with: [UInt8](repeating: 0, count: 8))
        appendPage(tagsHeader, sequence: 1, lacing: [UInt8(tags.count)], data: tags[...])
        var sequence: UInt32 = 2
        var lastGranule: UInt64 = 0
        for page in audio {
            appendPage(
                Array(bytes[page.start..<(page.start + 26)]), sequence: sequence, lacing: Array(page.lacing), data: bytes[page.dataStart..<page.end])
            sequence += 1
            if page.granule != UInt64.max { lastGranule = page.granule }
        }
        let samples = lastGranule > preSkip ? lastGranule - preSkip : 0
        return (out, Int(samples / 48))
    }

    // MARK: - WebM (Matroska) with Opus

    /// An EBML variable-length integer: an element ID (with its length marker) or a size
    /// (without; all ones means "unknown").
    static func vint(_ bytes: [UInt8], at index: Int, id: Bool) -> (value: UInt64, length: Int, unknown: Bool)? {
        guard index < bytes.count, bytes[index] != 0 else { return nil }
        let length = bytes[index].leadingZeroBitCount + 1
        guard index + length <= bytes.count, !id || length <= 4 else { return nil }
        let first = id ? UInt64(bytes[index]) : UInt64(bytes[index] & (0xFF >> UInt8(length)))
        var value = first
        for offset in 1..<length { value = value << 8 | UInt64(bytes[index + offset]) }
        let unknown = !id && value == (UInt64(1) << UInt64(7 * length)) - 1
        return (value, length, unknown)
    }

    struct Element {
        var id: UInt64
        var start: Int
        var dataStart: Int
        /// Nil for an element of unknown size (a live recorder's Segment and Clusters).
        var end: Int?
    }

    static func element(_ bytes: [UInt8], at index: Int, within limit: Int) throws(VoiceError) -> Element {
        guard let id = vint(bytes, at: index, id: true), let size = vint(bytes, at: index + id.length, id: false) else {
            throw .malformed("WebM element expected at byte \(index)")
        }
        let dataStart = index + id.length + size.length
        guard dataStart <= limit else { throw .malformed("WebM element at byte \(index) runs past its parent") }
        if size.unknown { return Element(id: id.value, start: index, dataStart: dataStart, end: nil) }
        guard size.value <= UInt64(limit - dataStart) else { throw .malformed("WebM element at byte \(index) runs past its parent") }
        return Element(id: id.value, start: index, dataStart: dataStart, end: dataStart + Int(size.value))
    }

    static func uint(_ bytes: [UInt8], _ element: Element) -> UInt64 {
        bytes[element.dataStart..<(element.end ?? element.dataStart)].prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// Overwrites an element with an EBML Void of the same length, so that every position the
    /// file's index (SeekHead, Cues) holds stays right.
    static func void(_ out: inout [UInt8], from start: Int, to end: Int) {
        let length = end - start
        guard length >= 2 else { return }
        out.replaceSubrange(start..<end, with: [UInt8](repeating: 0, count: length))
        out[start] = 0xEC
        if length - 2 <= 126 {
            out[start + 1] = 0x80 | UInt8(length - 2)
        } else {
            let size = UInt64(length - 9)
            out[start + 1] = 0x01
            for byte in 0..<7 { out[start + 2 + byte] = UInt8(truncatingIfNeeded: size >> (8 * UInt64(6 - byte))) }
        }
    }

    /// The EBML header must say `webm`; the one Segment's tracks must all be Opus audio. Tags,
    /// attachments, chapters, unknown elements, and the title, date and names in Info and the
    /// tracks are voided in place. The length is the last block's time (a recorder's WebM has
    /// no duration in Info, and a file's own claim is not trusted).
    static func cleanWebM(_ bytes: [UInt8]) throws(VoiceError) -> ([UInt8], Int) {
        var out = bytes
        let header = try element(bytes, at: 0, within: bytes.count)
        guard let headerEnd = header.end else { throw .malformed("WebM header has no size") }
        var docType = ""
        var index = header.dataStart
        while index < headerEnd {
            let child = try element(bytes, at: index, within: headerEnd)
            guard let end = child.end else { throw .malformed("WebM header element has no size") }
            if child.id == 0x4282 { docType = String(decoding: bytes[child.dataStart..<end], as: UTF8.self) }
            index = end
        }
        guard docType == "webm" else { throw .malformed("EBML file is \(docType.isEmpty ? "of no type" : docType), not WebM") }
        let segment = try element(bytes, at: headerEnd, within: bytes.count)
        guard segment.id == 0x1853_8067 else { throw .malformed("WebM has no segment") }
        let segmentEnd = segment.end ?? bytes.count
        let topLevel: Set<UInt64> = [
            0x114D_9B74, 0x1549_A966, 0x1654_AE6B, 0x1C53_BB6B, 0x1F43_B675, 0x1254_C367, 0x1941_A469, 0x1043_A770, 0xEC, 0xBF,
        ]
        var timecodeScale: UInt64 = 1_000_000
        var tracks = 0
        var lastTick: Int64 = 0
        var blocks = 0
        index = segment.dataStart
        while index < segmentEnd {
            let child = try element(bytes, at: index, within: segmentEnd)
            switch child.id {
            case 0x1F43_B675:  // Cluster
                var clusterTime: Int64 = 0
                var inner = child.dataStart
                let limit = child.end ?? segmentEnd
                while inner < limit {
                    if child.end == nil, let id = vint(bytes, at: inner, id: true), topLevel.contains(id.value), id.value != 0xEC, id.value != 0xBF {
                        break
                    }
                    let item = try element(bytes, at: inner, within: limit)
                    guard let end = item.end else { throw .malformed("WebM cluster element has no size") }
                    switch item.id {
                    case 0xE7: clusterTime = Int64(uint(bytes, item))
                    case 0xA3, 0xA0:  // SimpleBlock, BlockGroup (its Block and BlockDuration)
                        var block = item
                        var duration: Int64 = 0
                        if item.id == 0xA0 {
                            var part = item.dataStart
                            var found: Element?
                            while part < end {
                                let piece = try element(bytes, at: part, within: end)
                                guard let pieceEnd = piece.end else { throw .malformed("WebM block group element has no size") }
                                if piece.id == 0xA1 { found = piece }
                                if piece.id == 0x9B { duration = Int64(uint(bytes, piece)) }
                                part = pieceEnd
                            }
                            guard let found else { break }
                            block = found
                        }
                        guard let track = vint(bytes, at: block.dataStart, id: false), block.dataStart + track.length + 2 <= (block.end ?? 0) else {
                            throw .malformed("WebM block at byte \(block.start) is broken")
                        }
                        let at = block.dataStart + track.length
                        let relative = Int64(Int16(bitPattern: UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1])))
                        lastTick = max(lastTick, clusterTime + relative + duration)
                        blocks += 1
                    default:
                        break
                    }
                    inner = end
                }
                index = inner
                continue
            case 0x1549_A966:  // Info: only the timing, the segment's identity and the muxer's name stay
                guard let end = child.end else { throw .malformed("WebM info has no size") }
                var inner = child.dataStart
                while inner < end {
                    let item = try element(bytes, at: inner, within: end)
                    guard let itemEnd = item.end else { throw .malformed("WebM info element has no size") }
                    if item.id == 0x2A_D7B1 { timecodeScale = max(1, uint(bytes, item)) }
                    if ![0x2A_D7B1, 0x4489, 0x4D80, 0x5741, 0x73A4, 0xEC].contains(item.id) { void(&out, from: item.start, to: itemEnd) }
                    inner = itemEnd
                }
            case 0x1654_AE6B:  // Tracks: Opus audio only; a track's name goes
                guard let end = child.end else { throw .malformed("WebM tracks have no size") }
                var inner = child.dataStart
                while inner < end {
                    let entry = try element(bytes, at: inner, within: end)
                    guard let entryEnd = entry.end else { throw .malformed("WebM track has no size") }
                    if entry.id == 0xAE {
                        var codec = ""
                        var type: UInt64 = 0
                        var part = entry.dataStart
                        while part < entryEnd {
                            let item = try element(bytes, at: part, within: entryEnd)
                            guard let itemEnd = item.end else { throw .malformed("WebM track element has no size") }
                            if item.id == 0x86 { codec = String(decoding: bytes[item.dataStart..<itemEnd], as: UTF8.self) }
                            if item.id == 0x83 { type = uint(bytes, item) }
                            if item.id == 0x536E { void(&out, from: item.start, to: itemEnd) }
                            part = itemEnd
                        }
                        guard type == 2, codec == "A_OPUS" else { throw .malformed("WebM holds a track that is not Opus audio (\(codec))") }
                        tracks += 1
                    }
                    inner = entryEnd
                }
            case 0x114D_9B74, 0x1C53_BB6B, 0xEC, 0xBF:  // SeekHead, Cues, Void, CRC-32: positions and padding
                break
            default:  // Tags, Attachments, Chapters and anything unknown
                guard let end = child.end else { throw .malformed("WebM element at byte \(child.start) has no size") }
                void(&out, from: child.start, to: end)
            }
            guard let end = child.end else { throw .malformed("WebM element at byte \(child.start) has no size") }
            index = end
        }
        guard tracks == 1 else { throw .malformed(tracks == 0 ? "WebM has no audio track" : "WebM holds \(tracks) audio tracks") }
        guard blocks > 0 else { throw .malformed("WebM holds no audio") }
        // Whatever follows the segment is not part of the recording.
        out.removeSubrange(segmentEnd..<out.count)
        let nanoseconds = Double(lastTick) * Double(timecodeScale)
        return (out, Int(nanoseconds / 1_000_000))
    }

    // MARK: - MP4 / M4A (ISO base media file format)

    struct Box {
        var type: String
        var start: Int
        var body: Int
        var end: Int
    }

    static func be(_ bytes: [UInt8], _ at: Int, _ count: Int) -> UInt64 {
        (0..<count).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[at + $1]) }
    }

    static func boxes(_ bytes: [UInt8], from start: Int, to limit: Int) throws(VoiceError) -> [Box] {
        var result: [Box] = []
        var index = start
        while index < limit {
            guard index + 8 <= limit else { throw .malformed("MP4 box header runs past its parent at byte \(index)") }
            let size32 = be(bytes, index, 4)
            let type = String(decoding: bytes[(index + 4)..<(index + 8)], as: UTF8.self)
            var body = index + 8
            var end: Int
            if size32 == 1 {
                guard index + 16 <= limit else { throw .malformed("MP4 box header runs past its parent") }
                let size = be(bytes, index + 8, 8)
                body = index + 16
                guard size >= 16, size <= UInt64(limit - index) else { throw .malformed("MP4 box \(type) runs past its parent") }
                end = index + Int(size)
            } else if size32 == 0 {
                end = limit
            } else {
                guard size32 >= 8, size32 <= UInt64(limit - index) else { throw .malformed("MP4 box \(type) runs past its parent") }
                end = index + Int(size32)
            }
            result.append(Box(type: type, start: index, body: body, end: end))
            index = end
        }
        return result
    }

    /// One AAC sound track. `udta`, `meta` and `uuid` boxes (titles, artists, XMP, the place of
    /// recording, cover art) become `free` boxes of zeros, and the creation and modification
    /// times in the headers are zeroed: every offset in the file stays right. The length comes
    /// from the sample tables and fragments (`stts`, `trex`, `tfhd`, `trun`), not from a header.
    static func cleanM4A(_ bytes: [UInt8]) throws(VoiceError) -> ([UInt8], Int) {
        var out = bytes
        var tracks = 0
        var timescale: UInt64 = 0
        var ticks: UInt64 = 0
        var defaultDuration: UInt64 = 0
        // Each box counts only where it belongs (a `trun` in a `traf`, a `trak` in the `moov`):
        // one placed anywhere else is not read, so what is kept reads back the same.
        let parent: [String: String] = [
            "moov": "", "moof": "", "trak": "moov", "mvhd": "moov", "mvex": "moov", "tkhd": "trak", "edts": "trak", "mdia": "trak",
            "mdhd": "mdia", "hdlr": "mdia", "minf": "mdia", "dinf": "minf", "stbl": "minf", "stsd": "stbl", "stts": "stbl",
            "trex": "mvex", "traf": "moof", "tfhd": "traf", "trun": "traf",
        ]
        let containers: Set<String> = ["moov", "trak", "mdia", "minf", "stbl", "edts", "mvex", "moof", "traf", "dinf"]
        // At the top, only what plays; any other box (a vendor's own, XMP) is blanked too.
        let playing: Set<String> = ["ftyp", "styp", "moov", "mdat", "moof", "mfra", "sidx", "free", "skip", "wide"]

        func blank(_ box: Box) {
            out.replaceSubrange(box.start + 4..<box.start + 8, with: Array("free".utf8))
            out.replaceSubrange(box.body..<box.end, with: [UInt8](repeating: 0, count: box.end - box.body))
        }
        func need(_ box: Box, _ count: Int) throws(VoiceError) {
            guard box.body + count <= box.end else { throw .malformed("MP4 box \(box.type) is too short") }
        }
        func walk(_ start: Int, _ end: Int, in container: String) throws(VoiceError) {
            for box in try boxes(bytes, from: start, to: end) {
                let version = box.body < box.end ? bytes[box.body] : 0
                if ["udta", "meta", "uuid"].contains(box.type) || (container.isEmpty && !playing.contains(box.type)) {
                    blank(box)
                    continue
                }
                guard parent[box.type] == container else { continue }
                switch box.type {
                case _ where containers.contains(box.type):
                    if box.type == "trak" { tracks += 1 }
                    try walk(box.body, box.end, in: box.type)
                case "mvhd", "tkhd", "mdhd":
                    let times = version == 1 ? 16 : 8
                    try need(box, 4 + times + 8)
                    out.replaceSubrange((box.body + 4)..<(box.body + 4 + times), with: [UInt8](repeating: 0, count: times))
                    if box.type == "mdhd" { timescale = be(bytes, box.body + 4 + times, 4) }
                case "hdlr":
                    try need(box, 12)
                    let handler = String(decoding: bytes[(box.body + 8)..<(box.body + 12)], as: UTF8.self)
                    guard handler == "soun" else { throw .malformed("MP4 holds a \(handler) track, not only sound") }
                case "stsd":
                    try need(box, 16)
                    let entry = String(decoding: bytes[(box.body + 12)..<(box.body + 16)], as: UTF8.self)
                    guard entry == "mp4a" else { throw .malformed("MP4 sound is \(entry), not AAC") }
                case "stts":
                    try need(box, 8)
                    let count = Int(min(be(bytes, box.body + 4, 4), UInt64(box.end)))
                    try need(box, 8 + 8 * count)
                    for entry in 0..<count {
                        let at = box.body + 8 + 8 * entry
                        ticks &+= be(bytes, at, 4) &* be(bytes, at + 4, 4)
                    }
                case "trex":
                    try need(box, 16)
                    defaultDuration = be(bytes, box.body + 12, 4)
                case "tfhd":
                    try need(box, 8)
                    let flags = be(bytes, box.body + 1, 3)
                    var at = box.body + 8
                    if flags & 0x01 != 0 { at += 8 }
                    if flags & 0x02 != 0 { at += 4 }
                    if flags & 0x08 != 0 {
                        guard at + 4 <= box.end else { throw .malformed("MP4 fragment header is too short") }
                        defaultDuration = be(bytes, at, 4)
                    }
                case "trun":
                    try need(box, 8)
                    let flags = be(bytes, box.body + 1, 3)
                    let count = Int(min(be(bytes, box.body + 4, 4), UInt64(box.end)))
                    var at = box.body + 8 + (flags & 0x01 != 0 ? 4 : 0) + (flags & 0x04 != 0 ? 4 : 0)
                    let fields = [0x100, 0x200, 0x400, 0x800].filter { flags & UInt64($0) != 0 }.count
                    guard at + count * fields * 4 <= box.end else { throw .malformed("MP4 fragment run is too short") }
                    if flags & 0x100 != 0 {
                        for _ in 0..<count {
                            ticks &+= be(bytes, at, 4)
                            at += fields * 4
                        }
                    } else {
                        ticks &+= UInt64(count) &* defaultDuration
                    }
                default:
                    break
                }
            }
        }
        let top = try boxes(bytes, from: 0, to: bytes.count)
        guard top.first?.type == "ftyp" else { throw .malformed("MP4 does not start with ftyp") }
        try walk(0, bytes.count, in: "")
        guard tracks == 1 else { throw .malformed(tracks == 0 ? "MP4 has no track" : "MP4 holds \(tracks) tracks") }
        guard timescale > 0 else { throw .malformed("MP4 track has no time scale") }
        return (out, Int(min(ticks, UInt64(Int.max / 1000)) * 1000 / timescale))
    }
}
