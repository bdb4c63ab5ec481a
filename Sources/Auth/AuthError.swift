import PlatformSupport


/// Authentication failures, each a 401 (429 for lockout) in the standard envelope.
enum AuthError {
    static func invalidToken(_ reason: String) -> APIError {
        APIError(.unauthorized, code: "INVALID_TOKEN", message: "The access token is not valid: \(reason)", headers: [.wwwAuthenticate: #"Bearer error="invalid_token""#])
    }

    static let tokenExpired = APIError(
        .unauthorized, code: "TOKEN_EXPIRED", message: "The access token has expired",
        hint: "Get a new one from POST /api/v1/auth/refresh", headers: [.wwwAuthenticate: #"Bearer error="invalid_token""#])

    static let sessionRevoked = APIError(
        .unauthorized, code: "SESSION_REVOKED", message: "This session has ended; sign in again",
        headers: [.wwwAuthenticate: #"Bearer error="invalid_token""#])

    static let invalidCredentials = APIError(.unauthorized, code: "INVALID_CREDENTIALS", message: "Wrong username or password")

    static let invalidAPIKey = APIError(
        .unauthorized, code: "INVALID_API_KEY", message: "The API key is not valid, has expired or was revoked")

    static let invalidRefreshToken = APIError(
        .unauthorized, code: "INVALID_REFRESH_TOKEN", message: "The refresh token is not valid or has expired")

    static let refreshTokenReused = APIError(
        .unauthorized, code: "REFRESH_TOKEN_REUSED",
        message: "This refresh token was already used; the session has been ended as a precaution",
        hint: "Sign in again")

    static let accountDisabled = APIError(.unauthorized, code: "ACCOUNT_DISABLED", message: "This account is disabled")

    static let tenantUnavailable = APIError(
        .unauthorized, code: "TENANT_UNAVAILABLE", message: "The tenant is suspended or you are not a member of it")

    static let tenantSwitchDenied = APIError(
        .forbidden, code: "TENANT_ACCESS_DENIED", message: "You are not an active member of the tenant named by X-Tenant-ID")

    static func lockedOut(retryAfter seconds: Int) -> APIError {
        APIError(
            .tooManyRequests, code: "TOO_MANY_ATTEMPTS",
            message: "Too many failed sign-in attempts; try again in \(seconds) seconds",
            details: ["retry_after_seconds": .int(Int64(seconds))], headers: [.retryAfter: String(seconds)])
    }
}
