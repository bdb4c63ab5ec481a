import Foundation
import Logging
import PlatformSupport
import ServiceLifecycle
import Synchronization

/// Platform settings that change at run time, without a restart, on every instance: kept in
/// `platform_settings`, cached in each process, reloaded when any instance announces a change
/// (`platform.settings_changed` on the event bus) and once a minute as a safety net.
public final class RuntimeSettings: Service, Sendable {
    public enum Kind: String, Sendable, Codable { case string, int, bool, json }

    public struct Definition: Sendable, Codable {
        public var key: String
        public var type: Kind
        public var description: String
        public var defaultValue: JSONValue
        /// Shown to anyone by `GET /api/v1/public/config`.
        public var isPublic: Bool
    }

    public static let definitions: [Definition] = [
        Definition(key: "app_name", type: .string, description: "The product name login pages show (1-100 characters)", defaultValue: "Platform", isPublic: true),
        Definition(key: "announcement", type: .string, description: "A notice for every user (up to 500 characters; empty for none)", defaultValue: "", isPublic: true),
        Definition(key: "support_email", type: .string, description: "Where users get help (an e-mail address, or empty)", defaultValue: "", isPublic: true),
        Definition(key: "feature_flags", type: .json, description: "Named on/off switches for clients: an object of booleans", defaultValue: [:], isPublic: true),
    ]

    public static let changeEvent = "platform.settings_changed"

    let database: Database
    let bus: EventBus?
    let logger: Logger
    private let values = Mutex<[String: JSONValue]>([:])

    public init(database: Database, bus: EventBus?, logger: Logger) {
        self.database = database
        self.bus = bus
        self.logger = logger
    }

    /// The current value of every setting (stored, else default).
    public var current: [String: JSONValue] {
        let stored = values.withLock { $0 }
        var all: [String: JSONValue] = [:]
        for definition in Self.definitions { all[definition.key] = stored[definition.key] ?? definition.defaultValue }
        return all
    }

    public func value(_ key: String) -> JSONValue? { current[key] }

    /// Reads the stored values.
    public func reload() async throws {
        let rows = try await database.withPlatformScope { tx in
            try await tx.all("SELECT key, value::text FROM platform_settings", as: (String, String).self)
        }
        var loaded: [String: JSONValue] = [:]
        for (key, text) in rows {
            loaded[key] = try? PlatformJSON.makeDecoder().decode(JSONValue.self, from: Data(text.utf8))
        }
        values.withLock { $0 = loaded }
    }

    /// Checks a proposed value; the reason when it is not acceptable.
    public static func problem(_ key: String, _ value: JSONValue) -> String? {
        guard let definition = definitions.first(where: { $0.key == key }) else { return "is not a runtime setting" }
        switch (definition.type, value) {
        case (.string, .string(let text)):
            switch key {
            case "app_name": return (1...100).contains(text.count) ? nil : "must be 1-100 characters"
            case "announcement": return text.count <= 500 ? nil : "must be at most 500 characters"
            case "support_email":
                return text.isEmpty || text.wholeMatch(of: /[^@\s]{1,200}@[^@\s]{1,200}\.[^@\s]{1,60}/) != nil ? nil : "must be an e-mail address or empty"
            default: return nil
            }
        case (.json, .object(let object)):
            if key == "feature_flags" {
                if object.count > 100 { return "must have at most 100 flags" }
                if object.contains(where: { !($0.key.wholeMatch(of: /[a-z][a-z0-9_]{0,63}/) != nil) }) { return "flag names must be lowercase words (a-z, 0-9, _)" }
                if object.values.contains(where: { if case .bool = $0 { false } else { true } }) { return "flag values must be true or false" }
            }
            return nil
        case (.int, .int), (.bool, .bool), (.json, _):
            return nil
        default:
            return "must be \(definition.type == .int ? "an integer" : definition.type == .bool ? "true or false" : "a \(definition.type.rawValue)")"
        }
    }

    /// Stores `changes` (already checked), tells every instance, and reloads this one.
    public func update(_ changes: [String: JSONValue], by userID: UUID?) async throws {
        try await database.withPlatformScope { tx in
            for (key, value) in changes {
                try await tx.query(
                    """
                    INSERT INTO platform_settings (key, value, updated_by) VALUES (\(key), \(try PlatformJSON.text(value))::jsonb, \(userID))
                    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by, updated_at = now()
                    """)
            }
            try await AuditLog.append(
                AuditEvent(action: "platform.settings_update", tenantID: nil, actorUserID: userID, targetType: "platform_settings",
                           after: .object(changes)), in: tx)
            try await EventBus.publish(PlatformEvent(type: Self.changeEvent, tenantId: nil, data: ["keys": .array(changes.keys.sorted().map { .string($0) })]), in: tx)
        }
        try await reload()
    }

    public func run() async throws {
        do { try await reload() } catch { logger.warning("could not load the runtime settings: \(String(reflecting: error))") }
        let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let listener = Task { [bus] in
            guard let bus else { return }
            let subscription = bus.subscribe(tenantID: nil, typePrefixes: [Self.changeEvent])
            for await _ in subscription.events { wake.yield() }
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(60))
                wake.yield()
            }
        }
        defer {
            listener.cancel()
            ticker.cancel()
        }
        await withGracefulShutdownHandler {
            for await _ in wakeups {
                do { try await reload() } catch { logger.warning("could not reload the runtime settings: \(String(reflecting: error))") }
            }
        } onGracefulShutdown: {
            wake.finish()
        }
    }
}
