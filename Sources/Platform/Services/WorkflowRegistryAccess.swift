import Crypto
import Foundation
import HTTPTypes
import PlatformDatabase
import PlatformSupport

/// A workflow of the registry (`/api/v1/workflow-registry`) as other modules see it: the
/// short-video seed's entry fields. Its secrets never leave the module that keeps them.
public struct RegisteredWorkflow: Codable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var description: String?
    public var workflowType: String
    public var n8nWebhookUrl: String?
    public var isActive: Bool
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID, name: String, description: String?, workflowType: String, n8nWebhookUrl: String?, isActive: Bool, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.workflowType = workflowType
        self.n8nWebhookUrl = n8nWebhookUrl
        self.isActive = isActive
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// What n8n answered a trigger (2xx).
public struct WorkflowTriggerAnswer: Sendable, Equatable {
    public var statusCode: Int
    /// Parsed JSON, or the text when it is not JSON.
    public var body: JSONValue

    public init(statusCode: Int, body: JSONValue) {
        self.statusCode = statusCode
        self.body = body
    }
}

/// Why a trigger did not reach n8n or was refused by it; `retryable` says whether trying again
/// may help (transport errors, 5xx, 429) or not (no such entry, inactive, refused target, 4xx).
public struct WorkflowTriggerFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var statusCode: Int?
    public var retryable: Bool

    public init(_ message: String, statusCode: Int? = nil, retryable: Bool) {
        self.message = message
        self.statusCode = statusCode
        self.retryable = retryable
    }

    public var description: String { message }
}

/// How a callback proved it came from the registered workflow, or why it did not.
public enum WorkflowCallbackCheck: Sendable, Equatable {
    /// `secret_header` (the entry's callback header carried the secret) or `hmac_sha256`
    /// (`X-Callback-Signature` carried the body's HMAC-SHA256 under the secret).
    case accepted(proof: String)
    case rejected(reason: String)
}

/// The body signature n8n may send instead of the secret itself: `X-Callback-Signature:
/// sha256=<hex HMAC-SHA256 of the raw body, keyed with the entry's callback secret>`.
public enum WorkflowCallbackSignature {
    public static let headerName = "X-Callback-Signature"

    public static func value(secret: String, body: [UInt8]) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `header` is the body's signature under `secret` (compared in constant time).
    public static func isValid(_ header: String, secret: String, body: [UInt8]) -> Bool {
        var hex = header.trimmingCharacters(in: .whitespaces).lowercased()
        if hex.hasPrefix("sha256=") { hex.removeFirst("sha256=".count) }
        guard hex.count == 64 else { return false }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return false }
            bytes.append(byte)
            index = next
        }
        return HMAC<SHA256>.isValidAuthenticationCode(bytes, authenticating: body, using: SymmetricKey(data: Data(secret.utf8)))
    }

    /// Byte strings compared in time independent of where they differ.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// The workflow registry as a capability: the Workflows module keeps the registry (and its sealed
/// auth headers and callback secrets) and implements this; `Server` hands it to the modules
/// that trigger n8n workflows, which never import Workflows.
public protocol WorkflowRegistryAccess: Sendable {
    /// The live (not deleted) entry of the tenant, active or not.
    func entry(_ id: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> RegisteredWorkflow?

    /// POSTs `payload` to the entry's n8n webhook with its auth header (and `X-Callback-URL`
    /// when given), after the outbound target policy allowed the URL. Throws
    /// `WorkflowTriggerFailure`. Runs outside any transaction of the caller.
    func trigger(_ id: UUID, scope: TenantScope, payload: JSONValue, callbackURL: String?) async throws -> WorkflowTriggerAnswer

    /// Checks a callback for the entry: its secret in the entry's callback header, or the
    /// body's HMAC-SHA256 signature in `X-Callback-Signature`, both compared in constant time.
    /// An entry without a callback secret accepts no callback.
    func verifyCallback(_ id: UUID, tenantID: UUID, headers: HTTPFields, body: [UInt8], in tx: DatabaseTransaction) async throws -> WorkflowCallbackCheck
}
