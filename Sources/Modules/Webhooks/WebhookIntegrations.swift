import Foundation
import PlatformDatabase
import PlatformServices
import PlatformSupport

/// The webhooks' part of the integrations report: outbound endpoints and inbound tokens.
extension WebhooksModule: IntegrationReporting {
    public func integrations(tenantID: UUID, in tx: DatabaseTransaction) async throws -> [IntegrationState] {
        var states: [IntegrationState] = []
        if let endpoints = try await WebhookStore().endpointUsage(tenantID: tenantID, in: tx) {
            let status: IntegrationStatus = endpoints.disabledByFailures > 0 ? .error : endpoints.activeEndpoints > 0 ? .connected : .notConfigured
            states.append(IntegrationState(
                name: "webhooks", kind: "outbound_webhooks", status: status, configuredAt: endpoints.firstCreatedAt,
                details: ["active_endpoints": .int(Int64(endpoints.activeEndpoints)), "disabled_by_failures": .int(Int64(endpoints.disabledByFailures))]))
        }
        if let tokens = try await InboundWebhookStore().tokenUsage(tenantID: tenantID, in: tx) {
            states.append(IntegrationState(
                name: "inbound_webhooks", kind: "inbound_webhooks", status: tokens.tokens > 0 ? .connected : .notConfigured,
                configuredAt: tokens.firstCreatedAt, details: ["tokens": .int(Int64(tokens.tokens))]))
        }
        return states
    }
}
