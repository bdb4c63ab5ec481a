import Foundation
import Logging
import PlatformDatabase
import ServiceLifecycle

/// Removes blobs nothing references any more, after a grace period: those whose reference count
/// (`stored_blobs`) fell to zero, and files under the storage that no row knows (left by uploads
/// that stored content and then failed). A blob touched within the grace period (a new upload,
/// or a deduplicated one) is kept. Runs in every `serve` and `worker`; instances skip each
/// other's rows (`FOR UPDATE SKIP LOCKED`).
public final class BlobSweeper: Service {
    let database: Database
    let storage: LocalDiskBlobStorage
    let graceSeconds: Int
    let interval: Duration
    let logger: Logger
    let store = StoredBlobStore()

    public init(database: Database, storage: LocalDiskBlobStorage, graceSeconds: Int = 86_400, interval: Duration = .seconds(3600), logger: Logger) {
        self.database = database
        self.storage = storage
        self.graceSeconds = graceSeconds
        self.interval = interval
        self.logger = logger
    }

    public struct Report: Sendable, Equatable {
        public var unreferenced = 0
        public var orphans = 0
    }

    /// One pass; returns how many blobs went.
    @discardableResult
    public func sweep(graceSeconds: Int? = nil) async throws -> Report {
        let grace = graceSeconds ?? self.graceSeconds
        let cutoff = Date().addingTimeInterval(-TimeInterval(grace))
        var report = Report()
        while true {
            let (seen, removed) = try await database.withPlatformScope { tx -> (Int, Int) in
                let candidates = try await store.unreferenced(graceSeconds: grace, limit: 200, in: tx)
                var removed = 0
                for candidate in candidates {
                    let path = storage.localPath(namespace: candidate.tenantId.uuidString.lowercased(), sha256: candidate.sha256)
                    // A deduplicated upload touches the blob: recent content is kept for a later pass.
                    guard retire(path, cutoff: cutoff) else { continue }
                    try await store.forget(candidate, in: tx)
                    releaseShared(candidate.sha256, cutoff: cutoff)
                    removed += 1
                }
                return (candidates.count, removed)
            }
            report.unreferenced += removed
            if seen < 200 || removed == 0 { break }
        }
        report.orphans = try await sweepOrphans(cutoff: cutoff)
        return report
    }

    /// Removes a tenant's name for a blob unless it was touched since `cutoff`; true when the
    /// name is gone. The name is first moved aside atomically and its time read afterwards: an
    /// upload that touched it before the move is seen (and the name put back), one after the
    /// move finds no name and stores its own bytes. So no upload can count on a name this removes.
    func retire(_ path: String, cutoff: Date) -> Bool {
        let aside = "\(storage.root)/tmp/\(UUID().uuidString.lowercased()).sweep"
        guard rename(path, aside) == 0 else { return errno == ENOENT }
        if let status = Self.status(aside), status.modified >= cutoff {
            _ = link(aside, path)  // Back in place (or a new upload put the same bytes there meanwhile).
            unlink(aside)
            return false
        }
        unlink(aside)
        return true
    }

    /// Removes the shared copy of `sha256` once no tenant's name links to it any more and it is
    /// past the grace period. A tenant linking to it concurrently either raises the link count
    /// before the copy is moved aside (and it is put back) or finds it gone and stores its own.
    func releaseShared(_ sha256: String, cutoff: Date) {
        let shared = storage.sharedPath(sha256: sha256)
        guard let status = Self.status(shared), status.links == 1, status.modified < cutoff else { return }
        let aside = "\(storage.root)/tmp/\(UUID().uuidString.lowercased()).sweep"
        guard rename(shared, aside) == 0 else { return }
        if let moved = Self.status(aside), moved.links > 1 || moved.modified >= cutoff { _ = link(aside, shared) }
        unlink(aside)
    }

    /// Files under `blobs/<tenant>/` that no `stored_blobs` row names, older than the cutoff,
    /// and shared copies no tenant links to any more.
    func sweepOrphans(cutoff: Date) async throws -> Int {
        let root = "\(storage.root)/blobs"
        let manager = FileManager.default
        var removed = 0
        for namespace in (try? manager.contentsOfDirectory(atPath: root)) ?? [] {
            if namespace == LocalDiskBlobStorage.sharedNamespace {
                for (hash, _) in Self.blobs(in: "\(root)/\(namespace)") { releaseShared(hash, cutoff: cutoff) }
                continue
            }
            guard let tenantID = UUID(uuidString: namespace) else { continue }
            let old = Self.blobs(in: "\(root)/\(namespace)").filter { (Self.status($0.value)?.modified ?? cutoff) < cutoff }
            guard !old.isEmpty else { continue }
            let known = try await database.withPlatformScope { tx in try await store.known(Array(old.keys), tenantID: tenantID, in: tx) }
            for (hash, path) in old where !known.contains(hash) {
                if retire(path, cutoff: cutoff) {
                    removed += 1
                    releaseShared(hash, cutoff: cutoff)
                }
            }
        }
        return removed
    }

    /// The blobs under a namespace folder: hash -> path.
    static func blobs(in folder: String) -> [String: String] {
        let manager = FileManager.default
        var found: [String: String] = [:]
        for prefix in (try? manager.contentsOfDirectory(atPath: folder)) ?? [] {
            for name in (try? manager.contentsOfDirectory(atPath: "\(folder)/\(prefix)")) ?? [] where name.wholeMatch(of: /[0-9a-f]{64}/) != nil {
                found[name] = "\(folder)/\(prefix)/\(name)"
            }
        }
        return found
    }

    /// A file's modification time and link count.
    static func status(_ path: String) -> (modified: Date, links: Int)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec) + TimeInterval(info.st_mtim.tv_nsec) / 1e9)
        return (modified, Int(info.st_nlink))
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let report = try await self.sweep()
                    if report.unreferenced + report.orphans > 0 {
                        self.logger.info("swept unreferenced blobs", metadata: ["unreferenced": "\(report.unreferenced)", "orphans": "\(report.orphans)"])
                    }
                } catch {
                    if !Task.isCancelled { self.logger.warning("sweeping blobs failed: \(String(reflecting: error))") }
                }
                try? await Task.sleep(for: self.interval)
            }
        }
    }
}
