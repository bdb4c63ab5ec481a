import Foundation
import PlatformDatabase
import PlatformSupport

/// Keeps projects' task counters exact: an event-outbox consumer that, for every batch of task
/// events, recounts the projects those tasks belong to from the tasks themselves (so a missed
/// or repeated event cannot skew them). A queued project becomes running when a task starts.
struct ProjectTaskCounters: EventConsumer {
    /// Events that cannot change a count or a status.
    static let ignored: Set<String> = ["task.progress", "task.context_updated"]

    let store = ProjectStore()

    func consume(_ events: [LoggedEvent], in tx: DatabaseTransaction) async throws {
        var seen = Set<UUID>()
        var tasks: [(tenantID: UUID, taskID: UUID)] = []
        for event in events where event.type.hasPrefix("task.") && !Self.ignored.contains(event.type) {
            guard let id = event.subjectId, seen.insert(id).inserted else { continue }
            tasks.append((event.tenantId, id))
        }
        try await store.recount(tasks: tasks, in: tx)
    }
}
