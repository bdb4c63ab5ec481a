import Foundation
import PlatformArtifacts
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import TaskEngine

/// The `annotation` rows of routes.tsv: VideoAnnotator's v1.3.0 API (jobs, pipelines, config
/// validation, system metrics, debug) on the media toolkit and the task engine.
public struct AnnotationModule: Sendable {
    let database: Database
    let files: JobFiles
    let settings: PlatformConfig.Annotation
    let worker: WorkerFacts
    let outputs: JobOutputs
    let requests = RequestLog()

    /// What the debug and health reports say about this process's task worker.
    public struct WorkerFacts: Sendable {
        public var concurrency: Int
        public var pollIntervalSeconds: Double
        public var startedAt: Date
        public init(concurrency: Int, pollIntervalSeconds: Double, startedAt: Date = Date()) {
            self.concurrency = concurrency
            self.pollIntervalSeconds = pollIntervalSeconds
            self.startedAt = startedAt
        }
    }

    /// - Parameters:
    ///   - storage: where each output is also kept, content-addressed, for the artifact that names it.
    ///   - artifacts: each job output becomes an artifact of the job's task.
    public init(
        database: Database, storageDirectory: String, settings: PlatformConfig.Annotation, storage: any BlobStorage,
        artifacts: any ArtifactRecorder, worker: WorkerFacts
    ) {
        self.database = database
        self.outputs = JobOutputs(storage: storage, artifacts: artifacts)
        self.files = JobFiles(root: storageDirectory)
        self.settings = settings
        self.worker = worker
    }

    public func register(handlers: inout TaskHandlerRegistry) {
        handlers.register(
            AnnotationJobHandler.taskType,
            AnnotationJobHandler(database: database, files: files, maxConcurrentJobs: settings.maxConcurrentJobsPerTenant, outputs: outputs),
            createdByModule: true)
    }

    /// Announces `job.completed` and `job.failed` once the job's task has ended.
    public var eventConsumer: any EventConsumer { JobCompletionAnnouncer() }

    /// Feeds `GET /api/v1/debug/request-log`; add it after authentication.
    public var requestLogMiddleware: RequestLogMiddleware { RequestLogMiddleware(log: requests) }

    /// Workers and services for `/api/v1/system/health`.
    public var healthReporter: any SystemHealthReporter {
        AnnotationHealthReporter(database: database, worker: worker, maxConcurrentJobs: settings.maxConcurrentJobsPerTenant)
    }

    public func register(in registry: RouteRegistry) {
        JobController(
            database: database, files: files, submission: JobSubmission(files: files, maxUploadBytes: settings.maxUploadBytes),
            artifacts: outputs.artifacts)
            .register(in: registry.group("/api/v1/jobs", tag: "annotation"))
        PipelineController().register(
            pipelines: registry.group("/api/v1/pipelines", tag: "annotation"), config: registry.group("/api/v1/config", tag: "annotation"))
        SystemController(database: database).register(in: registry.group("/api/v1/system", tag: "annotation"))
        DebugController(database: database, files: files, settings: settings, worker: worker, requests: requests)
            .register(in: registry.group("/api/v1/debug", tag: "annotation debug"))
    }
}
