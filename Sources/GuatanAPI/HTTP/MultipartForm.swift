import Foundation
import GuatanCore
import GuatanStoreInterface
import Hummingbird
import MultipartKit
import NIOPosix
import Synchronization

/// A `multipart/form-data` body read whole (MultipartKit's parser): text fields and files.
struct MultipartForm {
    struct File {
        let name: String
        let filename: String?
        let bytes: [UInt8]
    }

    private(set) var fields: [String: [String]] = [:]
    private(set) var files: [File] = []

    func field(_ name: String) -> String? {
        fields[name]?.last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    func files(named name: String) -> [File] {
        files.filter { $0.name == name }
    }

    /// 415 unless multipart/form-data with a boundary, 413 past `limit`, 400 when broken.
    static func read(_ request: Request, limit: Int) async throws -> MultipartForm {
        let contentType = request.headers[.contentType] ?? ""
        guard let mediaType = MediaType(from: contentType), mediaType.isType(.multipartForm),
            let boundary = mediaType.parameter?.value, mediaType.parameter?.name.lowercased() == "boundary", !boundary.isEmpty
        else {
            throw APIError(
                .unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE", message: "send the form as multipart/form-data with a boundary")
        }
        var buffer = ByteBuffer()
        let started = ContinuousClock.now
        for try await chunk in request.body {
            guard buffer.readableBytes + chunk.readableBytes <= limit else {
                throw APIError(.contentTooLarge, code: "TOO_LARGE", message: "the form must be at most \(limit / 1024 / 1024) MB")
            }
            buffer.writeImmutableBuffer(chunk)
            // An upload holds one of the few upload places: one trickled slower than the
            // slowest phone network is ended (a stalled one is closed by the idle timeout).
            let elapsed = ContinuousClock.now - started
            if elapsed > minimumRateGrace, Double(buffer.readableBytes) < minimumBytesPerSecond * elapsed.seconds {
                throw APIError(
                    .requestTimeout, code: "REQUEST_TIMEOUT",
                    message: "the upload is arriving too slowly (under \(Int(minimumBytesPerSecond) / 1024) KB/s); try again on a better connection",
                    headers: [.connection: "close"])
            }
        }
        return try parse(buffer, boundary: boundary.trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
    }

    /// Slower than 2G (EDGE) carries a photo: 8 KB/s, after a grace of 10 s.
    static let minimumBytesPerSecond = 8.0 * 1024
    static let minimumRateGrace = Duration.seconds(10)

    static func parse(_ buffer: ByteBuffer, boundary: String) throws -> MultipartForm {
        var form = MultipartForm()
        var headers: [(String, String)] = []
        var body: [UInt8] = []
        var completed = false
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in headers.append((name.lowercased(), value)) }
        parser.onBody = { chunk in body += chunk.readableBytesView }
        parser.onPartComplete = {
            defer {
                headers = []
                body = []
            }
            guard let disposition = headers.first(where: { $0.0 == "content-disposition" })?.1 else { return }
            let parameters = Self.dispositionParameters(disposition)
            guard let name = parameters["name"] else { return }
            if let filename = parameters["filename"] {
                form.files.append(File(name: name, filename: filename, bytes: body))
            } else {
                form.fields[name, default: []].append(String(decoding: body, as: UTF8.self))
            }
            completed = true
        }
        do {
            try parser.execute(buffer)
        } catch {
            throw APIError.validation("the multipart form is malformed", field: nil)
        }
        guard completed else { throw APIError.validation("the multipart form has no complete part", field: nil) }
        return form
    }

    /// `form-data; name="certificate"; filename="证明.jpg"` → ["name": "certificate", "filename": "证明.jpg"].
    static func dispositionParameters(_ value: String) -> [String: String] {
        var result: [String: String] = [:]
        for part in value.split(separator: ";").dropFirst() {
            let pieces = part.split(separator: "=", maxSplits: 1)
            guard pieces.count == 2 else { continue }
            let key = pieces[0].trimmingCharacters(in: .whitespaces).lowercased()
            var raw = pieces[1].trimmingCharacters(in: .whitespaces)
            if raw.hasPrefix("\""), raw.hasSuffix("\""), raw.count >= 2 { raw = String(raw.dropFirst().dropLast()) }
            result[key] = raw
        }
        return result
    }
}

extension PhotoError {
    /// How a refused photo is reported: 415 for another type or a broken file, 413 for size.
    func apiError(field: String) -> APIError {
        switch self {
        case .unsupportedType:
            APIError(.unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE", message: "\(field) must be a JPEG, PNG or WebP photo", field: field)
        case .tooManyPixels(let width, let height):
            APIError(
                .contentTooLarge, code: "TOO_LARGE",
                message: "\(field) is \(width) × \(height) pixels; at most \(PhotoRules.maxPixels / 1_000_000) megapixels", field: field)
        case .tooLarge:
            APIError(.contentTooLarge, code: "TOO_LARGE", message: "\(field) must be at most \(PhotoRules.maxBytes / 1024 / 1024) MB", field: field)
        // A file that claims to be a photo but does not hold together is not a photo either.
        case .malformed(let reason):
            APIError(.unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE", message: "\(field) is not a readable photo: \(reason)", field: field)
        }
    }
}

/// Photos of one request on their way in: checked, cleaned, staged off the event loop, and
/// kept only when the request's own write commits (`PhotoFiles`). Photos need room: below
/// `minimumFreeBytes` free in the data folder uploads answer 503, so that the disk never fills
/// to where check-ins and reports without photos would fail too.
struct PhotoIntake: Sendable {
    let files: PhotoFiles
    let minimumFreeBytes: Int64
    let uploads: UploadGate

    /// Cleans `uploads` (the first bad one is a 415, 413 or 400 naming `field`), stages them,
    /// runs `commit` with them and moves them in when it returns; when it throws they are gone.
    func keeping<T: Sendable>(_ uploads: [[UInt8]], field: String, _ commit: ([StoredPhoto]) async throws -> T) async throws -> T {
        try await keeping(uploads, field: field, voice: nil) { photos, _ in try await commit(photos) }
    }

    /// The same with a voice note beside the photos (field `voice`), checked and cleaned first
    /// too: a refused note leaves nothing on disk and writes nothing.
    func keeping<T: Sendable>(
        _ uploads: [[UInt8]], field: String, voice: [UInt8]?, _ commit: ([StoredPhoto], StoredVoice?) async throws -> T
    ) async throws -> T {
        var cleaned: [(bytes: [UInt8], type: PhotoType)] = []
        for upload in uploads {
            do {
                cleaned.append(try PhotoRules.clean(upload))
            } catch {
                throw error.apiError(field: field)
            }
        }
        var note: CleanVoice?
        if let voice {
            do {
                note = try VoiceRules.clean(voice)
            } catch {
                throw error.apiError(field: "voice")
            }
        }
        let bytes = cleaned.reduce(0) { $0 + $1.bytes.count } + (note?.bytes.count ?? 0)
        if bytes > 0, let free = DiskSpace.freeBytes(at: files.directory.deletingLastPathComponent()), free - Int64(bytes) < minimumFreeBytes {
            throw APIError(
                .serviceUnavailable, code: "UNAVAILABLE",
                message: "the server has no room for photos or voice notes just now; send the report without them, or try again later",
                headers: [.retryAfter: "600"])
        }
        let files = self.files
        let ready = cleaned
        let readyNote = note
        let (staged, stagedVoice) = try await NIOThreadPool.singleton.runIfActive {
            var staged: [StagedPhoto] = []
            var stagedVoice: StagedVoice?
            do {
                for photo in ready { staged.append(try files.stage(photo.bytes, id: Digest.sha256Hex(photo.bytes), type: photo.type)) }
                if let readyNote { stagedVoice = try files.stage(readyNote, id: Digest.sha256Hex(readyNote.bytes)) }
            } catch {
                files.discard(staged)
                throw error
            }
            return (staged, stagedVoice)
        }
        let all: [any StagedFile] = staged + (stagedVoice.map { [$0] } ?? [])
        let result: T
        do {
            result = try await commit(staged.map(\.photo), stagedVoice?.voice)
        } catch {
            files.discard(all)
            throw error
        }
        // Committed: a failure to move the files in now is the sweep's to finish at the next start.
        try? await NIOThreadPool.singleton.runIfActive { try files.promote(all) }
        return result
    }
}

extension VoiceError {
    /// 415 for another format or a broken file, 413 for size or length.
    func apiError(field: String) -> APIError {
        switch self {
        case .unsupportedType:
            APIError(
                .unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE",
                message: "\(field) must be an AMR, MP3, AAC/M4A, Ogg Opus or WebM Opus recording",
                field: field)
        case .tooLarge:
            APIError(.contentTooLarge, code: "TOO_LARGE", message: "\(field) must be at most \(VoiceRules.maxBytes / 1024 / 1024) MB", field: field)
        case .tooLong(let seconds):
            APIError(
                .contentTooLarge, code: "TOO_LARGE", message: "\(field) is \(seconds) s long; at most \(VoiceRules.maxSeconds) s", field: field)
        case .malformed(let reason):
            APIError(.unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE", message: "\(field) is not a readable recording: \(reason)", field: field)
        }
    }
}

/// At most `limit` requests with uploads read and processed at once (each holds up to 16 MB
/// in memory); one more is told to come back in a moment instead of waiting in a queue.
final class UploadGate: Sendable {
    let limit: Int
    private let active = Mutex(0)

    init(limit: Int) {
        self.limit = limit
    }

    func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let admitted = active.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
        guard admitted else {
            throw APIError(
                .serviceUnavailable, code: "UNAVAILABLE", message: "too many uploads at once; try again in a few seconds",
                headers: [.retryAfter: "5"])
        }
        defer { active.withLock { $0 -= 1 } }
        return try await body()
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// A position given as `lat`, `lng` and `crs`, checked and converted to WGS-84.
enum PositionInput {
    static func parse(lat: Double, lng: Double, crs: String?) throws -> Coordinate {
        guard lat.isFinite, (-90...90).contains(lat) else { throw APIError.validation("lat must be a latitude from -90 to 90", field: "lat") }
        guard lng.isFinite, (-180...180).contains(lng) else { throw APIError.validation("lng must be a longitude from -180 to 180", field: "lng") }
        return try CheckInRoutes.coordinateSystem(crs).toWGS84(Coordinate(lat: lat, lng: lng))
    }
}
