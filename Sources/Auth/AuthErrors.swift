import PlatformSupport

/// Authentication failures, each a 401 (429 for lockout) in the standard envelope.
extension APIError {
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

/// What the auth routes refuse besides authentication itself.
extension APIError {
    static var notASession: APIError { .badRequest("API keys are not sessions; revoke the key instead", code: "NOT_A_SESSION") }

    static var passwordNeedsSession: APIError {
        APIError(.forbidden, code: "SESSION_REQUIRED", message: "Passwords can only be changed from a signed-in session, not with an API key")
    }

    static var keyNeedsSession: APIError { APIError(.forbidden, code: "SESSION_REQUIRED", message: "API keys cannot create API keys; sign in") }

    static var wrongCurrentPassword: APIError {
        .validation(["old_password": "is not your current password"], message: "The current password is wrong")
    }

    static var apiKeyNotFound: APIError { .notFound("API key", code: "API_KEY_NOT_FOUND") }

    /// A password the policy refuses, its problems named under `field`.
    static func passwordPolicy(_ problems: [String], field: String, message: String = "The password does not meet the password policy") -> APIError {
        APIError(
            .unprocessableContent, code: "PASSWORD_POLICY", message: message,
            details: ["fields": [field: .string(problems.joined(separator: "; "))], "rules": .array(problems.map { .string($0) })])
    }

    static func scopesNotHeld(_ scopes: [String]) -> APIError {
        APIError(
            .forbidden, code: "SCOPE_NOT_HELD", message: "A key cannot have permissions its creator does not hold",
            details: ["scopes": .array(scopes.map { .string($0) })])
    }
}

/// GitHub sign-in failures.
extension APIError {
    /// 404: the feature does not exist on this server (a 5xx would blame the server).
    static func oauthNotConfigured(missing: [String]) -> APIError {
        APIError(
            .notFound, code: "OAUTH_NOT_CONFIGURED",
            message: "GitHub sign-in is not configured on this server: set \(missing.joined(separator: " and "))")
    }

    static func oauthCodeInvalid(_ reason: String) -> APIError {
        APIError(.unauthorized, code: "OAUTH_CODE_INVALID", message: "GitHub did not accept the code (\(reason))", hint: "Start the sign-in again")
    }

    static var oauthTokenRefused: APIError { APIError(.unauthorized, code: "OAUTH_CODE_INVALID", message: "GitHub refused the token") }

    static func oauthProvider(_ message: String) -> APIError { APIError(.badGateway, code: "OAUTH_PROVIDER_ERROR", message: message) }

    static var oauthNoAccount: APIError {
        APIError(
            .forbidden, code: "NO_ACCOUNT", message: "This GitHub account is not linked to a user, and sign-up through GitHub is not enabled",
            hint: "Ask an administrator to invite you, or to set OAUTH_DEFAULT_TENANT")
    }
}
