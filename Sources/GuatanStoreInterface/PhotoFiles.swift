import Foundation
import GuatanCore

/// A photo on disk, named by the SHA-256 of its (already cleaned) bytes.
public struct StoredPhoto: Sendable, Hashable {
    public var id: String
    public var type: PhotoType
    public var byteCount: Int

    public init(id: String, type: PhotoType, byteCount: Int) {
        self.id = id
        self.type = type
        self.byteCount = byteCount
    }

    var fileName: String { "\(id).\(type.fileExtension)" }
}

/// A report's voice note on disk, beside the photos: its note and the file's size.
public struct StoredVoice: Sendable, Hashable {
    public var note: VoiceNote
    public var byteCount: Int

    public init(note: VoiceNote, byteCount: Int) {
        self.note = note
        self.byteCount = byteCount
    }

    var fileName: String { "\(note.id).\(note.format.fileExtension)" }
}

/// A file written to the staging folder for a request that has not committed yet.
public protocol StagedFile: Sendable {
    var stagingName: String { get }
    /// Its name once moved into the folder.
    var fileName: String { get }
}

public struct StagedPhoto: StagedFile, Hashable {
    public var photo: StoredPhoto
    public let stagingName: String
    public var fileName: String { photo.fileName }
}

public struct StagedVoice: StagedFile, Hashable {
    public var voice: StoredVoice
    public let stagingName: String
    public var fileName: String { voice.fileName }
}

/// A staged file the sweep found, known by its name alone.
struct StagedName: StagedFile {
    let stagingName: String
    let fileName: String
}

/// The photo folder (`DATA/photos`) and its staging folder (`DATA/photo-staging`).
///
/// A photo is kept only for a request that validates and commits: it is written and synced
/// into staging first, moved into `photos/` once the transaction that refers to it has
/// committed, and removed when the request fails. A crash between the commit and the move
/// leaves a staged file that a row refers to; `sweep` moves it in at the next start, and
/// removes every other staged file and every photo no row refers to.
public struct PhotoFiles: Sendable {
    public let directory: URL
    public let staging: URL

    public init(dataDirectory: URL) {
        directory = dataDirectory.appendingPathComponent("photos", isDirectory: true)
        staging = dataDirectory.appendingPathComponent("photo-staging", isDirectory: true)
    }

    func url(_ id: String, _ type: PhotoType) -> URL {
        directory.appendingPathComponent("\(id).\(type.fileExtension)")
    }

    /// Writes the bytes durably into staging (fsync of the file and of the folder). A failure
    /// (a full disk, a read-only mount) leaves no file behind and throws `PhotoStorageError`:
    /// never the client's fault, so the service answers 503.
    public func stage(_ bytes: [UInt8], id: String, type: PhotoType) throws -> StagedPhoto {
        let photo = StoredPhoto(id: id, type: type, byteCount: bytes.count)
        return StagedPhoto(photo: photo, stagingName: try stage(bytes, fileName: photo.fileName))
    }

    /// A voice note, staged the same way.
    public func stage(_ voice: CleanVoice, id: String) throws -> StagedVoice {
        let stored = StoredVoice(note: VoiceNote(id: id, format: voice.format, milliseconds: voice.milliseconds), byteCount: voice.bytes.count)
        return StagedVoice(voice: stored, stagingName: try stage(voice.bytes, fileName: stored.fileName))
    }

