import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PlatformArtifacts
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import TaskEngine
import _NIOFileSystem

/// VideoAnnotator's jobs: submit (streamed multipart), list, status, cancel, delete, results,
/// result files and the artifacts ZIP. `/api/v1/jobs` and `/api/v1/jobs/` are one route.
struct JobController: Sendable {
    let database: Database
    let files: JobFiles
    let submission: JobSubmission
    let artifacts: any ArtifactRecorder
    let store = JobStore()

    static let jobID = RouteParameter.path("job_id", description: "The job's id")
    static let binary = SchemaSource.schema(["type": "string", "format": "binary"])

    func register(in routes: RouteGroup) {
        routes.post(
            "", "Submit a video for annotation (multipart/form-data, streamed to storage)", .permission("annotation:job:submit"),
            description: "Parts: `video` (the file, required), `selected_pipelines` (comma-separated names or aliases; a JSON array string is accepted), `config` (a JSON object, per pipeline or shared). Invalid JSON: 400 INVALID_REQUEST; unknown pipelines or bad values: 400 INVALID_CONFIG; no video, an empty file or one that is not a video: 422.",
            body: SubmitJobForm.self, bodyContentType: "multipart/form-data",
            responses: [.error(.badRequest, "INVALID_REQUEST or INVALID_CONFIG"), .error(.contentTooLarge, "The video is too large")], use: submit)
        routes.get("", "List jobs, newest first", .permission("annotation:job:list"), query: JobListQuery.self, use: list)
        routes.get("/{job_id}", "A job's status", .permission("annotation:job:read"), parameters: [Self.jobID], use: get)
        routes.delete(
            "/{job_id}", "Delete a job (a running one is stopped) and its files", .permission("annotation:job:delete"), parameters: [Self.jobID],
            responses: [.noContent("Deleted")], use: delete)
        routes.post(
            "/{job_id}/cancel", "Cancel a job (idempotent); its tools are stopped at once", .permission("annotation:job:cancel"),
            parameters: [Self.jobID], bodyRequired: false, responses: [.error(.conflict, "JOB_ALREADY_COMPLETED: the job has finished")], use: cancel)
        routes.get(
            "/{job_id}/results", "Per-pipeline results: status, timing, annotation count, output file and download URL",
            .permission("annotation:job:read"), parameters: [Self.jobID], use: results)
        routes.get(
            "/{job_id}/results/files/{pipeline_name}", "One pipeline's output file (VideoAnnotator's file names)", .permission("annotation:job:read"),
            parameters: [Self.jobID, .path("pipeline_name", description: "A pipeline (or alias), or `speech_recognition` / `speaker_diarization`")],
            responses: [
                RouteResponse(.ok, "The file", contentType: "*/*", schema: Self.binary),
                .error(.badRequest, "INVALID_REQUEST: the pipeline has no results or no output file for this job"),
            ],
            use: resultFile)
        routes.get(
            "/{job_id}/artifacts", "A ZIP of the video and every output file (what the viewer downloads)", .permission("annotation:job:read"),
            parameters: [Self.jobID], responses: [RouteResponse(.ok, "The ZIP archive", contentType: "application/zip", schema: Self.binary)],
            use: artifacts)
    }

