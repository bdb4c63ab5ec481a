import Foundation
import PlatformDatabase
import PlatformSupport

/// Every statement on `custom_metric_series` and `custom_metric_minutes`.
struct CustomMetricStore: Sendable {
    struct SeriesRow: Decodable { var id: UUID }

    /// The series' id, created when new unless the tenant holds `limit` series already (nil).
    /// Creation is serialised per tenant, so the limit holds under concurrency.
    func series(name: String, unit: String, tags: [String: String], tenantID: UUID, limit: Int, in tx: DatabaseTransaction) async throws -> UUID? {
        let key = tags.keys.sorted().map { "\($0)=\(tags[$0] ?? "")" }.joined(separator: "\u{1f}")
        if let existing = try await tx.row(
            "SELECT id FROM custom_metric_series WHERE tenant_id = \(tenantID) AND metric_name = \(name) AND unit = \(unit) AND tags_key = \(key)",
            decoding: SeriesRow.self)
        {
            return existing.id
        }
        try await tx.run("SELECT pg_advisory_xact_lock(hashtextextended('custom-metric-series:' || \(tenantID.uuidString), 0))")
        let count = try await count(tenantID: tenantID, in: tx)
        guard count < limit else { return nil }
        var object: [String: JSONValue] = [:]
        for (tag, value) in tags { object[tag] = .string(value) }
        let tagsJSON = String(decoding: try PlatformJSON.makeEncoder().encode(JSONValue.object(object)), as: UTF8.self)
        try await tx.run(
            """
            INSERT INTO custom_metric_series (tenant_id, id, metric_name, unit, tags, tags_key)
            VALUES (\(tenantID), \(UUID.v7()), \(name), \(unit), \(tagsJSON)::jsonb, \(key)) ON CONFLICT DO NOTHING
            """)
        return try await tx.row(
            "SELECT id FROM custom_metric_series WHERE tenant_id = \(tenantID) AND metric_name = \(name) AND unit = \(unit) AND tags_key = \(key)",
            decoding: SeriesRow.self)?.id
    }

    func count(tenantID: UUID, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM custom_metric_series WHERE tenant_id = \(tenantID)", as: Int.self) ?? 0
    }

    func record(_ value: Double, series: UUID, at date: Date, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            INSERT INTO custom_metric_minutes AS m (tenant_id, series_id, minute, count, sum, min, max)
            VALUES (\(tenantID), \(series), date_trunc('minute', \(date)::timestamptz), 1, \(value), \(value), \(value))
            ON CONFLICT (tenant_id, series_id, minute) DO UPDATE SET
                count = m.count + 1, sum = m.sum + EXCLUDED.sum, min = least(m.min, EXCLUDED.min), max = greatest(m.max, EXCLUDED.max)
            """)
    }

    /// Each series with its totals since `from` (series without values in the period included).
    func totals(tenantID: UUID, from: Date, in tx: DatabaseTransaction) async throws -> [CustomSeriesView] {
        try await tx.rows(
            """
            SELECT s.metric_name, s.unit, s.tags, coalesce(sum(m.count), 0)::int8 AS count, coalesce(sum(m.sum), 0)::float8 AS sum,
                   min(m.min)::float8 AS min, max(m.max)::float8 AS max
            FROM custom_metric_series s
            LEFT JOIN custom_metric_minutes m ON m.tenant_id = s.tenant_id AND m.series_id = s.id AND m.minute >= \(from)
            WHERE s.tenant_id = \(tenantID)
            GROUP BY s.tenant_id, s.id ORDER BY s.metric_name, s.unit, s.tags_key LIMIT 500
            """, decoding: CustomSeriesView.self)
    }
}
