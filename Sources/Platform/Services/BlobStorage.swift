import Crypto
import Foundation
import Hummingbird
import NIOCore
import PlatformSupport
import _NIOFileSystem

/// Content-addressed storage: a namespace (a tenant) names bytes by their SHA-256.
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
    /// The same bytes were already stored under this namespace.
    public var deduplicated: Bool
}

public struct BlobTooLarge: Error, Sendable {
    public var limit: Int64
}

/// A file-system call on the blob storage failed (not the caller's input).
public struct BlobStorageError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var code: Int32
    public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
}

/// Blobs on the local disk. A tenant's name for its content is
/// `<root>/blobs/<namespace>/<2 hex>/<sha256>`; every such name is a hard link to the one
/// copy under `<root>/blobs/shared/`, so the same bytes are stored once whatever the number of
/// tenants holding them, while each tenant's names, reference counts and sweeps stay its own.
/// Nothing observable tells a tenant that another holds the same bytes: an upload is read and
/// hashed in full either way, and `deduplicated` is answered from the tenant's own names only.
/// Uploads go to `<root>/tmp` first and are linked into place only once complete.
public struct LocalDiskBlobStorage: BlobStorage {
    public let root: String
    let fileSystem = FileSystem.shared

    /// The folder of the canonical copies (not a tenant id, so no namespace can collide with it).
    public static let sharedNamespace = "shared"

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

    /// The canonical copy every tenant's name for these bytes links to.
    public func sharedPath(sha256: String) -> String {
        path(namespace: Self.sharedNamespace, sha256: sha256)
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
        defer { unlink(temporary.string) }
        let sha256 = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        let name = path(namespace: namespace, sha256: sha256)
        // Touching the name both proves it exists and tells a concurrent sweep it is in use
        // (the sweep re-checks the time after moving a name aside, and puts it back if fresh).
        if Self.touch(name) { return StoredBlob(sha256: sha256, size: size, deduplicated: true) }
        try await fileSystem.createDirectory(at: FilePath(name).removingLastComponent(), withIntermediateDirectories: true)
        let shared = sharedPath(sha256: sha256)
        // Another tenant's copy, when there is one; else this upload becomes the copy.
        if Self.touch(shared) {
            switch Self.hardLink(shared, name) {
            case .linked: return StoredBlob(sha256: sha256, size: size, deduplicated: false)
            case .exists: return StoredBlob(sha256: sha256, size: size, deduplicated: true)
            case .failed: break  // The copy went meanwhile (swept): keep this upload's bytes.
            }
        }
        switch Self.hardLink(temporary.string, name) {
        case .linked: break
        case .exists: return StoredBlob(sha256: sha256, size: size, deduplicated: true)  // The same bytes arrived concurrently.
        case .failed(let code): throw BlobStorageError(operation: "link", path: name, code: code)
        }
        try await fileSystem.createDirectory(at: FilePath(shared).removingLastComponent(), withIntermediateDirectories: true)
        _ = Self.hardLink(temporary.string, shared)  // Sharing is an optimisation: the tenant's name already holds the bytes.
        return StoredBlob(sha256: sha256, size: size, deduplicated: false)
    }

    enum LinkOutcome: Equatable {
        case linked, exists
        case failed(Int32)
    }

    static func hardLink(_ from: String, _ to: String) -> LinkOutcome {
        if link(from, to) == 0 { return .linked }
        return errno == EEXIST ? .exists : .failed(errno)
    }

    /// Sets the modification time to now; false when there is no such file.
    static func touch(_ path: String) -> Bool {
        utimes(path, nil) == 0
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
