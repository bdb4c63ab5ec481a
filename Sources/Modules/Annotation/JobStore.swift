import Foundation
import PlatformDatabase
import PlatformSupport

/// Where a job's files live: `<STORAGE_DIR>/annotation/<tenant>/<job>/` holds the video, and
/// `results/` below it the pipelines' outputs (VideoAnnotator's file names).
struct JobFiles: Sendable {
    let root: String

    func folder(tenantID: UUID, jobID: UUID) -> String {
        "\(root)/annotation/\(tenantID.uuidString.lowercased())/\(jobID.uuidString.lowercased())"
    }

    func video(tenantID: UUID, jobID: UUID, filename: String) -> String {
        "\(folder(tenantID: tenantID, jobID: jobID))/\(Self.safeName(filename))"
    }

    func results(tenantID: UUID, jobID: UUID) -> String {
        "\(folder(tenantID: tenantID, jobID: jobID))/results"
    }

    /// The folder as clients see it (relative to the storage root, without the tenant).
    static func relativeFolder(_ jobID: UUID) -> String { "jobs/\(jobID.uuidString.lowercased())" }

    /// The uploaded name reduced to safe characters, its extension kept.
    static func safeName(_ name: String) -> String {
        let base = URL(fileURLWithPath: name).lastPathComponent
        var cleaned = String(base.unicodeScalars.map { scalar -> Character in
            let character = Character(scalar)
            return scalar.isASCII && (character.isLetter || character.isNumber || "._-".contains(character)) ? character : "_"
        })
        while cleaned.hasPrefix(".") { cleaned.removeFirst() }
        if cleaned.count > 120 { cleaned = String(cleaned.suffix(120)) }
        return cleaned.isEmpty ? "video.mp4" : cleaned
    }
}

/// Which jobs a list shows.
struct JobFilter: Sendable {
    var tenantID: UUID
    var status: JobStatus?

    var condition: SQL {
        "j.tenant_id = \(tenantID) AND t.deleted_at IS NULL AND (\(status?.rawValue)::text IS NULL OR \(unescaped: JobStore.statusSQL) = \(status?.rawValue))"
    }
}

/// Every statement on `annotation_jobs` (tasks go through the engine's `TaskStore`).
struct JobStore: Sendable {
    /// VideoAnnotator's status from the task's: a queued task that has run before is retrying;
    /// a claimed task is running only once its worker holds one of the tenant's slots (while a
    /// worker merely looks for a free slot the job is still waiting).
    static let statusSQL = """
        (CASE WHEN t.status = 'running' AND j.slot_worker IS DISTINCT FROM t.lease_owner \
        THEN (CASE WHEN t.attempts > 1 THEN 'retrying' ELSE 'pending' END) \
        WHEN t.status IN ('pending', 'queued') AND t.attempts > 0 THEN 'retrying' \
        WHEN t.status IN ('pending', 'queued') THEN 'pending' ELSE t.status END)
        """

    static let columns = """
        j.id, j.task_id, j.owner_id, \(statusSQL) AS status, t.status AS task_status, t.progress, t.current_step, t.attempts,
        t.max_attempts, t.lease_owner AS worker_id, j.video_filename, j.video_size_bytes, j.video_duration_seconds, j.selected_pipelines,
        j.config, j.pipeline_results, j.error_message AS job_error, t.error_message AS task_error, j.created_at, t.started_at, t.completed_at
        """

    static let from = "annotation_jobs j JOIN tasks t ON t.tenant_id = j.tenant_id AND t.id = j.task_id"

