import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

/// Counts every request: Prometheus by method, route template and status; usage by tenant,
/// credential, route and status class (the tenant and credential come from `RequestFacts`,
/// which authentication, further in, fills). Runs first, so errors thrown anywhere inside are
/// counted with the status they become. No database work on the request path.
public struct TelemetryMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let telemetry: Telemetry

    public init(telemetry: Telemetry) {
        self.telemetry = telemetry
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        telemetry.requestStarted()
        do {
            let response = try await next(request, context)
            finish(request, context, status: Int(response.status.code), started: started)
            return response
        } catch {
            finish(request, context, status: Self.status(of: error), started: started)
            throw error
        }
    }

    func finish(_ request: Request, _ context: Context, status: Int, started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        // The route's template, never the concrete path (ids stay out of labels).
        let route = context.endpointPath ?? "unmatched"
        let method = request.method.rawValue
        telemetry.requestFinished(method: method, route: route, status: status, duration: elapsed)
        guard let caller = context.facts.authenticated else { return }
        telemetry.usage.recordRequest(
            tenantID: caller.tenantID, userID: caller.userID, credential: caller.credential, method: method, route: route, status: status,
            durationMs: Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
    }

    static func status(of error: any Error) -> Int {
        if let error = error as? APIError { return Int(error.status.code) }
        if let error = error as? any HTTPResponseError { return Int(error.status.code) }
        return 500
    }
}
