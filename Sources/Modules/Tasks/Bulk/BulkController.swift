import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import TaskEngine

/// `POST /bulk`: one operation over many tasks, all or nothing.
struct BulkController: Sendable {
    let database: Database
    let tenants: any TenantDirectory
    let store = BulkStore()

    enum Operation: String, Codable, Sendable, SchemaEnum, CaseIterable {
        case updateStatus = "update_status"
        case delete, export, reassign
    }

    enum ExportFormat: String, Codable, Sendable, SchemaEnum, CaseIterable { case csv, json }

    struct Parameters: Codable, Sendable {
        var newStatus: TaskStatus?
        var exportFormat: ExportFormat?
        /// The member who becomes the tasks' owner (`reassign`).
        var ownerId: UUID?
    }

    struct BulkRequest: Codable, Sendable {
        var operation: Operation
        var taskIds: [UUID]
        var parameters: Parameters?
    }

    struct BulkResult: Codable, Sendable, ResponseEncodable {
        var operationId: UUID
        var operation: Operation
        var status: String
        var affected: Int
        var result: JSONValue
    }

    func register(in routes: RouteGroup) {
        routes.post(
            "", "Update the status of, delete, export or reassign many tasks at once (all or nothing)", .permission("workflow:bulk:execute"),
            description: "`update_status` needs `parameters.new_status`; `export` takes `parameters.export_format` (csv or json, default json); `reassign` needs `parameters.owner_id`, a member of the tenant.",
            body: BulkRequest.self,
            responses: [
                .error(.notFound, "Some tasks do not exist (details.missing)"),
                .error(.conflict, "Some tasks cannot take the change (details.tasks: their current status)"),
            ], use: run)
    }

    func run(_ request: Request, _ context: AuthenticatedContext) async throws -> BulkResult {
        let body = try await request.decode(as: BulkRequest.self, context: context)
        let ids = Array(NSOrderedSet(array: body.taskIds).compactMap { $0 as? UUID })
        guard (1...1000).contains(ids.count) else { throw APIError.validation(["task_ids": "must name 1 to 1000 tasks"]) }
        let parameters = body.parameters ?? Parameters()
        switch body.operation {
        case .updateStatus where parameters.newStatus == nil:
            throw APIError.validation(["parameters.new_status": "is required for update_status"])
        case .reassign where parameters.ownerId == nil:
            throw APIError.validation(["parameters.owner_id": "is required for reassign"])
        default: break
        }
        let tenantID = context.principal.tenantID
        let operationID = UUID.v7()
        return try await database.withTenant(context.tenant) { tx in
            let tasks = try await store.tasks(ids, tenantID: tenantID, in: tx)
            let found = Set(tasks.map(\.id))
            let missing = ids.filter { !found.contains($0) }
            if !missing.isEmpty {
                throw APIError(.notFound, code: "TASK_NOT_FOUND", message: "\(missing.count) of the tasks do not exist",
                               details: ["missing": .array(missing.map { .string($0.uuidString.lowercased()) })])
            }
            func refuse(_ blocked: [TaskRecord], _ message: String) -> APIError {
                var details: [String: JSONValue] = [:]
                for task in blocked { details[task.id.uuidString.lowercased()] = .string(task.status.rawValue) }
                return APIError(.conflict, code: "BULK_CONFLICT", message: message, details: ["tasks": .object(details)])
            }
            switch body.operation {
            case .updateStatus:
                guard let target = parameters.newStatus else { throw APIError.internalError }
                let blocked = tasks.filter { $0.status != target && TaskStatus.transitions[$0.status]?.contains(target) != true }
                if !blocked.isEmpty { throw refuse(blocked, "\(blocked.count) task(s) cannot become \(target.rawValue)") }
                var changed = 0
                for task in tasks where task.status != target {
                    _ = try await TaskStore.transition(task.id, tenantID: tenantID, to: target, kind: .task, in: tx)
                    changed += 1
                }
                return BulkResult(operationId: operationID, operation: body.operation, status: "completed", affected: changed,
                                  result: ["new_status": .string(target.rawValue), "unchanged": .int(Int64(tasks.count - changed))])
            case .delete:
                let running = tasks.filter { $0.status == .running }
                if !running.isEmpty { throw refuse(running, "\(running.count) task(s) are running; cancel them first") }
                let deleted = try await TaskStore.softDelete(ids, tenantID: tenantID, in: tx)
                return BulkResult(operationId: operationID, operation: body.operation, status: "completed", affected: deleted.count,
                                  result: ["deleted": .array(deleted.map { .string($0.id.uuidString.lowercased()) })])
            case .export:
                let format = parameters.exportFormat ?? .json
                let result: JSONValue
                switch format {
                case .json:
                    let data = try PlatformJSON.makeEncoder().encode(tasks)
                    result = ["format": "json", "tasks": try PlatformJSON.makeDecoder().decode(JSONValue.self, from: data)]
                case .csv:
                    result = ["format": "csv", "content_type": "text/csv", "content": .string(Self.csv(tasks))]
                }
                return BulkResult(operationId: operationID, operation: body.operation, status: "completed", affected: tasks.count, result: result)
            case .reassign:
                guard let owner = parameters.ownerId else { throw APIError.internalError }
                guard try await tenants.isActiveMember(owner, of: tenantID, in: tx) else { throw APIError.validation(["parameters.owner_id": "is not an active member of this tenant"]) }
                let updated = try await store.reassign(ids, to: owner, tenantID: tenantID, in: tx)
                for task in updated { try await TaskStore.publish(task, "reassigned", extra: ["owner_id": .string(owner.uuidString.lowercased())], in: tx) }
                return BulkResult(operationId: operationID, operation: body.operation, status: "completed", affected: updated.count,
                                  result: ["owner_id": .string(owner.uuidString.lowercased())])
            }
        }
    }

    static let csvColumns = ["id", "task_type", "task_name", "status", "priority", "queue", "progress", "attempts", "error_message",
                             "project_id", "created_at", "started_at", "completed_at"]

    /// RFC 4180: fields with commas, quotes or line breaks are quoted, quotes doubled.
    static func csv(_ tasks: [TaskRecord]) -> String {
        func field(_ text: String?) -> String {
            guard let text else { return "" }
            if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
                return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            return text
        }
        var lines = [csvColumns.joined(separator: ",")]
        for task in tasks {
            let values: [String?] = [
                task.id.uuidString.lowercased(), task.taskType, task.taskName, task.status.rawValue, String(task.priority), task.queue,
                String(task.progress), String(task.attempts), task.errorMessage, task.projectId?.uuidString.lowercased(),
                RFC3339.string(from: task.createdAt), task.startedAt.map(RFC3339.string), task.completedAt.map(RFC3339.string),
            ]
            lines.append(values.map(field).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
