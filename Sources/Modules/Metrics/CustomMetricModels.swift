import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

/// `POST /api/v1/metrics/track-usage`.
struct TrackUsageInput: Codable, Sendable {
    var metricName: String?
    var value: JSONValue?
    var unit: String?
    var tags: JSONValue?

    static let units: Set<String> = ["tokens", "requests", "duration", "count", "bytes"]
    static let maxTags = 8

    /// The input checked field by field; every problem named.
    func validated() throws -> (name: String, value: Double, unit: String, tags: [String: String]) {
        var problems: [String: String] = [:]
        let name = metricName ?? ""
        if name.wholeMatch(of: /[a-z][a-z0-9_.]{0,63}/) == nil {
            problems["metric_name"] = "must be 1-64 characters: a lowercase letter, then lowercase letters, digits, '_' or '.'"
        }
        var number = 0.0
        switch value {
        case .int(let whole)?: number = Double(whole)
        case .double(let fraction)? where fraction.isFinite: number = fraction
        default: problems["value"] = "must be a number"
        }
        if abs(number) > 1e15 { problems["value"] = "must be at most 1e15 in size" }
        let unit = self.unit ?? ""
        if !Self.units.contains(unit) { problems["unit"] = "must be one of \(Self.units.sorted().joined(separator: ", "))" }
        var tags: [String: String] = [:]
        switch self.tags {
        case nil, .null?: break
        case .object(let object)?:
            if object.count > Self.maxTags { problems["tags"] = "at most \(Self.maxTags) tags" }
            for (key, value) in object {
                guard key.wholeMatch(of: /[a-z][a-z0-9_]{0,31}/) != nil else {
                    problems["tags.\(key.prefix(40))"] = "tag names are 1-32 lowercase letters, digits or '_', starting with a letter"
                    continue
                }
                let text: String?
                switch value {
                case .string(let string): text = string
                case .int(let whole): text = String(whole)
                case .double(let fraction): text = String(fraction)
                case .bool(let flag): text = String(flag)
                default: text = nil
                }
                guard let text, text.count <= 100 else {
                    problems["tags.\(key)"] = "must be a string, number or boolean of at most 100 characters"
                    continue
                }
                tags[key] = text
            }
        default: problems["tags"] = "must be an object of tag names to values"
        }
        guard problems.isEmpty else { throw APIError.validation(problems) }
        return (name, number, unit, tags)
    }
}

struct TrackUsageResult: Codable, Sendable, ResponseEncodable {
    var tracked: Bool
    var metricName: String
    var value: Double
    var unit: String
    var tags: [String: String]
    var seriesId: UUID
    var recordedAt: Date
    /// The tenant's distinct series (name, unit and tags) now, and the limit.
    var seriesCount: Int
    var seriesLimit: Int
}

/// A custom series with its totals over a period.
struct CustomSeriesView: Codable, Sendable {
    var metricName: String
    var unit: String
    var tags: JSONValue
    var count: Int64
    var sum: Double
    var min: Double?
    var max: Double?
}

extension APIError {
    static func seriesLimit(_ limit: Int) -> APIError {
        APIError(
            .unprocessableContent, code: "METRIC_SERIES_LIMIT",
            message: "The tenant already has \(limit) distinct custom metric series (name, unit and tags)",
            hint: "Reuse existing names and tag values; tags with unbounded values (ids, timestamps) make a series each")
    }
}

extension TrackUsageInput: BodyExample {
    static var example: JSONValue { ["metric_name": "content_generation", "value": 100, "unit": "tokens", "tags": ["model": "local"]] }
}
