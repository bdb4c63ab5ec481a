import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport
import Synchronization

/// A bounded ring of recent requests per tenant, for `GET /api/v1/debug/request-log`: method,
/// the route's path template (never the concrete path, query, headers or body), status,
/// duration and request id. In memory, per process.
final class RequestLog: Sendable {
    static let capacity = 200

    struct Entry: Sendable {
        var method: String
        var path: String
        var status: Int
        var durationMs: Double
        var requestID: String
        var at: Date

        var json: JSONValue {
            [
                "method": .string(method), "path": .string(path), "status_code": .int(Int64(status)),
                "duration_ms": .double((durationMs * 100).rounded() / 100), "request_id": .string(requestID),
                "timestamp": .string(RFC3339.string(from: at)),
            ]
        }
    }

    private let entries = Mutex<[UUID: [Entry]]>([:])

    func record(_ entry: Entry, tenantID: UUID) {
        entries.withLock { all in
            var ring = all[tenantID, default: []]
            ring.append(entry)
            if ring.count > Self.capacity { ring.removeFirst(ring.count - Self.capacity) }
            all[tenantID] = ring
        }
    }

    /// The tenant's latest requests, newest first.
    func recent(tenantID: UUID, limit: Int) -> [Entry] {
        entries.withLock { Array(($0[tenantID] ?? []).suffix(limit).reversed()) }
    }
}

/// Records each authenticated request in the request log; runs after authentication.
public struct RequestLogMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let log: RequestLog

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        func record(_ status: Int) {
            guard let principal = context.principal else { return }
            let elapsed = ContinuousClock.now - start
            log.record(
                RequestLog.Entry(
                    method: request.method.rawValue, path: context.endpointPath ?? "(no route)", status: status,
                    durationMs: Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15,
                    requestID: context.requestID, at: Date()),
                tenantID: principal.tenantID)
        }
        do {
            let response = try await next(request, context)
            record(Int(response.status.code))
            return response
        } catch let error as APIError {
            record(Int(error.status.code))
            throw error
        } catch let error as HTTPError {
            record(Int(error.status.code))
            throw error
        } catch {
            record(500)
            throw error
        }
    }
}
