import Foundation
import Hummingbird
import MediaToolkit
import NIOCore
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport

struct DebugReport: Codable, Sendable, ResponseEncodable {
    var report: [String: JSONValue]

    init(_ report: [String: JSONValue]) { self.report = report }
    init(from decoder: any Decoder) throws { report = try [String: JSONValue](from: decoder) }
    func encode(to encoder: any Encoder) throws { try report.encode(to: encoder) }
}

struct RequestLogQuery: QueryInput {
    var limit: Int?
    static let parameterDocs: [String: QueryParameterDoc] = ["limit": .init("Maximum number of requests to return", minimum: 1, maximum: 100, default: 50)]
}

/// `/api/v1/debug/*`: platform administrators only, and never a secret in the output.
struct DebugController: Sendable {
    let database: Database
    let files: JobFiles
    let settings: PlatformConfig.Annotation
    let worker: AnnotationModule.WorkerFacts
    let requests: RequestLog
    let store = JobStore()

    static let permission = "platform:annotation:debug"

    func register(in routes: RouteGroup) {
        let access = RouteAccess.permission(Self.permission)
        routes.get("/server-info", "Server version, uptime and annotation settings (no secrets)", access, use: serverInfo)
        routes.get("/token-info", "The caller's own credential: kind, tenant, permissions", access, use: tokenInfo)
        routes.get("/pipelines", "Pipelines and whether the tools they need are installed", access, use: pipelines)
        routes.get("/jobs/{job_id}", "A job of the caller's tenant with its task, events and files", access, parameters: [JobController.jobID], use: job)
        routes.get(
            "/request-log", "Recent requests of the caller's tenant (method, path template, status, duration, request id)", access,
            query: RequestLogQuery.self, use: requestLog)
        routes.get(
            "/mock-events", "A short mock event stream for client testing (only when ANNOTATION_DEBUG_MOCK_EVENTS is on; 404 otherwise)", access,
            query: MockEventsQuery.self, responses: [.text(contentType: "text/event-stream", "Mock job events")], use: mockEvents)
        routes.get("/background-jobs", "The task engine's state for annotation jobs", access, use: backgroundJobs)
    }

    /// Platform administrators only, even when a role somehow carries the code.
    func requireAdmin(_ context: AuthenticatedContext) throws {
        guard context.principal.isPlatformAdmin else { throw APIError.forbidden(permission: Self.permission) }
    }

    func serverInfo(_ request: Request, _ context: AuthenticatedContext) async throws -> DebugReport {
        try requireAdmin(context)
        return DebugReport([
            "server": [
                "version": .string(HealthController.apiVersion), "videoannotator_api": "1.3.0",
                "started_at": .string(RFC3339.string(from: worker.startedAt)),
                "uptime_seconds": .int(Int64(Date().timeIntervalSince(worker.startedAt))),
                "process_id": .int(Int64(ProcessInfo.processInfo.processIdentifier)),
            ],
            "annotation": [
                "max_concurrent_jobs_per_tenant": .int(Int64(settings.maxConcurrentJobsPerTenant)),
                "max_upload_bytes": .int(settings.maxUploadBytes), "mock_events": .bool(settings.debugMockEvents),
                "pipelines": .array(PipelineCatalog.names.map { .string($0) }),
            ],
            "worker": ["concurrency": .int(Int64(worker.concurrency)), "poll_interval_seconds": .double(worker.pollIntervalSeconds)],
            "system": [
                "platform": .string(ProcessInfo.processInfo.operatingSystemVersionString),
                "cpu_count": .int(Int64(ProcessInfo.processInfo.activeProcessorCount)),
                "physical_memory": .int(Int64(ProcessInfo.processInfo.physicalMemory)),
            ],
        ])
    }

    func tokenInfo(_ request: Request, _ context: AuthenticatedContext) async throws -> DebugReport {
        try requireAdmin(context)
        let principal = context.principal
        var credential: [String: JSONValue]
        switch principal.credential {
        case .session(let id): credential = ["type": "access_token", "session_id": .string(id.uuidString.lowercased())]
        case .apiKey(let id): credential = ["type": "api_key", "api_key_id": .string(id.uuidString.lowercased())]
        }
        credential["valid"] = true
        return DebugReport([
            "token": .object(credential),
            "user_id": .string(principal.userID.uuidString.lowercased()), "tenant_id": .string(principal.tenantID.uuidString.lowercased()),
            "is_platform_admin": .bool(principal.isPlatformAdmin), "data_scope": .string(principal.dataScope.rawValue),
            "plan": principal.plan.map { .string($0) } ?? .null,
            "permissions": .array(principal.permissions.sorted().map { .string($0) }),
            "role_ids": .array(principal.roleIDs.map { .string($0.uuidString.lowercased()) }),
        ])
    }

    func pipelines(_ request: Request, _ context: AuthenticatedContext) async throws -> DebugReport {
        try requireAdmin(context)
        func tool(_ name: String) -> JSONValue { ["name": .string(name), "installed": .bool(Subprocess.locate(name) != nil)] }
        let needs: [String: [String]] = [
            "scene_detection": ["ffmpeg", "ffprobe"], "person_tracking": ["ffmpeg", "ffprobe"], "face_analysis": ["ffmpeg", "ffprobe"],
            "audio_processing": ["ffmpeg", "ffprobe", "pocketsphinx_continuous"], "metadata": ["ffprobe"],
        ]
        let list: [JSONValue] = PipelineCatalog.entries.map { entry in
            let name = entry.descriptor.name
            var item: [String: JSONValue] = [
                "name": .string(name), "backends": .array(entry.backends.map { .string($0) }),
                "tools": .array((needs[name] ?? []).map(tool)), "config_schema": entry.descriptor.configSchema,
            ]
            if name == "face_analysis" {
                item["models"] = [["path": .string(FaceDetector.cascadePath), "present": .bool(FileManager.default.fileExists(atPath: FaceDetector.cascadePath))]]
            }
            return .object(item)
        }
        return DebugReport(["pipelines": .array(list), "total": .int(Int64(list.count))])
    }

