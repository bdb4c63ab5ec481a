import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// VideoAnnotator's job statuses, derived from the task's (see `JobStore.statusSQL`).
enum JobStatus: String, Codable, Sendable, CaseIterable {
    case pending, running, completed, failed, cancelled, retrying

    var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }
}

/// One pipeline's outcome inside a job, as stored in `annotation_jobs.pipeline_results`.
struct PipelineOutcome: Codable, Sendable, Equatable {
    var pipelineName: String
    var status: String
    var startTime: Date?
    var endTime: Date?
    var processingTime: Double?
    var annotationCount: Int?
    /// The file's name inside the job's results folder.
    var outputFile: String?
    var errorMessage: String?
}

/// A job row joined with its task.
struct JobRow: Decodable, Sendable {
    var id: UUID
    var taskId: UUID
    var ownerId: UUID?
    var status: JobStatus
    var taskStatus: String
    var progress: Int
    var currentStep: String?
    var attempts: Int
    var maxAttempts: Int
    var workerId: String?
    var videoFilename: String
    var videoSizeBytes: Int64
    var videoDurationSeconds: Double?
    var selectedPipelines: [String]?
    var config: JSONValue
    var pipelineResults: [String: PipelineOutcome]
    var jobError: String?
    var taskError: String?
    var createdAt: Date
    var startedAt: Date?
    var completedAt: Date?
}

/// `JobResponse` of the seed, plus progress fields of our own.
struct JobResponse: Codable, Sendable, ResponseEncodable {
    var id: String
    var status: String
    var videoPath: String?
    var videoFilename: String?
    var videoSizeBytes: Int64?
    var videoDurationSeconds: Int?
    var config: JSONValue?
    var selectedPipelines: [String]?
    var createdAt: Date?
    var completedAt: Date?
    var errorMessage: String?
    var resultPath: String?
    var storagePath: String?
    var startedAt: Date?
    var progress: Int?
    var currentStep: String?
    var attempts: Int?
    /// The task that runs the job (its artifacts hang on it).
    var taskId: String?

    init(_ row: JobRow) {
        id = row.id.uuidString.lowercased()
        status = row.status.rawValue
        let folder = JobFiles.relativeFolder(row.id)
        storagePath = folder
        videoPath = "\(folder)/\(JobFiles.safeName(row.videoFilename))"
        videoFilename = row.videoFilename
        videoSizeBytes = row.videoSizeBytes
        videoDurationSeconds = row.videoDurationSeconds.map { Int($0.rounded()) }
        config = row.config
        selectedPipelines = row.selectedPipelines
        createdAt = row.createdAt
        completedAt = row.completedAt
        errorMessage = JobResponse.errorMessage(row)
        resultPath = row.status == .completed || !row.pipelineResults.isEmpty ? "\(folder)/results" : nil
        startedAt = row.startedAt
        progress = row.progress
        currentStep = row.currentStep
        attempts = row.attempts
        taskId = row.taskId.uuidString.lowercased()
    }

    static func errorMessage(_ row: JobRow) -> String? {
        switch row.status {
        case .completed: row.jobError
        case .failed, .cancelled, .retrying: row.taskError ?? row.jobError
        default: nil
        }
    }
}

struct JobListResponse: Codable, Sendable, ResponseEncodable {
    var jobs: [JobResponse]
    var total: Int
    var page: Int
    var perPage: Int
}

struct PipelineResultResponse: Codable, Sendable {
    var pipelineName: String
    var status: String
    var startTime: Date?
    var endTime: Date?
    var processingTime: Double?
    var annotationCount: Int?
    var outputFile: String?
    var downloadUrl: String?
    var errorMessage: String?
}

struct JobResultsResponse: Codable, Sendable, ResponseEncodable {
    var jobId: String
    var status: String
    var pipelineResults: [String: PipelineResultResponse]
    var createdAt: Date?
    var completedAt: Date?
    var resultPath: String?
    var errorMessage: String?
}

struct JobListQuery: QueryInput {
    var page: Int?
    var perPage: Int?
    var statusFilter: String?
    static let parameterDocs: [String: QueryParameterDoc] = [
        "page": .init("Page number, from 1", minimum: 1, maximum: 1_000_000, default: 1),
        "per_page": .init("Jobs per page", minimum: 1, maximum: 100, default: 10),
        "status_filter": .init(
            "Only jobs in this status", maxLength: 20,
            schema: ["enum": .array(JobStatus.allCases.map { .string($0.rawValue) })]),
    ]
}

/// The multipart form of `POST /jobs`, for the documentation.
struct SubmitJobForm: Codable, Sendable {
    var video: String
    var config: String?
    var selectedPipelines: String?
}

struct CancelResponse: Codable, Sendable, ResponseEncodable {
    var id: String
    var status: String
}

/// VideoAnnotator's error codes and hints on these routes.
extension APIError {
    static func jobNotFound(_ id: String) -> APIError {
        APIError(
            .notFound, code: "JOB_NOT_FOUND", message: "Job \(id) not found",
            hint: "List your jobs with GET /api/v1/jobs (or `videoannotator job list`)", details: ["job_id": .string(id)])
    }

    static func pipelineNotFound(_ name: String) -> APIError {
        APIError(
            .notFound, code: "PIPELINE_NOT_FOUND", message: "Pipeline '\(name)' not found",
            hint: "Run 'videoannotator pipelines --detailed' or GET /api/v1/pipelines for the available pipelines",
            details: ["pipeline_name": .string(name), "available_pipelines": .array(PipelineCatalog.names.map { .string($0) })])
    }

    static func invalidRequest(_ message: String, hint: String) -> APIError {
        APIError(.badRequest, code: "INVALID_REQUEST", message: message, hint: hint)
    }

    static func invalidConfig(_ problems: [String], fields: [String: String]) -> APIError {
        APIError(
            .badRequest, code: "INVALID_CONFIG", message: "Configuration validation failed: " + problems.joined(separator: "; "),
            hint: "Available pipelines: \(PipelineCatalog.names.joined(separator: ", ")); see GET /api/v1/pipelines/{name} for each one's settings",
            details: ["fields": .object(fields.mapValues { .string($0) })])
    }

    static func jobAlreadyFinished(_ id: String, status: String) -> APIError {
        APIError(
            .conflict, code: "JOB_ALREADY_COMPLETED", message: "Cannot cancel job \(id) in \(status) state",
            hint: "Only pending, retrying or running jobs can be cancelled", details: ["job_id": .string(id), "status": .string(status)])
    }

    static func videoRequired(_ why: String) -> APIError {
        APIError(
            .unprocessableContent, code: "VALIDATION_ERROR", message: "The video is missing or unusable: \(why)",
            hint: "Send the video as the multipart part `video`",
            details: ["fields": ["video": .string(why)]])
    }

    static func videoTooLarge(_ limit: Int64) -> APIError {
        APIError(.contentTooLarge, code: "PAYLOAD_TOO_LARGE", message: "The video is larger than \(limit) bytes", hint: "Set ANNOTATION_MAX_UPLOAD_BYTES to allow larger videos")
    }
}

extension JSONValue {
    /// Any Encodable as a JSON value, with the platform's conventions.
    static func encoded(_ value: some Encodable) throws -> JSONValue {
        try PlatformJSON.makeDecoder().decode(JSONValue.self, from: PlatformJSON.makeEncoder().encode(value))
    }
}
