import Foundation
import Hummingbird
import Logging
import NIOCore
import PlatformDatabase
import PlatformSupport

/// The request context of every route: request id, client address and, once authentication
/// has run, the caller.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID: String
    public var clientAddress: SocketAddress?
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestID = ""
        self.clientAddress = source.channel.remoteAddress
        self.principal = nil
    }

    public var requestDecoder: PlatformRequestDecoder { PlatformRequestDecoder() }
    public var responseEncoder: PlatformResponseEncoder { PlatformResponseEncoder() }

    /// Client IP as text, for rate limiting and audit.
    public var clientIP: String? { clientAddress?.ipAddress }
}

/// The context of a protected route: the caller is known, so `principal` is not optional.
public struct AuthenticatedContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let requestID: String
    public let clientAddress: SocketAddress?
    public let principal: Principal

    public init(context: AppRequestContext) throws {
        guard let principal = context.principal else { throw APIError.unauthorized }
        self.coreContext = context.coreContext
        self.requestID = context.requestID
        self.clientAddress = context.clientAddress
        self.principal = principal
    }

    public var tenant: TenantScope { principal.tenantScope }
    public var requestDecoder: PlatformRequestDecoder { PlatformRequestDecoder() }
    public var responseEncoder: PlatformResponseEncoder { PlatformResponseEncoder() }
}

extension AuthenticatedContext {
    /// A UUID path parameter; anything else names nothing, so it answers 404 like a missing row.
    public func pathUUID(_ name: String = "id", notFound what: String, code: String) throws -> UUID {
        guard let id = parameters.get(name, as: UUID.self) else { throw APIError.notFound(what, code: code) }
        return id
    }

    /// A UUID path parameter; anything else names nothing and answers `notFound`.
    public func pathUUID(_ name: String = "id", or notFound: APIError) throws -> UUID {
        guard let id = parameters.get(name, as: UUID.self) else { throw notFound }
        return id
    }
}
