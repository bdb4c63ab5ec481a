import Foundation
import PlatformDatabase
import PlatformSupport

/// Announces a job's end (`job.completed`, `job.failed`) from its task's committed end, not
/// from the handler: when the handler returns, the worker has yet to record the outcome, and a
/// client that reads the job on the event must find it finished. An event-outbox consumer, so
/// it runs once per event whichever instance stamps it.
struct JobCompletionAnnouncer: EventConsumer {
    let store = JobStore()

    func consume(_ events: [LoggedEvent], in tx: DatabaseTransaction) async throws {
        for event in events where event.type == "task.completed" || event.type == "task.failed" {
            guard event.data["task_type"]?.stringValue == AnnotationJobHandler.taskType, let taskID = event.subjectId,
                let row = try await store.find(taskID: taskID, tenantID: event.tenantId, in: tx)
            else { continue }
            if event.type == "task.completed" {
                let failed = row.pipelineResults.filter { $0.value.status == "failed" }.keys.sorted()
                try await JobEvent.publish(
                    .completed, jobID: row.id, tenantID: event.tenantId,
                    data: ["progress": 100, "failed_pipelines": .array(failed.map { .string($0) }), "error_message": row.jobError.map { .string($0) } ?? .null],
                    in: tx)
            } else {
                let message = event.data["error_message"]?.stringValue ?? row.taskError ?? "the job failed"
                try await JobEvent.publish(.failed, jobID: row.id, tenantID: event.tenantId, data: ["error_message": .string(message)], in: tx)
            }
        }
    }
}
