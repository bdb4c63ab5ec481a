import Foundation
import PlatformDatabase
import PlatformSupport

/// Creates the first platform administrator (and their tenant) — `platform bootstrap`, and
/// the demo seed of a local first run.
public struct Bootstrapper: Sendable {
    let database: Database
    let passwords: PasswordHasher
    let store = BootstrapStore()
    let accounts = AccountStore()

    public init(database: Database, passwords: PasswordHasher) {
        self.database = database
        self.passwords = passwords
    }

    public struct Result: Sendable {
        public var userID: UUID
        public var tenantID: UUID
        public var createdUser: Bool
        /// Set when the password was generated here, to be shown once.
        public var generatedPassword: String?
    }

    public func createAdmin(email: String, username: String?, password: String?, tenantCode: String, tenantName: String?) async throws -> Result {
        let code = tenantCode.lowercased()
        guard code.wholeMatch(of: /[a-z0-9][a-z0-9-]{1,62}/) != nil else {
            throw APIError.validation(["tenant": "must be 2-63 lowercase letters, digits or dashes"])
        }
        guard email.wholeMatch(of: /[^@\s]+@[^@\s]+\.[^@\s]+/) != nil else { throw APIError.validation(["admin_email": "is not an e-mail address"]) }
        let name = username ?? String(email.split(separator: "@")[0])
        let generated = password == nil ? Secrets.random(bytes: 15) : nil
        guard let chosen = password ?? generated else { throw APIError.validation(["password": "is required"]) }
        let problems = PasswordPolicy.bundled().problems(password: chosen, username: name, email: email)
        if !problems.isEmpty { throw APIError.validation(["password": problems.joined(separator: "; ")]) }
        let hash = try await passwords.hash(chosen)
        return try await database.withPlatformScope { tx in
            guard let tenantID = try await store.ensureTenant(code: code, name: tenantName ?? code, in: tx) else { throw APIError.internalError }
            var userID = try await accounts.user(email: email, in: tx)?.id
            let created = userID == nil
            if let existing = userID {
                try await store.promote(existing, passwordHash: hash, in: tx)
            } else {
                let id = UUID.v7()
                try await store.insertAdmin(id: id, username: name, email: email, passwordHash: hash, in: tx)
                userID = id
            }
            guard let userID else { throw APIError.internalError }
            try await store.ensureMembership(userID: userID, tenantID: tenantID, in: tx)
            try await AuditLog.append(
                AuditEvent(action: "platform.bootstrap", tenantID: tenantID, actorUserID: userID, targetType: "user", targetID: userID.uuidString.lowercased(), after: ["email": .string(email), "tenant": .string(code)]),
                in: tx)
            return Result(userID: userID, tenantID: tenantID, createdUser: created, generatedPassword: generated)
        }
    }

    public func hasUsers() async throws -> Bool {
        try await database.withPlatformScope { tx in
            try await store.hasUsers(in: tx)
        }
    }
}
