import Foundation
import Logging
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport
import TaskEngine

/// Outbound webhooks (Standard Webhooks, on the task engine, fed by the event-log outbox) and
/// inbound webhooks.
public struct WebhooksModule: Sendable {
    let database: Database
    let settings: WebhookDeliverySettings
    let outcomes: (@Sendable (String) -> Void)?

    /// - Parameter outcomes: told each delivery attempt's outcome (`delivered`, `http_error`,
    ///   `network_error`, `refused`, `gone`), for metrics.
    public init(database: Database, config: PlatformConfig.Webhooks, outcomes: (@Sendable (String) -> Void)? = nil) {
        self.database = database
        self.settings = WebhookDeliverySettings(config: config)
        self.outcomes = outcomes
    }

    public func register(in registry: RouteRegistry) {
        let routes = registry.group("/api/v1/webhooks", tag: "webhooks")
        InboundWebhookController(database: database).register(in: routes)
        WebhookController(database: database, settings: settings)
            .register(in: routes, settings: registry.group("/api/v1/settings/webhooks", tag: "webhooks"))
    }

    /// The delivery handler every worker runs.
    public func register(handlers: inout TaskHandlerRegistry) {
        handlers.register(WebhookDeliveryHandler.taskType, WebhookDeliveryHandler(database: database, settings: settings, outcomes: outcomes), isInternal: true)
    }

    /// The event-outbox consumer that turns events into deliveries.
    public var eventConsumer: any EventConsumer { WebhookFanOut(attempts: settings.schedule.count) }
}
