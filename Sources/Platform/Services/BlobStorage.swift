import Crypto
import Foundation
import Hummingbird
import NIOCore
import PlatformSupport
import _NIOFileSystem

/// Content-addressed storage: bytes are kept once per namespace (a tenant) under their SHA-256.
public protocol BlobStorage: Sendable {
    /// Streams chunks from `next` into storage, hashing them on the way in. Nothing is kept if
    /// `next` throws, the stream ends early, or more than `maxBytes` arrive (`BlobTooLarge`).
    func store(namespace: String, maxBytes: Int64, next: () async throws -> ByteBuffer?) async throws -> StoredBlob
    /// The bytes of a stored blob (a byte range of it), as a streaming response body.
    func read(namespace: String, sha256: String, range: ClosedRange<Int64>?) async throws -> ResponseBody
    func exists(namespace: String, sha256: String) async throws -> Bool
}

public struct StoredBlob: Sendable, Equatable {
    public var sha256: String
    public var size: Int64
    /// The same bytes were already stored in this namespace (nothing new was written).
    public var deduplicated: Bool
}

public struct BlobTooLarge: Error, Sendable {
    public var limit: Int64
}

/// Blobs on the local disk: `<root>/blobs/<namespace>/<2 hex>/<sha256>`; uploads go to
/// `<root>/tmp` first and are renamed into place only once complete.
public struct LocalDiskBlobStorage: BlobStorage {
    public let root: String
    let fileSystem = FileSystem.shared

    public init(root: String) {
        self.root = root
    }

    func path(namespace: String, sha256: String) -> String {
        "\(root)/blobs/\(namespace)/\(sha256.prefix(2))/\(sha256)"
    }

    /// Where a blob lives on disk, for tools that read files by path (ffprobe).
    public func localPath(namespace: String, sha256: String) -> String {
        path(namespace: namespace, sha256: sha256)
    }

    public func store(namespace: String, maxBytes: Int64, next: () async throws -> ByteBuffer?) async throws -> StoredBlob {
        try await fileSystem.createDirectory(at: FilePath("\(root)/tmp"), withIntermediateDirectories: true)
        let temporary = FilePath("\(root)/tmp/\(UUID().uuidString.lowercased()).part")
        var hasher = SHA256()
        var size: Int64 = 0
        do {
            try await fileSystem.withFileHandle(forWritingAt: temporary, options: .newFile(replaceExisting: false)) { handle in
                try await handle.withBufferedWriter { writer in
                    while let chunk = try await next() {
                        size += Int64(chunk.readableBytes)
                        if size > maxBytes { throw BlobTooLarge(limit: maxBytes) }
                        chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                        try await writer.write(contentsOf: chunk)
                    }
                }
            }
        } catch {
            _ = try? await fileSystem.removeItem(at: temporary)
            throw error
        }
        let sha256 = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        let final = FilePath(path(namespace: namespace, sha256: sha256))
        if try await fileSystem.info(forFileAt: final) != nil {
            _ = try? await fileSystem.removeItem(at: temporary)
            return StoredBlob(sha256: sha256, size: size, deduplicated: true)
        }
        do {
            try await fileSystem.createDirectory(at: final.removingLastComponent(), withIntermediateDirectories: true)
            try await fileSystem.moveItem(at: temporary, to: final)
        } catch {
            _ = try? await fileSystem.removeItem(at: temporary)
            // Another upload of the same bytes got there first.
            if try await fileSystem.info(forFileAt: final) != nil { return StoredBlob(sha256: sha256, size: size, deduplicated: true) }
            throw error
        }
        return StoredBlob(sha256: sha256, size: size, deduplicated: false)
    }

    public func read(namespace: String, sha256: String, range: ClosedRange<Int64>?) async throws -> ResponseBody {
        let path = FilePath(path(namespace: namespace, sha256: sha256))
        guard let info = try await fileSystem.info(forFileAt: path) else { throw APIError.notFound("File content", code: "FILE_CONTENT_MISSING") }
        let whole: ClosedRange<Int64> = 0...max(info.size - 1, 0)
        let wanted = range ?? whole
        guard info.size > 0 else { return ResponseBody() }
        let fileSystem = self.fileSystem
        return ResponseBody(contentLength: Int(wanted.count)) { writer in
            try await fileSystem.withFileHandle(forReadingAt: path) { handle in
                for try await chunk in handle.readChunks(in: wanted, chunkLength: .kibibytes(128)) {
                    try await writer.write(chunk)
                }
            }
            try await writer.finish(nil)
        }
    }

    public func exists(namespace: String, sha256: String) async throws -> Bool {
        try await fileSystem.info(forFileAt: FilePath(path(namespace: namespace, sha256: sha256))) != nil
    }

    /// Removes upload leftovers of processes that died mid-upload.
    public func removeStaleUploads(olderThan age: TimeInterval = 3600) async {
        let directory = URL(fileURLWithPath: "\(root)/tmp")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names where name.hasSuffix(".part") {
            let file = directory.appendingPathComponent(name)
            if let modified = (try? FileManager.default.attributesOfItem(atPath: file.path))?[.modificationDate] as? Date,
                Date().timeIntervalSince(modified) > age
            {
                try? FileManager.default.removeItem(at: file)
            }
        }
    }
}
