import Foundation
import PlatformDatabase
import PlatformSupport
import TaskEngine

/// What projects share between their routes and n8n's callbacks: reading one with its tasks,
/// queueing its execution workflow, ending its open tasks.
struct ProjectExecution: Sendable {
    let calls: N8nCalls
    let store = ProjectStore()
    let callStore = N8nCallStore()

    func view(_ project: StoredProject, tenantID: UUID, in tx: DatabaseTransaction) async throws -> ProjectView {
        let tasks = try await store.tasks(of: [project.id], tenantID: tenantID, in: tx)
        let call = try await callStore.latest(projects: [project.id], tenantID: tenantID, in: tx)[project.id]
        return ProjectView(project, tasks: tasks[project.id] ?? [], call: call)
    }

    /// Records the call of the type's execution workflow for the project (sent after commit) and
    /// notes the entry on the project; returns the call's id.
    func trigger(
        _ project: StoredProject, type: StoredProjectType, registryID: UUID, extra: [String: JSONValue] = [:], ownerID: UUID?, tenantID: UUID,
        in tx: DatabaseTransaction
    ) async throws -> UUID {
        guard let noted = try await store.update(project.id, ProjectFields(usedExecutionWorkflowId: registryID), tenantID: tenantID, in: tx) else {
            throw APIError.projectNotFound
        }
        var body = extra
        body["project"] = try .encoding(try await view(noted, tenantID: tenantID, in: tx))
        body["project_type"] = try .encoding(ProjectTypeView(type))
        return try await calls.enqueue(
            NewN8nCall(purpose: .execution, registryID: registryID, inspirationID: nil, projectID: project.id, body: body),
            tenantID: tenantID, ownerID: ownerID, in: tx)
    }

    /// A project that ends (cancelled, failed) takes its waiting and running tasks with it.
    func cancelOpenTasks(of project: StoredProject, reason: String, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        for task in try await store.tasks(of: [project.id], tenantID: tenantID, in: tx)[project.id] ?? [] where !task.status.isTerminal {
            _ = try await TaskStore.transition(task.id, tenantID: tenantID, to: .cancelled, change: TaskStatusChange(errorMessage: reason), kind: .task, in: tx)
        }
    }
}
