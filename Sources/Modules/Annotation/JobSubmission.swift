import Foundation
import Hummingbird
import MediaToolkit
import NIOCore
import PlatformHTTP
import PlatformSupport
import _NIOFileSystem

/// `POST /jobs`: the multipart form read as it arrives, the video streamed to the job's
/// folder (never held in memory), then the form fields checked.
struct JobSubmission: Sendable {
    let files: JobFiles
    let maxUploadBytes: Int64

    struct Form: Sendable {
        var jobID: UUID
        var filename: String
        var size: Int64
        var duration: Double?
        var selectedPipelines: [String]?
        var config: [String: JSONValue]
        var warnings: [PipelineCatalog.Finding]
    }

    /// Reads and checks the form; on any failure the job's folder is removed again.
    func read(_ request: Request, tenantID: UUID) async throws -> Form {
        guard let contentType = request.headers[.contentType], let boundary = MultipartReader.boundary(contentType: contentType) else {
            throw APIError.videoRequired("the body must be multipart/form-data with a `video` part")
        }
        if let length = request.headers[.contentLength].flatMap(Int64.init), length > maxUploadBytes + 1_048_576 {
            throw APIError.videoTooLarge(maxUploadBytes)
        }
        let jobID = UUID.v7()
        let folder = files.folder(tenantID: tenantID, jobID: jobID)
        do {
            return try await read(request, boundary: boundary, jobID: jobID, tenantID: tenantID)
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
    }

    func read(_ request: Request, boundary: String, jobID: UUID, tenantID: UUID) async throws -> Form {
        var reader = MultipartReader(body: request.body, boundary: boundary)
        var fields: [String: String] = [:]
        var filename: String?
        var size: Int64?
        do {
            while let part = try await reader.nextPart() {
                if part.name == "video" {
                    guard size == nil else { throw APIError.invalidRequest("Send one video per job", hint: "One `video` part per request") }
                    let name = (part.filename ?? "video.mp4").trimmingCharacters(in: .whitespacesAndNewlines)
                    filename = String((name.isEmpty ? "video.mp4" : name).prefix(255))
                    size = try await stream(&reader, to: files.video(tenantID: tenantID, jobID: jobID, filename: filename ?? "video.mp4"))
                } else if ["config", "selected_pipelines"].contains(part.name) {
                    fields[part.name] = try await reader.text(limit: 65_536)
                }
                // Other parts are skipped (read past, never kept).
            }
        } catch let malformed as MultipartReader.Malformed {
            throw APIError.invalidRequest("The multipart body could not be read: \(malformed.reason)", hint: "Send multipart/form-data with a `video` file part")
        }
        guard let filename, let size else { throw APIError.videoRequired("field required") }
        guard size > 0 else { throw APIError.videoRequired("the uploaded video is empty (0 bytes)") }

        let pipelines = try Self.pipelines(fields["selected_pipelines"])
        let config = try Self.config(fields["config"])
        var warnings: [PipelineCatalog.Finding] = []
        if !config.isEmpty {
            let checked = PipelineCatalog.validate(config, pipelines: pipelines ?? PipelineCatalog.defaultSelection)
            if !checked.errors.isEmpty {
                throw APIError.invalidConfig(
                    checked.errors.map { "\($0.pipeline): \($0.message)" + ($0.hint.map { " (\($0))" } ?? "") },
                    fields: Dictionary(checked.errors.map { ($0.field, $0.message) }, uniquingKeysWith: { first, _ in first }))
            }
            warnings = checked.warnings
        }
        let metadata: MediaMetadata
        do {
            metadata = try await MetadataProbe.probe(files.video(tenantID: tenantID, jobID: jobID, filename: filename))
        } catch let error as MediaError {
            throw APIError.videoRequired("the file is not a video that can be processed: \(AnnotationJobHandler.describe(error))")
        }
        return Form(
            jobID: jobID, filename: filename, size: size, duration: metadata.duration, selectedPipelines: pipelines, config: config,
            warnings: warnings)
    }

    /// The current part into `path`, chunk by chunk; its size.
    func stream(_ reader: inout MultipartReader, to path: String) async throws -> Int64 {
        let target = FilePath(path)
        try await FileSystem.shared.createDirectory(at: target.removingLastComponent(), withIntermediateDirectories: true)
        var size: Int64 = 0
        let limit = maxUploadBytes
        try await FileSystem.shared.withFileHandle(forWritingAt: target, options: .newFile(replaceExisting: true)) { handle in
            try await handle.withBufferedWriter { writer in
                while let chunk = try await reader.nextChunk() {
                    size += Int64(chunk.readableBytes)
                    if size > limit { throw APIError.videoTooLarge(limit) }
                    try await writer.write(contentsOf: chunk)
                }
            }
        }
        return size
    }

    /// `selected_pipelines`: comma-separated (a JSON array string is accepted too); names or
    /// aliases, canonical in the answer. Empty: nil (the default set runs).
    static func pipelines(_ text: String?) throws -> [String]? {
        guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        var names: [String]
        if text.hasPrefix("[") {
            guard let array = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
                throw APIError.invalidRequest(
                    "Invalid selected_pipelines: not a JSON array of names", hint: "Send a comma-separated list, e.g. scene_detection,face_analysis")
            }
            names = array
        } else {
            names = text.split(separator: ",").map { String($0) }
        }
        names = names.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        guard names.count <= 50 else { throw APIError.invalidRequest("At most 50 pipelines per job", hint: "Name each pipeline once") }
        let unknown = names.filter { PipelineCatalog.canonical($0) == nil }
        if !unknown.isEmpty {
            throw APIError.invalidConfig(
                unknown.map { "\($0.prefix(100)): unknown pipeline (available: \(PipelineCatalog.names.joined(separator: ", ")))" },
                fields: Dictionary(unknown.map { ("selected_pipelines.\($0.prefix(100))", "unknown pipeline") }, uniquingKeysWith: { first, _ in first }))
        }
        var seen = Set<String>()
        let canonical = names.compactMap(PipelineCatalog.canonical).filter { seen.insert($0).inserted }
        return canonical.isEmpty ? nil : canonical
    }

    /// `config`: a JSON object (per pipeline or shared); empty means none.
    static func config(_ text: String?) throws -> [String: JSONValue] {
        guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return [:] }
        let hint = "config must be a JSON object, e.g. {\"scene_detection\": {\"threshold\": 30}}"
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
            throw APIError.invalidRequest("Invalid JSON configuration", hint: hint)
        }
        switch value {
        case .object(let object): return object
        case .null: return [:]
        default: throw APIError.invalidRequest("Invalid configuration: not a JSON object", hint: hint)
        }
    }
}
