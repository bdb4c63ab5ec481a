import Foundation
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// What each authenticated callback does, inside the transaction that records it.
struct N8nCallbackApplier: Sendable {
    let execution: ProjectExecution
    /// Task types a callback may not create (the platform's own and module-made ones).
    let refusedTaskTypes: Set<String>
    let log = N8nCallbackStore()
    let inspirations = InspirationStore()
    let projects = ProjectStore()
    let types = ProjectTypeStore()
    let configs = WorkerConfigStore()

    func inspiration(
        _ current: StoredInspiration, _ payload: InspirationCallback, _ accepted: N8nCallbackController.Accepted, in tx: DatabaseTransaction
    ) async throws -> CallbackReceipt {
        var check = FieldProblems()
        var fields = InspirationFields(status: .pendingReview, generatedContent: payload.content)
        fields.title = payload.title.flatMap { check.text($0, "title", 1...500) }
        fields.description = payload.description.flatMap { check.text($0, "description", 0...20_000) }
        check.object(payload.parameters, "parameters")
        check.score(payload.score)
        check.object(payload.scoreDetails, "score_details")
        try check.check()
        guard try await accepted.record(log, duplicate: false, in: tx) else {
            return CallbackReceipt(message: "Already received", duplicate: true, inspirationId: current.id, status: current.status.rawValue)
        }
        guard [.pending, .generating, .pendingReview].contains(current.status) else {
            throw APIError.inspirationTransition(from: current.status, to: .pendingReview)
        }
        if let parameters = payload.parameters { fields.parameters = current.parameters.merging(parameters) }
        fields.score = payload.score
        fields.scoreDetails = payload.scoreDetails
        guard let updated = try await inspirations.update(current.id, fields, tenantID: accepted.tenantID, in: tx) else { throw APIError.inspirationNotFound }
        return CallbackReceipt(message: "Inspiration updated", duplicate: false, inspirationId: updated.id, status: updated.status.rawValue)
    }

    func projectCreation(
        _ current: StoredInspiration, _ payload: ProjectCreationCallback, _ accepted: N8nCallbackController.Accepted, in tx: DatabaseTransaction
    ) async throws -> CallbackReceipt {
        let tenantID = accepted.tenantID
        let name = try check(payload)
        if let existing = try await projects.byInspiration(current.id, tenantID: tenantID, in: tx) {
            _ = try await accepted.record(log, duplicate: true, in: tx)
            return CallbackReceipt(message: "The project exists", duplicate: true, inspirationId: current.id, projectId: existing.id, status: existing.status.rawValue)
        }
        guard try await accepted.record(log, duplicate: false, in: tx) else {
            return CallbackReceipt(message: "Already received", duplicate: true, inspirationId: current.id)
        }
        guard current.status == .approved else { throw APIError.inspirationTransition(from: current.status, to: .approved) }
        guard let code = current.projectTypeCode, let type = try await types.find(code, tenantID: tenantID, in: tx) else {
            throw APIError(.conflict, code: "PROJECT_TYPE_NOT_FOUND", message: "The inspiration's project type no longer exists")
        }
        let tasks = payload.tasks ?? []
        for (index, task) in tasks.enumerated() where !(task.configIds ?? []).isEmpty {
            try await WorkerConfigController.checkActive(task.configIds ?? [], store: configs, field: "tasks[\(index)].config_ids", tenantID: tenantID, in: tx)
        }
        let parameters = try ProjectParameters.resolve(current.parameters.merging(payload.initialParameters ?? [:]), type: type)
        let new = NewProject(
            name: name ?? String(current.title.prefix(500)), type: type, initialParameters: parameters,
            status: tasks.isEmpty && type.executionWorkflowId == nil ? .draft : .queued, inspirationID: current.id,
            score: payload.score ?? current.score, scoreDetails: payload.scoreDetails ?? current.scoreDetails,
            reviewNotes: payload.reviewNotes ?? current.reviewNotes, usedTransformWorkflowID: current.transformWorkflowId ?? accepted.registryID)
        guard let project = try await projects.insert(new, tenantID: tenantID, ownerID: current.ownerId, in: tx) else {
            throw APIError.inspirationHasProject
        }
        var created: [UUID] = []
        var byKey: [String: UUID] = [:]
        for task in tasks {
            var new = NewTask(taskType: task.taskType)
            new.taskName = task.taskName
            new.input = task.taskInput ?? [:]
            new.queue = task.queue ?? "default"
            new.priority = task.priority ?? 50
            new.maxAttempts = task.maxAttempts ?? 3
            new.dependencies = (task.dependsOn ?? []).compactMap { byKey[$0] }
            new.projectID = project.id
            new.platformAccountID = task.platformAccountId
            new.visibility = .tenant
            new.enqueue = true
            let record = try await TaskStore.insert(new, tenantID: tenantID, ownerID: current.ownerId, in: tx)
            if let key = task.key { byKey[key] = record.id }
            if let ids = task.configIds, !ids.isEmpty {
                _ = try await configs.assign(ids, taskID: record.id, overrideData: task.overrideData ?? [:], tenantID: tenantID, in: tx)
            }
            created.append(record.id)
        }
        try await projects.recount(project.id, tenantID: tenantID, in: tx)
        if let workflow = type.executionWorkflowId {
            _ = try await execution.trigger(project, type: type, registryID: workflow, ownerID: current.ownerId, tenantID: tenantID, in: tx)
        }
        return CallbackReceipt(
            message: "Project created", duplicate: false, inspirationId: current.id, projectId: project.id, taskIds: created, status: project.status.rawValue)
    }

