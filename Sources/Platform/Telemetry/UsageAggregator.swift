import Foundation
import Synchronization

/// Usage counted in memory on the request path and handed to `UsageFlusher` in batches: per
/// tenant, minute, credential kind, method, route template and status class; the users seen per
/// tenant and day; model calls and tokens per tenant, minute, provider and model. Nothing here
/// touches the database, so counting costs a lock and a dictionary update per request.
public final class UsageAggregator: Sendable {
    public struct RequestKey: Hashable, Sendable {
        public var tenantID: UUID
        public var minute: Int64
        public var credential: String
        public var method: String
        public var route: String
        public var statusClass: String
    }

    public struct RequestCounts: Sendable, Equatable {
        public var requests: Int64 = 0
        public var durationMs: Double = 0
        public var maxDurationMs: Double = 0

        mutating func add(_ other: RequestCounts) {
            requests += other.requests
            durationMs += other.durationMs
            maxDurationMs = max(maxDurationMs, other.maxDurationMs)
        }
    }

    public struct UserDay: Hashable, Sendable {
        public var tenantID: UUID
        public var day: Int64
        public var userID: UUID
    }

    public struct ModelKey: Hashable, Sendable {
        public var tenantID: UUID
        public var minute: Int64
        public var provider: String
        public var model: String
    }

    public struct ModelCounts: Sendable, Equatable {
        public var calls: Int64 = 0
        public var promptTokens: Int64 = 0
        public var completionTokens: Int64 = 0
        public var durationMs: Double = 0

        mutating func add(_ other: ModelCounts) {
            calls += other.calls
            promptTokens += other.promptTokens
            completionTokens += other.completionTokens
            durationMs += other.durationMs
        }
    }

    /// What one flush writes.
    public struct Batch: Sendable {
        public var requests: [RequestKey: RequestCounts] = [:]
        public var users: Set<UserDay> = []
        public var models: [ModelKey: ModelCounts] = [:]

        public var isEmpty: Bool { requests.isEmpty && users.isEmpty && models.isEmpty }

        mutating func merge(_ other: Batch) {
            for (key, counts) in other.requests { requests[key, default: RequestCounts()].add(counts) }
            users.formUnion(other.users)
            for (key, counts) in other.models { models[key, default: ModelCounts()].add(counts) }
        }
    }

    /// A batch that could not be written is kept for the next flush, up to this many request
    /// keys (beyond that the oldest data would be dropped rather than grow without bound).
    static let maxPendingKeys = 100_000

    private let pending = Mutex(Batch())

    public init() {}

    static func minute(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 / 60).rounded(.down)) }
    static func day(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 / 86_400).rounded(.down)) }

    public func recordRequest(
        tenantID: UUID, userID: UUID, credential: String, method: String, route: String, status: Int, durationMs: Double, at date: Date = Date()
    ) {
        let key = RequestKey(
            tenantID: tenantID, minute: Self.minute(date), credential: credential, method: method, route: route,
            statusClass: "\(min(max(status / 100, 1), 5))xx")
        let user = UserDay(tenantID: tenantID, day: Self.day(date), userID: userID)
        pending.withLock { batch in
            var counts = batch.requests[key] ?? RequestCounts()
            counts.requests += 1
            counts.durationMs += durationMs
            counts.maxDurationMs = max(counts.maxDurationMs, durationMs)
            batch.requests[key] = counts
            batch.users.insert(user)
        }
    }

    public func recordModelCall(
        tenantID: UUID, provider: String, model: String, promptTokens: Int, completionTokens: Int, durationMs: Double, at date: Date = Date()
    ) {
        let key = ModelKey(tenantID: tenantID, minute: Self.minute(date), provider: provider, model: model)
        pending.withLock { batch in
            var counts = batch.models[key] ?? ModelCounts()
            counts.calls += 1
            counts.promptTokens += Int64(promptTokens)
            counts.completionTokens += Int64(completionTokens)
            counts.durationMs += durationMs
            batch.models[key] = counts
        }
    }

    /// Takes everything counted so far.
    public func drain() -> Batch {
        pending.withLock { batch in
            defer { batch = Batch() }
            return batch
        }
    }

    /// Puts back a batch that could not be written (merged with what arrived meanwhile).
    public func restore(_ batch: Batch) {
        pending.withLock { current in
            guard current.requests.count + batch.requests.count <= Self.maxPendingKeys else { return }
            current.merge(batch)
        }
    }
}
