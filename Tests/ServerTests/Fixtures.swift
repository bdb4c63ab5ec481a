@testable import Auth
import Foundation
import Hummingbird
import HummingbirdTesting
import PlatformDatabase
import PlatformSupport
import PlatformTesting
@testable import Server


/// Tenants and users made directly in the database, for tests that start from a known state.
struct Fixtures {
    let database: Database
    let passwords: PasswordHasher

    init(_ dependencies: AppDependencies) {
        self.database = dependencies.database
        self.passwords = dependencies.passwords
    }

    @discardableResult
    func tenant(_ code: String, status: String = "active") async throws -> UUID {
        let id = UUID.v7()
        try await database.withPlatformScope { tx in
            try await tx.query("INSERT INTO tenants (id, code, name, status) VALUES (\(id), \(code), \(code.capitalized), \(status))")
        }
        return id
    }

    @discardableResult
    func user(_ username: String, password: String = "Sturdy-Password-42", tenants: [UUID], email: String? = nil, admin: Bool = false) async throws -> UUID {
        let id = UUID.v7()
        let hash = try await passwords.hash(password)
        try await database.withPlatformScope { tx in
            try await tx.query(
                "INSERT INTO users (id, username, email, password_hash, is_platform_admin) VALUES (\(id), \(username), \(email ?? "\(username)@example.com"), \(hash), \(admin))")
            for (index, tenant) in tenants.enumerated() {
                try await tx.query("INSERT INTO tenant_memberships (tenant_id, id, user_id, is_default) VALUES (\(tenant), \(UUID.v7()), \(id), \(index == 0))")
            }
        }
        return id
    }
}

extension TestClientProtocol {
    /// POSTs JSON and hands back the response.
    func post(_ uri: String, _ body: JSONValue, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        return try await execute(uri: uri, method: .post, headers: headers, body: try .json(body))
    }

    func put(_ uri: String, _ body: JSONValue, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        return try await execute(uri: uri, method: .put, headers: headers, body: try .json(body))
    }

    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: headers)
    }

    func patch(_ uri: String, _ body: JSONValue, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        return try await execute(uri: uri, method: .patch, headers: headers, body: try .json(body))
    }

    func delete(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .delete, headers: headers)
    }

    /// Signs in and returns the token response body.
    func login(_ username: String, _ password: String = "Sturdy-Password-42", tenant: String? = nil) async throws -> JSONValue {
        var body: [String: JSONValue] = ["username": .string(username), "password": .string(password)]
        if let tenant { body["tenant"] = .string(tenant) }
        return try await post("/api/v1/auth/login", .object(body)).jsonBody
    }
}

func bearer(_ token: JSONValue?) -> HTTPFields {
    [.authorization: "Bearer \(token?.stringValue ?? "")"]
}
