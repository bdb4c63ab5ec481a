import Crypto
import Foundation
import NIOCore
import PlatformSupport

/// Seals and opens tenant secrets with AES-GCM; the tenant and the secret's name are bound in
/// as associated data, so a sealed value copied to another row does not open. In the platform
/// so that any module can keep a secret without importing Settings.
public struct SecretSealer: Sendable {
    let key: SymmetricKey

    /// From `SECRETS_KEY`, else derived (HKDF-SHA256) from the JWT secret; nil when neither exists.
    public init?(config: PlatformConfig) {
        if let text = config.secretsKey, let bytes = Data(base64Encoded: text), bytes.count == 32 {
            key = SymmetricKey(data: bytes)
        } else if let jwt = config.jwt.secret {
            key = HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: Data(jwt.utf8)), info: Data("platform tenant secrets v1".utf8), outputByteCount: 32)
        } else {
            return nil
        }
    }

    static func context(_ tenant: UUID, _ name: String) -> Data {
        Data("\(tenant.uuidString.lowercased())/\(name)".utf8)
    }

    public func seal(_ value: String, tenant: UUID, name: String) throws -> ByteBuffer {
        let box = try AES.GCM.seal(Data(value.utf8), using: key, authenticating: Self.context(tenant, name))
        guard let combined = box.combined else { throw APIError.internalError }
        return ByteBuffer(bytes: combined)
    }

    public func open(_ sealed: ByteBuffer, tenant: UUID, name: String) throws -> String {
        let box = try AES.GCM.SealedBox(combined: Data(sealed.readableBytesView))
        return String(decoding: try AES.GCM.open(box, using: key, authenticating: Self.context(tenant, name)), as: UTF8.self)
    }
}
