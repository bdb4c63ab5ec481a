import Foundation
import HTTPTypes

/// The one error type handlers throw. The error middleware renders it as the standard envelope:
/// `{"error": {"code", "message", "hint", "timestamp", "details", "request_id"}}`.
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var hint: String?
    public var details: [String: JSONValue]?
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status,
        code: String,
        message: String,
        hint: String? = nil,
        details: [String: JSONValue]? = nil,
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint
        self.details = details
        self.headers = headers
    }

    public static func notFound(_ what: String, code: String = "NOT_FOUND") -> APIError {
        APIError(.notFound, code: code, message: "\(what) not found")
    }

    public static func badRequest(_ message: String, code: String = "BAD_REQUEST", hint: String? = nil) -> APIError {
        APIError(.badRequest, code: code, message: message, hint: hint)
    }

    /// Input that parsed but is not acceptable. `fields` maps each bad field to why.
    public static func validation(_ fields: [String: String], message: String = "The request has invalid fields") -> APIError {
        APIError(
            .unprocessableContent,
            code: "VALIDATION_ERROR",
            message: message,
            details: ["fields": .object(fields.mapValues { .string($0) })]
        )
    }

    public static func conflict(_ message: String, code: String = "CONFLICT", details: [String: JSONValue]? = nil) -> APIError {
        APIError(.conflict, code: code, message: message, details: details)
    }

    public static let unauthorized = APIError(
        .unauthorized, code: "UNAUTHORIZED", message: "Authentication is required",
        hint: "Send 'Authorization: Bearer <token>' or 'X-API-Key: <key>'",
        headers: [.wwwAuthenticate: "Bearer"]
    )

    public static func forbidden(permission: String) -> APIError {
        APIError(
            .forbidden, code: "FORBIDDEN", message: "You do not have permission to do this",
            details: ["required_permission": .string(permission)]
        )
    }

    public static let internalError = APIError(
        .internalServerError, code: "INTERNAL_ERROR", message: "An unexpected error occurred",
        hint: "Quote the request_id when reporting this"
    )

    public static let serviceUnavailable = APIError(
        .serviceUnavailable, code: "SERVICE_UNAVAILABLE", message: "A service the platform depends on is unavailable",
        hint: "Retry shortly"
    )
}

/// Wire form of the envelope.
public struct ErrorEnvelope: Codable, Sendable {
    public struct Body: Codable, Sendable {
        public var code: String
        public var message: String
        public var hint: String?
        public var timestamp: Date
        public var details: [String: JSONValue]?
        public var requestId: String?

        public init(code: String, message: String, hint: String? = nil, timestamp: Date, details: [String: JSONValue]? = nil, requestId: String? = nil) {
            self.code = code
            self.message = message
            self.hint = hint
            self.timestamp = timestamp
            self.details = details
            self.requestId = requestId
        }
    }

    public var error: Body
    /// FastAPI's top-level `detail`, which the seeds' clients read: the message, or for a 422
    /// with field errors FastAPI's list of `{loc, msg, type}`.
    public var detail: JSONValue?

    public init(error: Body, status: Int? = nil) {
        self.error = error
        self.detail = Self.detail(for: error, status: status)
    }

    static func detail(for error: Body, status: Int?) -> JSONValue {
        guard status == 422 else { return .string(error.message) }
        guard case .object(let fields)? = error.details?["fields"], !fields.isEmpty else {
            return [["loc": ["body"], "msg": .string(error.message), "type": "value_error"]]
        }
        return .array(fields.keys.sorted().map { field in
            let location: [JSONValue] = field.split(separator: ".").map { part in Int(part).map { .int(Int64($0)) } ?? .string(String(part)) }
            return ["loc": .array(location), "msg": fields[field] ?? .string(error.message), "type": "value_error"]
        })
    }
}