    /// Checks a project_creation payload; returns the project's name when one was given.
    func check(_ payload: ProjectCreationCallback) throws -> String? {
        var check = FieldProblems()
        let name = payload.name.flatMap { check.text($0, "name", 1...500) }
        check.object(payload.initialParameters, "initial_parameters")
        check.score(payload.score)
        check.object(payload.scoreDetails, "score_details")
        if let notes = payload.reviewNotes { _ = check.text(notes, "review_notes", 0...10_000) }
        let tasks = payload.tasks ?? []
        if tasks.count > 200 { check.add("tasks", "must list at most 200 tasks") }
        var keys = Set<String>()
        for (index, task) in tasks.enumerated() {
            let field = "tasks[\(index)]"
            if task.taskType.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}/) == nil {
                check.add("\(field).task_type", "must be 1-100 letters, digits, _ . : or -")
            } else if refusedTaskTypes.contains(task.taskType) {
                check.add("\(field).task_type", "is reserved for the platform")
            }
            if let name = task.taskName { _ = check.text(name, "\(field).task_name", 1...200) }
            check.object(task.taskInput, "\(field).task_input")
            if let queue = task.queue, queue.wholeMatch(of: /[a-z0-9][a-z0-9_.:-]{0,62}/) == nil { check.add("\(field).queue", "must be a queue name") }
            check.integer(task.priority, "\(field).priority", 0...100)
            check.integer(task.maxAttempts, "\(field).max_attempts", 1...20)
            for (position, dependency) in (task.dependsOn ?? []).enumerated() where !keys.contains(dependency) {
                check.add("\(field).depends_on[\(position)]", "must be the key of an earlier task")
            }
            if let ids = task.configIds, ids.count > 50 || Set(ids).count != ids.count {
                check.add("\(field).config_ids", "must list at most 50 distinct config ids")
            }
            check.object(task.overrideData, "\(field).override_data")
            if let key = task.key {
                if !(1...100).contains(key.count) { check.add("\(field).key", "must be 1-100 characters") }
                if !keys.insert(key).inserted { check.add("\(field).key", "is used by an earlier task") }
            }
        }
        try check.check()
        return name
    }

    func projectExecution(
        _ current: StoredProject, _ payload: ProjectExecutionCallback, _ accepted: N8nCallbackController.Accepted, in tx: DatabaseTransaction
    ) async throws -> CallbackReceipt {
        var check = FieldProblems()
        let error = payload.errorMessage.flatMap { check.text($0, "error_message", 1...10_000) }
        check.score(payload.score)
        check.object(payload.scoreDetails, "score_details")
        try check.check()
        let tenantID = accepted.tenantID
        guard try await accepted.record(log, duplicate: false, in: tx) else {
            return CallbackReceipt(message: "Already received", duplicate: true, projectId: current.id, status: current.status.rawValue)
        }
        if let status = payload.status, !current.status.allows(status) { throw APIError.projectTransition(from: current.status, to: status) }
        let fields = ProjectFields(
            status: payload.status, score: payload.score, scoreDetails: payload.scoreDetails, outputAssetId: payload.outputAssetId, errorMessage: error)
        guard let updated = try await projects.update(current.id, fields, tenantID: tenantID, in: tx) else { throw APIError.projectNotFound }
        if updated.status != current.status, updated.status == .cancelled || updated.status == .failed {
            try await execution.cancelOpenTasks(of: updated, reason: "project \(updated.status.rawValue)", tenantID: tenantID, in: tx)
        }
        return CallbackReceipt(message: "Project updated", duplicate: false, projectId: updated.id, status: updated.status.rawValue)
    }

    func taskUpdate(
        _ id: UUID, _ payload: TaskUpdateCallback, _ accepted: N8nCallbackController.Accepted, in tx: DatabaseTransaction
    ) async throws -> CallbackReceipt {
        var check = FieldProblems()
        check.integer(payload.progress, "progress", 0...100)
        let step = payload.currentStep.flatMap { check.text($0, "current_step", 0...300) }
        let error = payload.errorMessage.flatMap { check.text($0, "error_message", 0...10_000) }
        check.object(payload.taskMetadata, "task_metadata")
        try check.check()
        let tenantID = accepted.tenantID
        guard let current = try await TaskStore.find(id, tenantID: tenantID, kind: .task, in: tx) else { throw APIError.taskNotFound }
        guard try await accepted.record(log, duplicate: false, in: tx) else {
            return CallbackReceipt(message: "Already received", duplicate: true, taskId: id, status: current.status.rawValue)
        }
        let change = TaskStatusChange(
            output: payload.taskOutput ?? payload.output, errorMessage: error, progress: payload.progress, currentStep: step, metadata: payload.taskMetadata)
        let task: TaskRecord
        if let status = payload.status, status != current.status {
            task = try await TaskStore.transition(id, tenantID: tenantID, to: status, change: change, kind: .task, in: tx)
        } else {
            task = try await TaskStore.report(id, tenantID: tenantID, change: change, kind: .task, in: tx)
        }
        return CallbackReceipt(message: "Task updated", duplicate: false, taskId: task.id, status: task.status.rawValue)
    }
}
