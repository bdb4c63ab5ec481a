import Foundation
import PlatformDatabase
import PlatformSupport

/// Auth's side of user administration: the password policy and session revocation.
public struct AuthCredentialAdministration: CredentialAdministration {
    let passwords: PasswordHasher
    let policy: PasswordPolicy
    let sessions = SessionStore()

    public init(passwords: PasswordHasher) {
        self.passwords = passwords
        self.policy = .bundled()
    }

    public func hashNewPassword(_ password: String, username: String, email: String?, field: String) async throws -> String {
        let problems = policy.problems(password: password, username: username, email: email)
        if !problems.isEmpty { throw APIError.passwordPolicy(problems, field: field) }
        return try await passwords.hash(password)
    }

    public func endAllSessions(userID: UUID, reason: String, in tx: DatabaseTransaction) async throws -> Int {
        try await sessions.revokeOthers(userID: userID, except: nil, reason: reason, in: tx)
    }
}
