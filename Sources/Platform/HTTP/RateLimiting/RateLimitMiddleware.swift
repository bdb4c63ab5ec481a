import Foundation
import HTTPTypes
import Hummingbird
import PlatformDatabase
import PlatformSupport
import Synchronization

/// Who a request counts against, as far as can be told before authentication.
public struct RateLimitIdentity: Sendable {
    public var key: String
    public var tenantID: UUID?

    public init(key: String, tenantID: UUID?) {
        self.key = key
        self.tenantID = tenantID
    }
}

/// Limits per route class and tenant plan. Sign-in routes are keyed by client address and much
/// stricter; everything else by API key, else user, else address, at the tenant plan's rate.
public struct RateLimitPolicy: Sendable {
    public var defaultPerMinute: Int
    public var authPerMinute: Int
    public var planPerMinute: [String: Int]
    public static let authPaths: Set<String> = [
        "/api/v1/auth/login", "/api/v1/auth/token", "/api/v1/auth/refresh", "/api/v1/auth/github/callback",
    ]

    /// Public routes that call an outside service (the Ollama server): keyed by client address
    /// at the sign-in rate, in a bucket of their own.
    public static let outboundPublicPaths: Set<String> = [
        "/api/v1/ollama/health", "/api/v1/ollama/models", "/api/v1/ollama/warmup", "/api/v1/ollama/status",
    ]

    public init(defaultPerMinute: Int, authPerMinute: Int, planPerMinute: [String: Int]) {
        self.defaultPerMinute = defaultPerMinute
        self.authPerMinute = authPerMinute
        self.planPerMinute = planPerMinute
    }

    static func isAuthPath(_ path: String) -> Bool {
        var normalized = path
        while normalized.count > 1 && normalized.hasSuffix("/") { normalized.removeLast() }
        return authPaths.contains(normalized)
    }

    static func isOutboundPublicPath(_ path: String) -> Bool {
        var normalized = path
        while normalized.count > 1 && normalized.hasSuffix("/") { normalized.removeLast() }
        return outboundPublicPaths.contains(normalized)
    }
}

/// Tenant plans, cached for a minute (a plan change applies within that).
public final class TenantPlanCache: Sendable {
    private let entries = Mutex<[UUID: (plan: String, loaded: ContinuousClock.Instant)]>([:])
    let tenants: any TenantDirectory

    public init(tenants: any TenantDirectory) {
        self.tenants = tenants
    }

    public func plan(for tenantID: UUID) async -> String? {
        if let entry = entries.withLock({ $0[tenantID] }), ContinuousClock.now - entry.loaded < .seconds(60) {
            return entry.plan
        }
        guard let plan = (try? await tenants.plan(of: tenantID)) ?? nil else { return nil }
        entries.withLock { $0[tenantID] = (plan, .now) }
        return plan
    }
}

/// Counts every request and answers 429 with `Retry-After` over the limit. Every response,
/// error or not, carries `X-RateLimit-Limit`, `-Remaining`, `-Reset` and the IETF
/// `RateLimit-Policy` / `RateLimit` pair.
public struct RateLimitMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let limiter: RateLimiter
    let policy: RateLimitPolicy
    let plans: TenantPlanCache?
    let identify: @Sendable (Request) async -> RateLimitIdentity?

    public init(
        limiter: RateLimiter, policy: RateLimitPolicy, plans: TenantPlanCache?,
        identify: @escaping @Sendable (Request) async -> RateLimitIdentity?
    ) {
        self.limiter = limiter
        self.policy = policy
        self.plans = plans
        self.identify = identify
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let address = "ip:" + (context.clientIP ?? "unknown")
        let key: String
        let limit: Int
        let policyName: String
        if RateLimitPolicy.isAuthPath(request.uri.path) {
            (key, limit, policyName) = ("auth:" + address, policy.authPerMinute, "auth")
        } else if RateLimitPolicy.isOutboundPublicPath(request.uri.path) {
            (key, limit, policyName) = ("outbound:" + address, policy.authPerMinute, "auth")
        } else if let identity = await identify(request) {
            var plan: String?
            if let tenant = identity.tenantID { plan = await plans?.plan(for: tenant) }
            let planLimit = plan.flatMap { policy.planPerMinute[$0] }
            (key, limit, policyName) = (identity.key, planLimit ?? policy.defaultPerMinute, plan ?? "default")
        } else {
            (key, limit, policyName) = (address, policy.defaultPerMinute, "default")
        }
        let decision = limiter.check(key, limit: limit)
        let headers = Self.headers(decision, policy: policyName)
        guard decision.allowed else {
            var error = APIError(
                .tooManyRequests, code: "RATE_LIMITED", message: "Too many requests; retry in \(decision.retryAfterSeconds) s",
                details: ["limit": .int(Int64(decision.limit)), "window_seconds": 60, "retry_after_seconds": .int(Int64(decision.retryAfterSeconds))])
            error.headers = headers
            error.headers[.retryAfter] = String(decision.retryAfterSeconds)
            return ErrorEnvelopeMiddleware.response(for: error, requestID: context.requestID)
        }
        var response = try await next(request, context)
        for field in headers { response.headers[field.name] = field.value }
        return response
    }

    static func headers(_ decision: RateLimiter.Decision, policy: String) -> HTTPFields {
        [
            .xRateLimitLimit: String(decision.limit),
            .xRateLimitRemaining: String(decision.remaining),
            .xRateLimitReset: String(decision.resetSeconds),
            .rateLimitPolicy: "\"\(policy)\";q=\(decision.limit);w=60",
            .rateLimit: "\"\(policy)\";r=\(decision.remaining);t=\(decision.resetSeconds)",
        ]
    }
}

extension HTTPField.Name {
    public static let xRateLimitLimit = HTTPField.Name("X-RateLimit-Limit")!
    public static let xRateLimitRemaining = HTTPField.Name("X-RateLimit-Remaining")!
    public static let xRateLimitReset = HTTPField.Name("X-RateLimit-Reset")!
    public static let rateLimitPolicy = HTTPField.Name("RateLimit-Policy")!
    public static let rateLimit = HTTPField.Name("RateLimit")!
}
