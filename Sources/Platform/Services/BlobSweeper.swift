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
                    if let modified = Self.modified(path), modified > cutoff { continue }
                    try? FileManager.default.removeItem(atPath: path)
                    try await store.forget(candidate, in: tx)
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

    /// Files under `blobs/<tenant>/` that no `stored_blobs` row names, older than the cutoff.
    func sweepOrphans(cutoff: Date) async throws -> Int {
        let root = "\(storage.root)/blobs"
        let manager = FileManager.default
        var removed = 0
        for namespace in (try? manager.contentsOfDirectory(atPath: root)) ?? [] {
            guard let tenantID = UUID(uuidString: namespace) else { continue }
            var old: [String: String] = [:]
            for prefix in (try? manager.contentsOfDirectory(atPath: "\(root)/\(namespace)")) ?? [] {
                for name in (try? manager.contentsOfDirectory(atPath: "\(root)/\(namespace)/\(prefix)")) ?? []
                where name.wholeMatch(of: /[0-9a-f]{64}/) != nil {
                    let path = "\(root)/\(namespace)/\(prefix)/\(name)"
                    if let modified = Self.modified(path), modified < cutoff { old[name] = path }
                }
            }
            guard !old.isEmpty else { continue }
            let known = try await database.withPlatformScope { tx in try await store.known(Array(old.keys), tenantID: tenantID, in: tx) }
            for (hash, path) in old where !known.contains(hash) {
                if (try? manager.removeItem(atPath: path)) != nil { removed += 1 }
            }
        }
        return removed
    }

    static func modified(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
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
