import Foundation
import Logging
import PlatformDatabase
import PlatformSupport
import PlatformTesting
import Testing

@Suite("Event log retention")
struct EventLogJanitorTests {
    @Test("dispatched events past retention are pruned; recent and undispatched ones stay")
    func prune() async throws {
        try await withTestDatabase("event_janitor") { database, _ in
            let tenant = UUID()
            try await database.withPlatformScope { tx in
                try await tx.query("INSERT INTO tenants (id, code, name) VALUES (\(tenant), 'janitor', 'Janitor')")
                for (age, dispatched) in [(40, true), (40, true), (40, false), (2, true)] {
                    try await tx.query(
                        """
                        INSERT INTO event_log (tenant_id, id, type, data, occurred_at, dispatched_at)
                        VALUES (\(tenant), \(UUID.v7()), 'test.event', '{}', now() - \(age) * interval '1 day',
                                CASE WHEN \(dispatched) THEN now() END)
                        """)
                }
            }
            let janitor = EventLogJanitor(database: database, retentionDays: 30, logger: Logger(label: "tests.janitor"))
            #expect(try await janitor.prune(batch: 1) == 2)
            let left: [Bool] = try await database.withPlatformScope { tx in
                try await tx.all("SELECT dispatched_at IS NULL FROM event_log WHERE tenant_id = \(tenant) ORDER BY occurred_at", as: Bool.self)
            }
            #expect(left == [true, false])
        }
    }
}
