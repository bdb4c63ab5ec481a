import Foundation
import Providers

/// The provider registry's usage recorder: every completed model call, whoever made it (chat,
/// a workflow's `llm` node, agents, operators), counted for Prometheus and, when it was made for
/// a tenant, for that tenant's usage and costs.
public struct ModelUsageMeter: UsageRecorder {
    let telemetry: Telemetry

    public init(telemetry: Telemetry) {
        self.telemetry = telemetry
    }

    public func record(provider: String, model: String, usage: TokenUsage?, duration: Duration, tenant: UUID?) async {
        let prompt = usage?.promptTokens ?? 0
        let completion = usage?.completionTokens ?? 0
        telemetry.providerCall(provider: provider, model: model, promptTokens: prompt, completionTokens: completion, duration: duration)
        guard let tenant else { return }
        telemetry.usage.recordModelCall(
            tenantID: tenant, provider: provider, model: model, promptTokens: prompt, completionTokens: completion,
            durationMs: Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15)
    }
}
