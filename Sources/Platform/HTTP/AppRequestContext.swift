import Foundation
import Hummingbird
import Logging
import NIOCore
import PlatformDatabase
import PlatformSupport
import Synchronization

/// The request context of every route: request id, client address and, once authentication
/// has run, the caller.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID: String
    public var clientAddress: SocketAddress?
    /// The caller, once authentication has run; also noted in `facts` for the middleware
    /// outside authentication (usage accounting), which holds an earlier copy of the context.
    public var principal: Principal? {
        didSet { facts.note(principal) }
    }
    /// Shared by every copy of this request's context.
    public let facts = RequestFacts()

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

/// What inner middleware learned about a request, for outer middleware that sees the request
/// before them (contexts are values: an outer one keeps its own copy). One per request.
public final class RequestFacts: Sendable {
    public struct Caller: Sendable, Equatable {
        public var tenantID: UUID
        public var userID: UUID
        /// `session` or `api_key`.
        public var credential: String
    }

    private let caller = Mutex<Caller?>(nil)

    public init() {}

    func note(_ principal: Principal?) {
        let noted = principal.map { principal -> Caller in
            let credential: String
            switch principal.credential {
            case .session: credential = "session"
            case .apiKey: credential = "api_key"
            }
            return Caller(tenantID: principal.tenantID, userID: principal.userID, credential: credential)
        }
        caller.withLock { $0 = noted }
    }

    /// The authenticated caller, if authentication found one.
    public var authenticated: Caller? { caller.withLock { $0 } }
}