    func job(_ request: Request, _ context: AuthenticatedContext) async throws -> DebugReport {
        try requireAdmin(context)
        let text = context.parameters.get("job_id") ?? ""
        let tenantID = context.principal.tenantID
        let found = try await database.withTenant(context.tenant) { tx -> (JobRow, [JobStore.EventRow])? in
            guard let id = UUID(uuidString: text), let row = try await store.find(id, tenantID: tenantID, in: tx) else { return nil }
            return (row, try await store.events(jobID: row.id, taskID: row.taskId, tenantID: tenantID, in: tx))
        }
        guard let (row, events) = found else { throw APIError.jobNotFound(String(text.prefix(100))) }
        let folder = files.folder(tenantID: tenantID, jobID: row.id)
        var listed: [JSONValue] = []
        if let walker = FileManager.default.enumerator(atPath: folder) {
            for case let name as String in walker {
                let attributes = try? FileManager.default.attributesOfItem(atPath: "\(folder)/\(name)")
                guard (attributes?[.type] as? FileAttributeType) == .typeRegular else { continue }
                listed.append(["name": .string(name), "size_bytes": .int((attributes?[.size] as? NSNumber)?.int64Value ?? 0)])
            }
        }
        return DebugReport([
            "job": try JSONValue.encoded(JobResponse(row)),
            "task": [
                "task_id": .string(row.taskId.uuidString.lowercased()), "status": .string(row.taskStatus), "progress": .int(Int64(row.progress)),
                "current_step": row.currentStep.map { .string($0) } ?? .null, "attempts": .int(Int64(row.attempts)),
                "max_attempts": .int(Int64(row.maxAttempts)), "worker_id": row.workerId.map { .string($0) } ?? .null,
            ],
            "pipeline_results": try JSONValue.encoded(row.pipelineResults),
            "events": .array(events.map { event in
                ["id": .string(event.id.uuidString.lowercased()), "type": .string(event.type), "data": event.data,
                 "occurred_at": .string(RFC3339.string(from: event.occurredAt))]
            }),
            "files": .array(listed),
        ])
    }

    func requestLog(_ request: Request, _ context: AuthenticatedContext) async throws -> DebugReport {
        try requireAdmin(context)
        let limit = try request.query(RequestLogQuery.self).limit ?? 50
        let entries = requests.recent(tenantID: context.principal.tenantID, limit: limit)
        return DebugReport([
            "requests": .array(entries.map(\.json)), "total": .int(Int64(entries.count)), "capacity": .int(Int64(RequestLog.capacity)),
        ])
    }

    struct MockEventsQuery: QueryInput {
        var token: String?
        var jobId: String?
        static let parameterDocs: [String: QueryParameterDoc] = [
            "token": .init("Ignored (the request is authenticated by its header)", maxLength: 500),
            "job_id": .init("The job id the mock events name", maxLength: 100),
        ]
    }

    func mockEvents(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        try requireAdmin(context)
        guard settings.debugMockEvents else {
            throw APIError(.notFound, code: "NOT_FOUND", message: "Mock events are off", hint: "Set ANNOTATION_DEBUG_MOCK_EVENTS=true to serve them")
        }
        let query = try request.query(MockEventsQuery.self)
        let jobID = query.jobId ?? "mock-job"
        let steps: [(String, JSONValue)] = [
            ("job.started", ["job_id": .string(jobID), "mock": true]),
            ("job.pipeline_completed", ["job_id": .string(jobID), "pipeline": "scene_detection", "progress": 50, "mock": true]),
            ("job.pipeline_completed", ["job_id": .string(jobID), "pipeline": "audio_processing", "progress": 100, "mock": true]),
            ("job.completed", ["job_id": .string(jobID), "progress": 100, "mock": true]),
        ]
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: ": mock events (ANNOTATION_DEBUG_MOCK_EVENTS)\n\n"))
            for (index, step) in steps.enumerated() {
                try await Task.sleep(for: .milliseconds(200))
                try await writer.write(ByteBuffer(string: "id: mock-\(index + 1)\n" + EventStreamResponse.frame(event: step.0, data: step.1)))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    func backgroundJobs(_ request: Request, _ context: AuthenticatedContext) async throws -> DebugReport {
        try requireAdmin(context)
        let engine = try await database.withPlatformScope { tx in try await store.engine(in: tx) }
        return DebugReport([
            "background_processing": [
                "running": .bool(worker.concurrency > 0 || !engine.workers.isEmpty), "concurrent_jobs": .int(Int64(engine.running)),
                "queued_jobs": .int(Int64(engine.queued)), "max_concurrent_jobs": .int(Int64(settings.maxConcurrentJobsPerTenant)),
                "max_concurrent_jobs_scope": "tenant", "poll_interval": .double(worker.pollIntervalSeconds),
                "this_process_worker_slots": .int(Int64(worker.concurrency)),
                "workers": .array(engine.workers.map { .string($0) }),
            ],
        ])
    }
}
