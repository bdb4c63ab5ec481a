import Foundation
import PlatformSupport
import PostgresNIO

/// One entry of the append-only audit log (`audit_logs`): who did what to what.
public struct AuditEvent: Sendable {
    public var tenantID: UUID?
    public var actorUserID: UUID?
    public var actorAPIKeyID: UUID?
    public var action: String
    public var targetType: String?
    public var targetID: String?
    public var outcome: String
    public var clientIP: String?
    public var requestID: String?
    public var before: JSONValue?
    public var after: JSONValue?
    public var metadata: JSONValue?

    public init(
        action: String, tenantID: UUID?, actorUserID: UUID? = nil, actorAPIKeyID: UUID? = nil,
        targetType: String? = nil, targetID: String? = nil, outcome: String = "success",
        clientIP: String? = nil, requestID: String? = nil,
        before: JSONValue? = nil, after: JSONValue? = nil, metadata: JSONValue? = nil
    ) {
        self.tenantID = tenantID
        self.actorUserID = actorUserID
        self.actorAPIKeyID = actorAPIKeyID
        self.action = action
        self.targetType = targetType
        self.targetID = targetID
        self.outcome = outcome
        self.clientIP = clientIP
        self.requestID = requestID
        self.before = before
        self.after = after
        self.metadata = metadata
    }
}

/// Appends audit events inside the caller's transaction, so an event is recorded exactly when
/// the change it describes commits.
public enum AuditLog {
    public static func append(_ event: AuditEvent, in tx: DatabaseTransaction) async throws {
        func json(_ value: JSONValue?) throws -> String? {
            guard let value else { return nil }
            return String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        }
        try await tx.query(
            """
            INSERT INTO audit_logs (id, tenant_id, actor_user_id, actor_api_key_id, action, target_type, target_id,
                                    outcome, client_ip, request_id, before, after, metadata)
            VALUES (\(UUID.v7()), \(event.tenantID), \(event.actorUserID), \(event.actorAPIKeyID), \(event.action),
                    \(event.targetType), \(event.targetID), \(event.outcome), \(event.clientIP), \(event.requestID),
                    \(try json(event.before))::jsonb, \(try json(event.after))::jsonb, \(try json(event.metadata))::jsonb)
            """)
        // Every audited change is also an event on the bus (without the before/after detail).
        try await EventBus.publish(
            PlatformEvent(
                type: event.action, tenantId: event.tenantID,
                data: [
                    "outcome": .string(event.outcome),
                    "actor_user_id": event.actorUserID.map { .string($0.uuidString.lowercased()) } ?? .null,
                    "target_type": event.targetType.map { .string($0) } ?? .null,
                    "target_id": event.targetID.map { .string($0) } ?? .null,
                ]),
            in: tx)
    }
}
