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
}

/// The photo folder (`DATA/photos`). A photo is written and synced before the transaction
/// that refers to it commits, so an acknowledged write never points at a missing file; a
/// crash in between leaves at worst an unreferenced file, which harms nothing.
public struct PhotoFiles: Sendable {
    public let directory: URL

    public init(dataDirectory: URL) {
        directory = dataDirectory.appendingPathComponent("photos", isDirectory: true)
    }

    func url(_ id: String, _ type: PhotoType) -> URL {
        directory.appendingPathComponent("\(id).\(type.fileExtension)")
    }

    /// Writes the bytes durably (temporary file, fsync, rename, fsync of the folder). A
    /// failure (a full disk, a read-only mount) leaves no file behind and throws
    /// `PhotoStorageError`: never the client's fault, so the service answers 503.
    public func save(_ bytes: [UInt8], id: String, type: PhotoType) throws -> StoredPhoto {
        let target = url(id, type)
        if FileManager.default.fileExists(atPath: target.path) {
            return StoredPhoto(id: id, type: type, byteCount: bytes.count)
        }
        let temporary = directory.appendingPathComponent(".\(id).\(UUID().uuidString).tmp")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporary.path])
            }
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            try handle.write(contentsOf: bytes)
            try handle.synchronize()
            if rename(temporary.path, target.path) != 0 {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target.path])
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw PhotoStorageError(underlying: String(describing: error))
        }
        let folder = open(directory.path, O_RDONLY)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
        return StoredPhoto(id: id, type: type, byteCount: bytes.count)
    }

    public func read(_ photo: StoredPhoto) throws -> Data {
        try Data(contentsOf: url(photo.id, photo.type))
    }
}

/// The photo folder could not take a file: the disk is full or not writable just now.
public struct PhotoStorageError: Error, Sendable {
    public let underlying: String
}
