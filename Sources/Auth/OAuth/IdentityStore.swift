import Foundation
import PlatformDatabase
import PlatformSupport

/// Every statement on `user_identities`: a provider's account linked to a user.
struct IdentityStore: Sendable {
    func linkedUserID(provider: String, providerUserID: String, in tx: DatabaseTransaction) async throws -> UUID? {
        try await tx.value(
            "SELECT user_id FROM user_identities WHERE provider = \(provider) AND provider_user_id = \(providerUserID)", as: UUID.self)
    }

    /// Links the provider's account to the user, unless it is linked already.
    func link(provider: String, providerUserID: String, userID: UUID, email: String?, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            INSERT INTO user_identities (provider, provider_user_id, user_id, email) VALUES (\(provider), \(providerUserID), \(userID), \(email))
            ON CONFLICT (provider, provider_user_id) DO NOTHING
            """)
    }
}
