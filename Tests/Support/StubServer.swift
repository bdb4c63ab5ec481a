import Hummingbird
import HummingbirdTesting

/// Runs `router` as a real HTTP server on a free loopback port for the duration of `body`:
/// the local stand-in for an outside service (OAuth provider, model provider, webhook receiver).
public func withStubServer<Result: Sendable>(
    _ router: Router<BasicRequestContext>,
    _ body: @Sendable (_ baseURL: String) async throws -> Result
) async throws -> Result {
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    return try await app.test(.live) { client in
        guard let port = client.port else { throw StubServerError() }
        return try await body("http://127.0.0.1:\(port)")
    }
}

struct StubServerError: Error {}