    func stage(_ bytes: [UInt8], fileName: String) throws -> String {
        let name = "\(fileName).\(UUID().uuidString)"
        let target = staging.appendingPathComponent(name)
        do {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            guard FileManager.default.createFile(atPath: target.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: target.path])
            }
            let handle = try FileHandle(forWritingTo: target)
            defer { try? handle.close() }
            try handle.write(contentsOf: bytes)
            try handle.synchronize()
        } catch {
            try? FileManager.default.removeItem(at: target)
            throw PhotoStorageError(underlying: String(describing: error))
        }
        Self.syncFolder(staging)
        return name
    }

    /// After the commit: each staged file into `photos/` (a photo already there, the same bytes
    /// by its name, is kept and the staged copy dropped).
    public func promote(_ staged: [any StagedFile]) throws {
        guard !staged.isEmpty else { return }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for file in staged {
            let source = staging.appendingPathComponent(file.stagingName)
            let target = directory.appendingPathComponent(file.fileName)
            if FileManager.default.fileExists(atPath: target.path) {
                try? FileManager.default.removeItem(at: source)
            } else if rename(source.path, target.path) != 0, !FileManager.default.fileExists(atPath: target.path) {
                throw PhotoStorageError(underlying: "could not move \(file.stagingName) into photos: errno \(errno)")
            }
        }
        Self.syncFolder(directory)
    }

    /// The request failed or was refused: nothing of it stays on disk.
    public func discard(_ staged: [any StagedFile]) {
        for file in staged {
            try? FileManager.default.removeItem(at: staging.appendingPathComponent(file.stagingName))
        }
    }

    /// Removes the photos no row refers to and the staged files of requests that never
    /// committed, and moves in staged files whose row did commit. `stagedBefore` spares staged
    /// files younger than it (requests still in flight); nil at start-up, when none are.
    ///
    /// The folders are listed before the rows are read: a file reaches `photos/` only after its
    /// row has committed, so every listed photo that a row refers to is among the rows read.
    @discardableResult
    public func sweep(stagedBefore: Date?, referenced readReferences: () async throws -> Set<String>) async throws -> PhotoSweep {
        var result = PhotoSweep()
        let manager = FileManager.default
        let stagedNames = (try? manager.contentsOfDirectory(atPath: staging.path)) ?? []
        let photoNames = (try? manager.contentsOfDirectory(atPath: directory.path)) ?? []
        let referenced = try await readReferences()
        for name in stagedNames {
            let parts = name.split(separator: ".")
            let source = staging.appendingPathComponent(name)
            if let stagedBefore, let modified = (try? manager.attributesOfItem(atPath: source.path))?[.modificationDate] as? Date,
                modified > stagedBefore
            {
                continue
            }
            let known = parts.count == 3 && (PhotoType(fileExtension: String(parts[1])) != nil || VoiceFormat(fileExtension: String(parts[1])) != nil)
            if known, referenced.contains(String(parts[0])) {
                if (try? promote([StagedName(stagingName: name, fileName: "\(parts[0]).\(parts[1])")])) != nil {
                    result.movedIn += 1
                    continue
                }
            }
            if (try? manager.removeItem(at: source)) != nil { result.removed += 1 }
        }
        for name in photoNames {
            // A hidden name is a temporary file an earlier version wrote here and never finished.
            let id = name.hasPrefix(".") ? "" : name.split(separator: ".").first.map(String.init) ?? name
            guard !referenced.contains(id) else { continue }
            if (try? manager.removeItem(at: directory.appendingPathComponent(name))) != nil { result.removed += 1 }
        }
        return result
    }

    public func read(_ photo: StoredPhoto) throws -> Data {
        try Data(contentsOf: url(photo.id, photo.type))
    }

    public func read(_ voice: VoiceNote) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent("\(voice.id).\(voice.format.fileExtension)"))
    }

    static func syncFolder(_ folder: URL) {
        let descriptor = open(folder.path, O_RDONLY)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
    }
}

/// What a sweep of the photo folders did.
public struct PhotoSweep: Sendable, Equatable {
    public var removed = 0
    public var movedIn = 0
    public init() {}
}

/// The photo folder could not take a file: the disk is full or not writable just now.
public struct PhotoStorageError: Error, Sendable {
    public let underlying: String
    public init(underlying: String) {
        self.underlying = underlying
    }
}

extension PhotoType {
    init?(fileExtension: String) {
        switch fileExtension {
        case "jpg": self = .jpeg
        case "png": self = .png
        case "webp": self = .webp
        default: return nil
        }
    }
}