    func find(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> JobRow? {
        try await tx.row(
            "SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from) WHERE j.tenant_id = \(tenantID) AND j.id = \(id) AND t.deleted_at IS NULL",
            decoding: JobRow.self)
    }

    func find(taskID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> JobRow? {
        try await tx.row(
            "SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from) WHERE j.tenant_id = \(tenantID) AND j.task_id = \(taskID)",
            decoding: JobRow.self)
    }

    func list(_ filter: JobFilter, limit: Int, offset: Int, in tx: DatabaseTransaction) async throws -> [JobRow] {
        try await tx.rows(
            """
            SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from) WHERE \(filter.condition)
            ORDER BY j.created_at DESC, j.id DESC LIMIT \(limit) OFFSET \(offset)
            """, decoding: JobRow.self)
    }

    func count(_ filter: JobFilter, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM \(unescaped: Self.from) WHERE \(filter.condition)", as: Int.self) ?? 0
    }

    struct NewJob: Sendable {
        var id: UUID
        var taskID: UUID
        var videoFilename: String
        var videoSizeBytes: Int64
        var videoDurationSeconds: Double?
        var selectedPipelines: [String]?
        var config: JSONValue
    }

    func insert(_ job: NewJob, tenantID: UUID, ownerID: UUID?, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            INSERT INTO annotation_jobs (tenant_id, id, owner_id, task_id, video_filename, video_size_bytes, video_duration_seconds,
                                         selected_pipelines, config)
            VALUES (\(tenantID), \(job.id), \(ownerID), \(job.taskID), \(job.videoFilename), \(job.videoSizeBytes), \(job.videoDurationSeconds),
                    \(job.selectedPipelines), \(try PlatformJSON.text(job.config))::jsonb)
            """)
    }

    func delete(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("DELETE FROM annotation_jobs WHERE tenant_id = \(tenantID) AND id = \(id)")
    }

    /// Records one pipeline's outcome (and the job's summary error, when given).
    func record(_ outcomes: [String: PipelineOutcome], errorMessage: String?, jobID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        let json = try PlatformJSON.text(JSONValue.object(try outcomes.mapValues { try JSONValue.encoded($0) }))
        try await tx.run(
            """
            UPDATE annotation_jobs SET pipeline_results = \(json)::jsonb, error_message = \(errorMessage), updated_at = now()
            WHERE tenant_id = \(tenantID) AND id = \(jobID)
            """)
    }

    /// Takes one of the tenant's running slots for `jobID` held by `worker`, if fewer than
    /// `limit` other running jobs hold one. Serialised per tenant by an advisory lock.
    func takeSlot(jobID: UUID, tenantID: UUID, worker: String, limit: Int, in tx: DatabaseTransaction) async throws -> Int? {
        try await tx.run("SELECT pg_advisory_xact_lock(hashtextextended('annotation-slots:' || \(tenantID.uuidString), 0))")
        let busy = try await tx.value(
            """
            SELECT count(*)::int FROM \(unescaped: Self.from)
            WHERE j.tenant_id = \(tenantID) AND j.id <> \(jobID) AND t.status = 'running' AND j.slot_worker = t.lease_owner
            """, as: Int.self) ?? 0
        guard busy < limit else { return busy }
        try await tx.run("UPDATE annotation_jobs SET slot_worker = \(worker) WHERE tenant_id = \(tenantID) AND id = \(jobID)")
        return nil
    }

    struct Counts: Decodable, Sendable {
        var total: Int
        var pending: Int
        var running: Int
        var completed: Int
        var failed: Int
        var cancelled: Int
        var annotations: Int64
    }

    /// The tenant's jobs by status, and the annotations they produced.
    func counts(tenantID: UUID, in tx: DatabaseTransaction) async throws -> Counts {
        try await tx.row(
            """
            SELECT count(*)::int AS total,
                   count(*) FILTER (WHERE \(unescaped: Self.statusSQL) IN ('pending', 'retrying'))::int AS pending,
                   count(*) FILTER (WHERE \(unescaped: Self.statusSQL) = 'running')::int AS running,
                   count(*) FILTER (WHERE t.status = 'completed')::int AS completed,
                   count(*) FILTER (WHERE t.status = 'failed')::int AS failed,
                   count(*) FILTER (WHERE t.status = 'cancelled')::int AS cancelled,
                   coalesce(sum((SELECT coalesce(sum((r.value->>'annotation_count')::bigint), 0) FROM jsonb_each(j.pipeline_results) r)), 0)::bigint AS annotations
            FROM \(unescaped: Self.from) WHERE j.tenant_id = \(tenantID) AND t.deleted_at IS NULL
            """, decoding: Counts.self) ?? Counts(total: 0, pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0, annotations: 0)
    }

    /// Ids of the tenant's running jobs (for the worker report).
    func running(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [UUID] {
        try await tx.rows(
            "SELECT j.id FROM \(unescaped: Self.from) WHERE j.tenant_id = \(tenantID) AND \(unescaped: Self.statusSQL) = 'running' AND t.deleted_at IS NULL ORDER BY j.id LIMIT 100",
            decoding: IDRow.self
        ).map(\.id)
    }

    struct IDRow: Decodable { var id: UUID }

    struct Engine: Decodable, Sendable {
        var running: Int
        var queued: Int
        var workers: [String]
    }

    /// Annotation tasks of every tenant, running and queued, and the workers running them
    /// (platform scope: counts only, for health and debug reports).
    func engine(in tx: DatabaseTransaction) async throws -> Engine {
        try await tx.row(
            """
            SELECT count(*) FILTER (WHERE status = 'running')::int AS running,
                   count(*) FILTER (WHERE status = 'queued')::int AS queued,
                   coalesce(array_agg(DISTINCT lease_owner) FILTER (WHERE status = 'running' AND lease_owner IS NOT NULL), '{}') AS workers
            FROM tasks WHERE task_type = \(AnnotationJobHandler.taskType) AND deleted_at IS NULL AND status IN ('running', 'queued')
            """, decoding: Engine.self) ?? Engine(running: 0, queued: 0, workers: [])
    }

    struct Timing: Decodable, Sendable {
        var averageSeconds: Double?
        var completedLastHour: Int
    }

    func timing(tenantID: UUID, in tx: DatabaseTransaction) async throws -> Timing {
        try await tx.row(
            """
            SELECT avg(extract(epoch FROM t.completed_at - t.started_at))::float8 AS average_seconds,
                   count(*) FILTER (WHERE t.completed_at > now() - interval '1 hour')::int AS completed_last_hour
            FROM \(unescaped: Self.from) WHERE j.tenant_id = \(tenantID) AND t.status = 'completed' AND t.deleted_at IS NULL
            """, decoding: Timing.self) ?? Timing(averageSeconds: nil, completedLastHour: 0)
    }

    struct EventRow: Decodable, Sendable {
        var id: UUID
        var type: String
        var data: JSONValue
        var occurredAt: Date
    }

    /// The job's and its task's logged events, oldest first.
    func events(jobID: UUID, taskID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> [EventRow] {
        try await tx.rows(
            """
            SELECT id, type, data, occurred_at FROM event_log
            WHERE tenant_id = \(tenantID) AND subject_id IN (\(jobID), \(taskID)) ORDER BY id LIMIT 200
            """, decoding: EventRow.self)
    }
}
