import Foundation
import Logging
import PlatformSupport
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Something that happened, as subscribers see it.
public struct PlatformEvent: Codable, Sendable, Equatable {
    public var id: UUID
    public var type: String
    public var tenantId: UUID?
    /// The object the event is about (a task, for its progress stream), when there is one.
    public var subjectId: UUID?
    public var occurredAt: Date
    public var data: JSONValue

    public init(id: UUID = .v7(), type: String, tenantId: UUID?, subjectId: UUID? = nil, occurredAt: Date = Date(), data: JSONValue) {
        self.id = id
        self.type = type
        self.tenantId = tenantId
        self.subjectId = subjectId
        self.occurredAt = occurredAt
        self.data = data
    }
}

/// The platform's event bus on PostgreSQL LISTEN/NOTIFY: an event published inside a
/// transaction reaches the subscribers of every instance when (and only if) it commits.
public final class EventBus: Service, Sendable {
    public static let channel = "platform_events"
    /// NOTIFY payloads must stay under 8000 bytes.
    static let maximumPayload = 7_500

    struct Subscriber {
        var tenantID: UUID?
        var subjectID: UUID?
        var typePrefixes: [String]
        var continuation: AsyncStream<PlatformEvent>.Continuation
    }

    let database: Database
    let logger: Logger
    private let subscribers = Mutex<[UUID: Subscriber]>([:])

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Publishes `event` when `tx` commits. A tenant's events are also kept in `event_log`
    /// (same statement, one round trip), so streams can resume and histories be read.
    public static func publish(_ event: PlatformEvent, in tx: DatabaseTransaction) async throws {
        var data = try PlatformJSON.makeEncoder().encode(event)
        if data.count > maximumPayload {
            var trimmed = event
            trimmed.data = ["truncated": true]
            data = try PlatformJSON.makeEncoder().encode(trimmed)
        }
        let payload = String(decoding: data, as: UTF8.self)
        guard let tenantID = event.tenantId else {
            try await tx.query("SELECT pg_notify(\(channel), \(payload))")
            return
        }
        let eventData = String(decoding: try PlatformJSON.makeEncoder().encode(event.data), as: UTF8.self)
        try await tx.query(
            """
            WITH logged AS (
                INSERT INTO event_log (tenant_id, id, type, subject_id, data, occurred_at)
                VALUES (\(tenantID), \(event.id), \(event.type), \(event.subjectId), \(eventData)::jsonb, \(event.occurredAt))
            )
            SELECT pg_notify(\(channel), \(payload))
            """)
    }

    /// Logged events of a tenant after `lastEventID` (oldest first), for a stream that resumes.
    public static func replay(
        tenantID: UUID, after lastEventID: UUID, subjectID: UUID? = nil, typePrefixes: [String] = [], limit: Int = 1000,
        in tx: DatabaseTransaction
    ) async throws -> [PlatformEvent] {
        let patterns = typePrefixes.map { $0.replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%" }
        let rows = try await tx.all(
            """
            SELECT id, type, subject_id, data::text, occurred_at FROM event_log
            WHERE tenant_id = \(tenantID) AND id > \(lastEventID)
              AND (\(subjectID)::uuid IS NULL OR subject_id = \(subjectID))
              AND (cardinality(\(patterns)::text[]) = 0 OR type LIKE ANY(\(patterns)))
            ORDER BY id LIMIT \(limit)
            """, as: (UUID, String, UUID?, String, Date).self)
        return try rows.map { row in
            PlatformEvent(
                id: row.0, type: row.1, tenantId: tenantID, subjectId: row.2, occurredAt: row.4,
                data: try PlatformJSON.makeDecoder().decode(JSONValue.self, from: Data(row.3.utf8)))
        }
    }

    /// Events of one tenant (nil: every tenant, for platform administrators) whose type starts
    /// with one of `typePrefixes` (empty: all). The newest 256 wait for a slow reader.
    public func subscribe(tenantID: UUID?, subjectID: UUID? = nil, typePrefixes: [String] = []) -> (id: UUID, events: AsyncStream<PlatformEvent>) {
        let id = UUID()
        let (stream, continuation) = AsyncStream<PlatformEvent>.makeStream(bufferingPolicy: .bufferingNewest(256))
        subscribers.withLock {
            $0[id] = Subscriber(tenantID: tenantID, subjectID: subjectID, typePrefixes: typePrefixes, continuation: continuation)
        }
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(id) }
        return (id, stream)
    }

    public func unsubscribe(_ id: UUID) {
        let removed = subscribers.withLock { $0.removeValue(forKey: id) }
        removed?.continuation.finish()
    }

    public var subscriberCount: Int { subscribers.withLock { $0.count } }

    func deliver(_ event: PlatformEvent) {
        let targets = subscribers.withLock { all in
            all.values.filter { subscriber in
                (subscriber.tenantID == nil || subscriber.tenantID == event.tenantId)
                    && (subscriber.subjectID == nil || subscriber.subjectID == event.subjectId)
                    && (subscriber.typePrefixes.isEmpty || subscriber.typePrefixes.contains { event.type.hasPrefix($0) })
            }
        }
        for target in targets { target.continuation.yield(event) }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await self.database.withDedicatedConnection { connection in
                        try await connection.listen(on: Self.channel) { notifications in
                            for try await notification in notifications {
                                guard let event = try? PlatformJSON.makeDecoder().decode(PlatformEvent.self, from: Data(notification.payload.utf8)) else {
                                    self.logger.warning("undecodable event on the bus")
                                    continue
                                }
                                self.deliver(event)
                            }
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    self.logger.warning("event bus lost its connection; retrying")
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        let remaining = subscribers.withLock { all in
            defer { all.removeAll() }
            return Array(all.values)
        }
        for subscriber in remaining { subscriber.continuation.finish() }
    }
}
