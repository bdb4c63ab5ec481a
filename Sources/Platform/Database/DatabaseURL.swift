import Foundation
import Logging
import NIOSSL
import PlatformSupport
import PostgresNIO

/// A `postgres://user:password@host:port/database?sslmode=...` address.
public struct DatabaseURL: Sendable, Equatable {
    public enum SSLMode: String, Sendable { case disable, prefer, require, verifyFull = "verify-full" }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode

    public init(host: String, port: Int = 5432, username: String, password: String?, database: String, sslMode: SSLMode = .prefer) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.sslMode = sslMode
    }

    /// Parses the URL; the error message says what is wrong without echoing the password.
    public init(parsing text: String) throws(ConfigurationError) {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme)
        else {
            throw ConfigurationError("must look like postgres://user:password@host:5432/database")
        }
        guard let host = components.host, !host.isEmpty else { throw ConfigurationError("has no host") }
        guard let user = components.user, !user.isEmpty else { throw ConfigurationError("has no user name") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw ConfigurationError("has no database name") }
        var sslMode = SSLMode.prefer
        if let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value {
            guard let parsed = SSLMode(rawValue: mode) else {
                throw ConfigurationError("has sslmode=\(mode); use disable, prefer, require or verify-full")
            }
            sslMode = parsed
        }
        self.init(
            host: host, port: components.port ?? 5432, username: user.removingPercentEncoding ?? user,
            password: components.password.map { $0.removingPercentEncoding ?? $0 },
            database: database.removingPercentEncoding ?? database, sslMode: sslMode)
    }

    public func replacing(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    public var redacted: String { "postgres://\(username)@\(host):\(port)/\(database)" }

    public func clientConfiguration(maxConnections: Int = 20) -> PostgresClient.Configuration {
        var unverified = TLSConfiguration.makeClientConfiguration()
        unverified.certificateVerification = .none
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(unverified)
        case .require: tls = .require(unverified)
        case .verifyFull: tls = .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.maximumConnections = maxConnections
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }
}

extension DatabaseURL {
    /// The URL with its password, for handing to a child process.
    public var connectionString: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = username
        components.password = password
        components.host = host
        components.port = port
        components.path = "/" + database
        components.queryItems = [URLQueryItem(name: "sslmode", value: sslMode.rawValue)]
        return components.string ?? redacted
    }
}

extension DatabaseURL {
    /// Runs `body` on one dedicated connection (migrations, provisioning), closed afterwards.
    public func withSingleConnection<Result: Sendable>(
        logger: Logger, _ body: @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        var unverified = TLSConfiguration.makeClientConfiguration()
        unverified.certificateVerification = .none
        let tls: PostgresConnection.Configuration.TLS
        switch sslMode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: unverified))
        case .require: tls = .require(try NIOSSLContext(configuration: unverified))
        case .verifyFull: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        let configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        let connection = try await PostgresConnection.connect(
            on: PostgresClient.defaultEventLoopGroup.any(), configuration: configuration, id: 0, logger: logger
        ).get()
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
