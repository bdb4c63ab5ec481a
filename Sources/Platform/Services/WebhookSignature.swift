import Crypto
import Foundation

/// Standard Webhooks v1 signing (https://www.standardwebhooks.com): `whsec_` secrets of random
/// bytes in base64, and `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` signatures.
public enum WebhookSignature {
    public static let secretPrefix = "whsec_"

    public struct InvalidSecret: Error, Sendable {}

    /// A new secret: `whsec_` and 32 random bytes in base64.
    public static func newSecret() -> String {
        secretPrefix + Data(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }).base64EncodedString()
    }

    /// The key bytes of a `whsec_` secret (24 to 64 bytes).
    public static func key(from secret: String) throws -> SymmetricKey {
        guard secret.hasPrefix(secretPrefix), let bytes = Data(base64Encoded: String(secret.dropFirst(secretPrefix.count))),
            (24...64).contains(bytes.count)
        else { throw InvalidSecret() }
        return SymmetricKey(data: bytes)
    }

    public static func isValidSecret(_ secret: String) -> Bool {
        (try? key(from: secret)) != nil
    }

    /// `v1,<signature>` for one secret.
    public static func sign(secret: String, id: String, timestamp: Int, body: String) throws -> String {
        let content = Data("\(id).\(timestamp).\(body)".utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: try key(from: secret))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The `webhook-signature` header: one signature per secret, space-separated (during a
    /// rotation both the new and the previous secret sign).
    public static func header(secrets: [String], id: String, timestamp: Int, body: String) throws -> String {
        try secrets.map { try sign(secret: $0, id: id, timestamp: timestamp, body: body) }.joined(separator: " ")
    }
}
