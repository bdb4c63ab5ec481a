import Foundation
import NIOCore
import PlatformArtifacts
import PlatformDatabase
import PlatformServices
import PlatformSupport
import _NIOFileSystem

/// A finished job's outputs as artifacts of its task, so the media library and workflows find
/// them: each file is also kept in the tenant's content-addressed blob storage (the artifact
/// holds that blob), one `result` artifact per output named by its pipeline (`node_key`).
struct JobOutputs: Sendable {
    let storage: any BlobStorage
    let artifacts: any ArtifactRecorder

    static func namespace(_ tenantID: UUID) -> String { tenantID.uuidString.lowercased() }

    /// Streams each completed output into blob storage; the stored blobs by result name.
    func store(_ outcomes: [String: PipelineOutcome], directory: String, tenantID: UUID) async throws -> [String: StoredBlob] {
        var stored: [String: StoredBlob] = [:]
        for (name, outcome) in outcomes.sorted(by: { $0.key < $1.key }) where outcome.status == "completed" {
            guard let file = outcome.outputFile else { continue }
            let path = FilePath("\(directory)/\(file)")
            guard try await FileSystem.shared.info(forFileAt: path) != nil else { continue }
            stored[name] = try await FileSystem.shared.withFileHandle(forReadingAt: path) { handle in
                var chunks = handle.readChunks(chunkLength: .kibibytes(256)).makeAsyncIterator()
                return try await storage.store(namespace: Self.namespace(tenantID), maxBytes: .max) { try await chunks.next() }
            }
        }
        return stored
    }

    /// Records the artifacts (once per output: a retried job does not record them again).
    func record(
        _ blobs: [String: StoredBlob], outcomes: [String: PipelineOutcome], jobID: UUID, taskID: UUID, tenantID: UUID, in tx: DatabaseTransaction
    ) async throws {
        let existing = Set(try await artifacts.artifacts(ofTask: taskID, tenantID: tenantID, type: .result, in: tx).compactMap(\.nodeKey))
        let job = jobID.uuidString.lowercased()
        for (name, blob) in blobs.sorted(by: { $0.key < $1.key }) where !existing.contains(name) {
            guard let outcome = outcomes[name], let file = outcome.outputFile else { continue }
            let data: JSONValue = [
                "job_id": .string(job), "pipeline": .string(name), "output_file": .string(file),
                "format": .string(URL(fileURLWithPath: file).pathExtension.lowercased()),
                "annotation_count": outcome.annotationCount.map { .int(Int64($0)) } ?? .null,
                "download_url": .string("/api/v1/jobs/\(job)/results/files/\(name)"),
            ]
            _ = try await artifacts.record(
                NewArtifact(
                    taskID: taskID, type: .result, data: data, nodeKey: name,
                    blob: ArtifactBlob(sha256: blob.sha256, size: blob.size, contentType: JobController.mediaType(file), filename: file)),
                tenantID: tenantID, in: tx)
        }
    }
}