    /// The job named by the path, or JOB_NOT_FOUND (another tenant's ids included).
    func job(_ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> JobRow {
        let text = context.parameters.get("job_id") ?? ""
        guard let id = UUID(uuidString: text), let row = try await store.find(id, tenantID: context.principal.tenantID, in: tx) else {
            throw APIError.jobNotFound(String(text.prefix(100)))
        }
        return row
    }

    func submit(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<JobResponse> {
        let tenantID = context.principal.tenantID
        let form = try await submission.read(request, tenantID: tenantID)
        do {
            let row = try await database.withTenant(context.tenant) { tx -> JobRow? in
                var new = NewTask(taskType: AnnotationJobHandler.taskType)
                new.taskName = "Annotate \(form.filename.prefix(180))"
                new.input = ["job_id": .string(form.jobID.uuidString.lowercased())]
                new.queue = "annotation"
                new.enqueue = true
                new.maxAttempts = 3
                let task = try await TaskStore.insert(new, tenantID: tenantID, ownerID: context.principal.userID, in: tx)
                try await store.insert(
                    JobStore.NewJob(
                        id: form.jobID, taskID: task.id, videoFilename: form.filename, videoSizeBytes: form.size,
                        videoDurationSeconds: form.duration, selectedPipelines: form.selectedPipelines, config: .object(form.config)),
                    tenantID: tenantID, ownerID: context.principal.userID, in: tx)
                try await JobEvent.publish(
                    .created, jobID: form.jobID, tenantID: tenantID,
                    data: ["status": "pending", "pipelines": .array((form.selectedPipelines ?? PipelineCatalog.defaultSelection).map { .string($0) })],
                    in: tx)
                return try await store.find(form.jobID, tenantID: tenantID, in: tx)
            }
            guard let row else { throw APIError.internalError }
            return Created(JobResponse(row))
        } catch {
            try? FileManager.default.removeItem(atPath: files.folder(tenantID: tenantID, jobID: form.jobID))
            throw error
        }
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> JobListResponse {
        let query = try request.query(JobListQuery.self)
        let page = query.page ?? 1
        let perPage = query.perPage ?? 10
        var status: JobStatus?
        if let text = query.statusFilter?.trimmingCharacters(in: .whitespaces) {
            guard let parsed = JobStatus(rawValue: text.lowercased()) else {
                throw APIError.validation(["status_filter": "must be one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", "))"])
            }
            status = parsed
        }
        let filter = JobFilter(tenantID: context.principal.tenantID, status: status)
        return try await database.withTenant(context.tenant) { tx in
            let total = try await store.count(filter, in: tx)
            let rows = try await store.list(filter, limit: perPage, offset: (page - 1) * perPage, in: tx)
            return JobListResponse(jobs: rows.map(JobResponse.init), total: total, page: page, perPage: perPage)
        }
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> JobResponse {
        JobResponse(try await database.withTenant(context.tenant) { tx in try await job(context, in: tx) })
    }

    /// Cancels a job that has not finished; a cancelled one answers as it is.
    func cancelJob(_ row: JobRow, reason: String, _ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws {
        guard !row.status.isFinished else { return }
        var change = TaskStatusChange(errorMessage: reason)
        change.progress = row.progress
        _ = try await TaskStore.transition(row.taskId, tenantID: context.principal.tenantID, to: .cancelled, change: change, in: tx)
        try await JobEvent.publish(.cancelled, jobID: row.id, tenantID: context.principal.tenantID, data: ["reason": .string(reason)], in: tx)
    }

    func cancel(_ request: Request, _ context: AuthenticatedContext) async throws -> JobResponse {
        struct Body: Decodable { var reason: String? }
        let body = try? await request.decodeIfPresent(as: Body.self, context: context)
        let given = body?.reason.map { String($0.prefix(500)) } ?? ""
        let reason = given.isEmpty ? "Job cancelled by user request" : "Job cancelled by user request: \(given)"
        let row = try await database.withTenant(context.tenant) { tx -> JobRow in
            let row = try await job(context, in: tx)
            if row.status == .completed || row.status == .failed {
                throw APIError.jobAlreadyFinished(row.id.uuidString.lowercased(), status: row.status.rawValue)
            }
            try await cancelJob(row, reason: reason, context, in: tx)
            return try await store.find(row.id, tenantID: context.principal.tenantID, in: tx) ?? row
        }
        return JobResponse(row)
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let tenantID = context.principal.tenantID
        let row = try await database.withTenant(context.tenant) { tx -> JobRow in
            let row = try await job(context, in: tx)
            try await cancelJob(row, reason: "Job deleted", context, in: tx)
            try await store.delete(row.id, tenantID: tenantID, in: tx)
            // Its outputs go too: their blobs are swept once nothing else holds them.
            _ = try await artifacts.deleteAll(ofTask: row.taskId, tenantID: tenantID, in: tx)
            try await TaskStore.softDelete([row.taskId], tenantID: tenantID, in: tx)
            return row
        }
        try? FileManager.default.removeItem(atPath: files.folder(tenantID: tenantID, jobID: row.id))
        return NoContent()
    }

    func results(_ request: Request, _ context: AuthenticatedContext) async throws -> JobResultsResponse {
        let row = try await database.withTenant(context.tenant) { tx in try await job(context, in: tx) }
        let id = row.id.uuidString.lowercased()
        var results: [String: PipelineResultResponse] = [:]
        for (name, outcome) in row.pipelineResults {
            results[name] = PipelineResultResponse(
                pipelineName: outcome.pipelineName, status: outcome.status, startTime: outcome.startTime, endTime: outcome.endTime,
                processingTime: outcome.processingTime, annotationCount: outcome.annotationCount, outputFile: outcome.outputFile,
                downloadUrl: outcome.outputFile.map { _ in "/api/v1/jobs/\(id)/results/files/\(name)" }, errorMessage: outcome.errorMessage)
        }
        // Pipelines not reached yet are listed as pending.
        if !row.status.isFinished {
            for name in row.selectedPipelines ?? PipelineCatalog.defaultSelection where results[name] == nil {
                results[name] = PipelineResultResponse(pipelineName: name, status: "pending")
            }
        }
        let response = JobResponse(row)
        return JobResultsResponse(
            jobId: id, status: row.status.rawValue, pipelineResults: results, createdAt: row.createdAt, completedAt: row.completedAt,
            resultPath: response.resultPath, errorMessage: response.errorMessage)
    }

    func resultFile(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let row = try await database.withTenant(context.tenant) { tx in try await job(context, in: tx) }
        let id = row.id.uuidString.lowercased()
        let asked = context.parameters.get("pipeline_name") ?? ""
        let key = row.pipelineResults[asked] != nil ? asked : PipelineCatalog.canonical(asked) ?? asked
        guard let outcome = row.pipelineResults[key] else {
            throw APIError.invalidRequest(
                "Pipeline '\(asked.prefix(100))' results not found for job \(id)", hint: "GET /api/v1/jobs/\(id)/results lists the pipelines with results")
        }
        guard let name = outcome.outputFile else {
            throw APIError.invalidRequest(
                "No output file for pipeline '\(key)' of job \(id)", hint: "The pipeline wrote no file (nothing was found, or it failed)")
        }
        let path = "\(files.results(tenantID: context.principal.tenantID, jobID: row.id))/\(name)"
        guard let info = try await FileSystem.shared.info(forFileAt: FilePath(path)) else {
            throw APIError(.notFound, code: "OUTPUT_FILE_MISSING", message: "The output file of '\(key)' is missing from storage")
        }
        var headers: HTTPFields = [
            .contentType: Self.mediaType(name), .contentDisposition: "attachment; filename=\"\(name)\"",
        ]
        headers[.contentLength] = String(info.size)
        return Response(status: .ok, headers: headers, body: ArchiveWriter.fileBody(path, size: info.size))
    }

    static func mediaType(_ name: String) -> String {
        switch URL(fileURLWithPath: name).pathExtension.lowercased() {
        case "json": "application/json"
        case "vtt": "text/vtt; charset=utf-8"
        case "rttm", "txt", "log": "text/plain; charset=utf-8"
        case "jpg", "jpeg": "image/jpeg"
        default: "application/octet-stream"
        }
    }

    func artifacts(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let row = try await database.withTenant(context.tenant) { tx in try await job(context, in: tx) }
        let tenantID = context.principal.tenantID
        let video = files.video(tenantID: tenantID, jobID: row.id, filename: row.videoFilename)
        var entries: [ArchiveWriter.Entry] = []
        if FileManager.default.fileExists(atPath: video) { entries.append(.init(name: URL(fileURLWithPath: video).lastPathComponent, path: video)) }
        let results = files.results(tenantID: tenantID, jobID: row.id)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: results)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        for name in names { entries.append(.init(name: "results/\(name)", path: "\(results)/\(name)")) }
        let id = row.id.uuidString.lowercased()
        return Response(
            status: .ok,
            headers: [.contentType: "application/zip", .contentDisposition: "attachment; filename=\"job_\(id)_artifacts.zip\""],
            body: ArchiveWriter(entries: entries).body())
    }
}
