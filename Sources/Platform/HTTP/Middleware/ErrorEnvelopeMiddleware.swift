import Foundation
import Hummingbird
import Logging
import NIOCore
import PlatformDatabase
import PlatformSupport
import PostgresNIO

/// Turns every error into the standard envelope. Unknown errors become a bare 500 (details
/// are logged with the request id, never sent). A path served under other methods answers 405.
public struct ErrorEnvelopeMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let routes: RouteTable

    public init(routes: RouteTable) {
        self.routes = routes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = self.apiError(for: error, request: request, context: context)
            return Self.response(for: apiError, requestID: context.requestID)
        }
    }

    func apiError(for error: any Error, request: Request, context: Context) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HTTPError:
            if error.status == .notFound {
                let allowed = routes.methods(matching: request.uri.path)
                if !allowed.isEmpty {
                    let list = allowed.map(\.rawValue).sorted().joined(separator: ", ")
                    return APIError(
                        .methodNotAllowed, code: "METHOD_NOT_ALLOWED",
                        message: "\(request.method.rawValue) is not supported here; allowed: \(list)",
                        headers: [.allow: list])
                }
                return APIError(.notFound, code: "NOT_FOUND", message: "No route for \(request.method.rawValue) \(request.uri.path)")
            }
            return APIError(error.status, code: Self.code(for: error.status), message: error.body ?? error.status.reasonPhrase, headers: error.headers)
        case let error as PSQLError:
            if let mapped = DatabaseErrors.apiError(for: error) { return mapped }
            context.logger.error("database error", metadata: ["error": .string(String(reflecting: error))])
            return .internalError
        case is CancellationError:
            return .serviceUnavailable
        default:
            context.logger.error("unhandled error", metadata: ["error": .string(String(reflecting: error))])
            return .internalError
        }
    }

    public static func response(for error: APIError, requestID: String) -> Response {
        let envelope = ErrorEnvelope(error: .init(
            code: error.code, message: error.message, hint: error.hint, timestamp: Date(),
            details: error.details, requestId: requestID.isEmpty ? nil : requestID), status: Int(error.status.code))
        let data = (try? PlatformJSON.makeEncoder().encode(envelope)) ?? Data(#"{"error":{"code":"INTERNAL_ERROR","message":"error"}}"#.utf8)
        var headers = error.headers
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.contentLength] = String(data.count)
        return Response(status: error.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "BAD_REQUEST"
        case 401: "UNAUTHORIZED"
        case 403: "FORBIDDEN"
        case 404: "NOT_FOUND"
        case 405: "METHOD_NOT_ALLOWED"
        case 408: "REQUEST_TIMEOUT"
        case 409: "CONFLICT"
        case 413: "PAYLOAD_TOO_LARGE"
        case 415: "UNSUPPORTED_MEDIA_TYPE"
        case 422: "VALIDATION_ERROR"
        case 429: "RATE_LIMITED"
        case 503: "SERVICE_UNAVAILABLE"
        default: status.code >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST"
        }
    }
}
