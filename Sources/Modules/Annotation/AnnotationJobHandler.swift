import Foundation
import Logging
import MediaToolkit
import PlatformDatabase
import PlatformSupport
import Synchronization
import TaskEngine

/// Runs a job on the task engine: its pipelines one after another, each pipeline's outcome
/// recorded as it ends, progress reported (and published as `job.*` events) while they run.
/// A pipeline that fails leaves the others' results; the job fails only if all of them do.
struct AnnotationJobHandler: TaskHandler {
    static let taskType = "annotation.job"

    let database: Database
    let files: JobFiles
    let maxConcurrentJobs: Int
    let outputs: JobOutputs
    let store = JobStore()
    let logger = Logger(label: "platform.annotation")

    func run(_ job: TaskJob) async throws -> JSONValue? {
        let task = job.task
        let tenantID = task.tenantId
        let scope = job.tenantScope
        guard let row = try await database.withTenant(scope, { tx in try await store.find(taskID: task.id, tenantID: tenantID, in: tx) }) else {
            throw TaskFailure("the job's record is gone", retryable: false)
        }
        // A slot of the tenant's concurrent jobs, or back to the queue for a while.
        let busy = try await database.withTenant(scope) { tx in
            try await store.takeSlot(jobID: row.id, tenantID: tenantID, worker: job.workerID, limit: maxConcurrentJobs, in: tx)
        }
        if let busy {
            throw TaskDeferral(
                until: Date().addingTimeInterval(Double.random(in: 1.0...2.0)),
                reason: "waiting: \(busy) of the tenant's \(maxConcurrentJobs) job slots are in use")
        }
        let video = files.video(tenantID: tenantID, jobID: row.id, filename: row.videoFilename)
        guard FileManager.default.fileExists(atPath: video) else { throw TaskFailure("the job's video is missing from storage", retryable: false) }
        let directory = files.results(tenantID: tenantID, jobID: row.id)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let pipelines = row.selectedPipelines.flatMap { $0.isEmpty ? nil : $0 } ?? PipelineCatalog.defaultSelection
        let config: [String: JSONValue]
        if case .object(let object) = row.config { config = object } else { config = [:] }

        try await publish(.started, row.id, tenantID: tenantID, scope: scope, data: ["attempt": .int(Int64(task.attempts)), "pipelines": .array(pipelines.map { .string($0) })])
        var outcomes = row.pipelineResults
        let runner = PipelineRunner(video: video, directory: directory)
        let fraction = Mutex((index: 0, part: 0.0, name: pipelines.first ?? ""))
        // Progress goes to the task (renewing its lease) once a second, not per tool line.
        let reporter = Task {
            var last = -1
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                let (index, part, name) = fraction.withLock { ($0.index, $0.part, $0.name) }
                let percent = Int((Double(index) + part) / Double(max(pipelines.count, 1)) * 100)
                if percent != last {
                    last = percent
                    try? await job.progress(min(percent, 99), step: "running \(name)")
                }
            }
        }
        defer { reporter.cancel() }
        for (index, pipeline) in pipelines.enumerated() {
            try Task.checkCancellation()
            // Finished on an earlier attempt: kept, not run again.
            if let done = outcomes[pipeline], done.status == "completed" { continue }
            fraction.withLock { $0 = (index, 0, pipeline) }
            let started = Date()
            var outcome = PipelineOutcome(pipelineName: pipeline, status: "running", startTime: started)
            do {
                let output = try await runner.run(pipeline, config: PipelineCatalog.section(of: config, for: pipeline)) { part in
                    fraction.withLock { $0.part = min(max(part, 0), 1) }
                }
                outcome.status = "completed"
                outcome.annotationCount = output.annotationCount
                outcome.outputFile = output.file.map { URL(fileURLWithPath: $0).lastPathComponent }
                for (name, file) in output.extra {
                    outcomes[name] = PipelineOutcome(
                        pipelineName: name, status: "completed", startTime: started, endTime: Date(),
                        processingTime: Date().timeIntervalSince(started), annotationCount: nil,
                        outputFile: URL(fileURLWithPath: file).lastPathComponent)
                }
            } catch let error where error is CancellationError || Task.isCancelled {
                // A deleted job's folder is removed once its tools have stopped writing into it.
                let (database, store, files) = (database, store, files)
                Task.detached {
                    do {
                        let current = try await database.withTenant(scope) { tx in try await store.find(row.id, tenantID: tenantID, in: tx) }
                        if current == nil { try? FileManager.default.removeItem(atPath: files.folder(tenantID: tenantID, jobID: row.id)) }
                    } catch {
                        // The database did not answer: leave the files (the delete route removed them once already).
                    }
                }
                throw CancellationError()
            } catch {
                outcome.status = "failed"
                outcome.errorMessage = Self.describe(error)
                logger.info("pipeline failed", metadata: ["job_id": "\(row.id)", "pipeline": "\(pipeline)", "error": "\(outcome.errorMessage ?? "")"])
            }
            outcome.endTime = Date()
            outcome.processingTime = ((outcome.endTime ?? started).timeIntervalSince(started) * 1000).rounded() / 1000
            outcomes[pipeline] = outcome
            let snapshot = outcomes
            try await database.withTenant(scope) { tx in
                try await store.record(snapshot, errorMessage: nil, jobID: row.id, tenantID: tenantID, in: tx)
            }
            let percent = Int(Double(index + 1) / Double(pipelines.count) * 100)
            try await publish(
                .pipelineCompleted, row.id, tenantID: tenantID, scope: scope,
                data: [
                    "pipeline": .string(pipeline), "pipeline_status": .string(outcome.status), "progress": .int(Int64(percent)),
                    "annotation_count": outcome.annotationCount.map { .int(Int64($0)) } ?? .null,
                    "completed_pipelines": .int(Int64(index + 1)), "total_pipelines": .int(Int64(pipelines.count)),
                ])
        }
        let failed = pipelines.filter { outcomes[$0]?.status == "failed" }
        if !failed.isEmpty && failed.count == pipelines.count {
            // `job.failed` follows from the task's recorded failure (JobCompletionAnnouncer).
            let message = "All pipelines failed: " + failed.map { "\($0) (\(outcomes[$0]?.errorMessage ?? "error"))" }.joined(separator: "; ")
            throw TaskFailure(message, retryable: false)
        }
        let summary = failed.isEmpty ? nil : "Completed with errors. Failed pipelines: \(failed.joined(separator: ", "))"
        let final = outcomes
        // Each output into the tenant's blob storage first (outside the transaction), then the
        // summary and the artifacts commit together.
        let blobs = try await outputs.store(final, directory: directory, tenantID: tenantID)
        try await database.withTenant(scope) { tx in
            try await store.record(final, errorMessage: summary, jobID: row.id, tenantID: tenantID, in: tx)
            try await outputs.record(blobs, outcomes: final, jobID: row.id, taskID: task.id, tenantID: tenantID, in: tx)
        }
        // `job.completed` follows from the task's recorded completion (JobCompletionAnnouncer).
        return [
            "pipelines": .array(pipelines.map { .string($0) }),
            "failed_pipelines": .array(failed.map { .string($0) }),
            "annotation_count": .int(Int64(final.values.compactMap(\.annotationCount).reduce(0, +))),
        ]
    }

    func publish(_ kind: JobEvent, _ jobID: UUID, tenantID: UUID, scope: TenantScope, data: [String: JSONValue]) async throws {
        try await database.withTenant(scope) { tx in try await JobEvent.publish(kind, jobID: jobID, tenantID: tenantID, data: data, in: tx) }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case MediaError.unreadable(let why), MediaError.notAVideo(let why), MediaError.timedOut(let why), MediaError.toolMissing(let why),
            MediaError.failed(let why):
            String(why.prefix(500))
        default:
            String(String(describing: error).prefix(500))
        }
    }
}

/// The `job.*` events of VideoAnnotator's stream, on the platform's bus (and its log, so a
/// client resumes with `Last-Event-ID`). The subject is the job.
enum JobEvent: String, Sendable {
    case created = "job.created"
    case started = "job.started"
    case pipelineCompleted = "job.pipeline_completed"
    case completed = "job.completed"
    case failed = "job.failed"
    case cancelled = "job.cancelled"

    static func publish(_ kind: JobEvent, jobID: UUID, tenantID: UUID, data: [String: JSONValue], in tx: DatabaseTransaction) async throws {
        var payload = data
        payload["job_id"] = .string(jobID.uuidString.lowercased())
        payload["event"] = .string(kind.rawValue)
        try await EventBus.publish(PlatformEvent(type: kind.rawValue, tenantId: tenantID, subjectId: jobID, data: .object(payload)), in: tx)
    }
}
