import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PlatformSupport

/// Gives every request an id (the caller's `X-Request-ID` when it is sane), puts it in the
/// logger metadata, echoes it on the response, and writes one access-log line per request.
public struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    let assign: @Sendable (inout Context, String) -> Void

    public init(assign: @escaping @Sendable (inout Context, String) -> Void) {
        self.assign = assign
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let requestID = Self.acceptable(request.headers[.requestID]) ?? UUID.v7().uuidString.lowercased()
        var context = context
        assign(&context, requestID)
        context.logger[metadataKey: "request_id"] = .string(requestID)
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            // The error middleware sits inside this one; anything reaching here is logged and re-thrown.
            context.logger.error("request failed outside the error middleware", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            throw error
        }
        response.headers[.requestID] = requestID
        let elapsed = ContinuousClock.now - started
        context.logger.info(
            "\(request.method) \(request.uri.path) \(response.status.code)",
            metadata: [
                "method": .string(request.method.rawValue),
                "path": .string(request.uri.path),
                "status": .stringConvertible(response.status.code),
                "duration_ms": .string(String(format: "%.2f", Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)),
            ]
        )
        return response
    }

    static func acceptable(_ value: String?) -> String? {
        guard let value, (1...128).contains(value.utf8.count) else { return nil }
        let allowed = value.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x5F || byte == 0x2E
        }
        return allowed ? value : nil
    }
}

extension HTTPField.Name {
    public static let requestID = HTTPField.Name("X-Request-ID")!
}
