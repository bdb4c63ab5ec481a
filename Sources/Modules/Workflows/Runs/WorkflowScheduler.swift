import FlowEngine
import Foundation
import Logging
import PlatformDatabase
import PlatformSupport
import ServiceLifecycle

/// Fires scheduled workflows: any number of instances may run it; a due schedule is taken with
/// `FOR UPDATE SKIP LOCKED` and the run it starts is unique per fire time, so each fire starts
/// one run. A fire missed while nothing ran happens once on recovery; a backlog is not replayed.
final class WorkflowScheduler: Service {
    let database: Database
    let service: WorkflowService
    let interval: Duration
    let logger: Logger

    init(database: Database, service: WorkflowService, interval: Duration = .seconds(5), logger: Logger) {
        self.database = database
        self.service = service
        self.interval = interval
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    while try await self.fireDue() > 0 {}
                } catch {
                    if !Task.isCancelled { self.logger.warning("firing workflow schedules failed: \(String(reflecting: error))") }
                }
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// Fires what is due; returns how many schedules it took.
    @discardableResult
    func fireDue(limit: Int = 50) async throws -> Int {
        try await database.withPlatformScope { tx in
            let due = try await service.store.claimDue(limit: limit, in: tx)
            for schedule in due {
                guard let workflow = try await service.store.find(schedule.workflowId, tenantID: schedule.tenantId, in: tx),
                      workflow.status == .enabled, workflow.triggerType == .schedule else {
                    try await service.store.fired(schedule, next: nil, in: tx)
                    continue
                }
                let key = "schedule:" + RFC3339.string(from: schedule.nextFireAt)
                do {
                    _ = try await service.startRun(
                        workflow, input: ["scheduled_at": .string(RFC3339.string(from: schedule.nextFireAt))], trigger: "schedule", triggerKey: key,
                        tenantID: schedule.tenantId, ownerID: workflow.ownerId, in: tx)
                } catch let error as APIError {
                    // A definition that cannot run is reported and skipped; the schedule goes on.
                    logger.warning("a scheduled workflow could not start", metadata: ["workflow_id": "\(workflow.id)", "reason": "\(error.message)"])
                }
                try await service.store.fired(schedule, next: WorkflowService.nextFire(workflow, after: Date()), in: tx)
            }
            return due.count
        }
    }
}
