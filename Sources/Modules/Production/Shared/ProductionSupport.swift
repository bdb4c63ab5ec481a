import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

/// The short-video seed's lists: bare JSON arrays paged with `skip` and `limit` (default 100).
enum SeedPaging {
    static let defaultLimit = 100
    static let docs: [String: QueryParameterDoc] = [
        "skip": .init("Records to skip", minimum: 0, maximum: 1_000_000, default: 0),
        "limit": .init("Records to return", minimum: 1, maximum: 1000, default: .int(Int64(defaultLimit))),
    ]

    static func limit(_ value: Int?) -> Int { value ?? defaultLimit }
    static func skip(_ value: Int?) -> Int { value ?? 0 }
}

/// Collects every problem of an input, then throws one 422 naming each field.
struct FieldProblems {
    var problems: [String: String] = [:]

    /// A trimmed text of `range` characters; `required` when it must be there.
    mutating func text(_ value: String?, _ field: String, _ range: ClosedRange<Int>, required: Bool = false) -> String? {
        guard let value else {
            if required { problems[field] = "is required" }
            return nil
        }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard range.contains(trimmed.count) else {
            problems[field] = range.lowerBound == 0 ? "must be at most \(range.upperBound) characters" : "must be \(range.lowerBound)-\(range.upperBound) characters"
            return nil
        }
        return trimmed
    }

    /// A JSON object, or nothing.
    mutating func object(_ value: JSONValue?, _ field: String) {
        guard let value else { return }
        if case .object = value { return }
        problems[field] = "must be an object"
    }

    mutating func score(_ value: Double?, _ field: String = "score") {
        guard let value else { return }
        if !value.isFinite || !(0...100).contains(value) { problems[field] = "must be a number from 0 to 100" }
    }

    mutating func integer(_ value: Int?, _ field: String, _ range: ClosedRange<Int>) {
        guard let value, !range.contains(value) else { return }
        problems[field] = "must be from \(range.lowerBound) to \(range.upperBound)"
    }

    mutating func add(_ field: String, _ reason: String) {
        if problems[field] == nil { problems[field] = reason }
    }

    var isEmpty: Bool { problems.isEmpty }

    func check() throws {
        if !problems.isEmpty { throw APIError.validation(problems) }
    }
}

extension JSONValue {
    var objectValue: [String: JSONValue]? {
        if case .object(let object) = self { return object }
        return nil
    }

    /// `other` laid over this value: objects merge key by key (recursively); anything else is
    /// replaced by `other`.
    func merging(_ other: JSONValue) -> JSONValue {
        guard case .object(var base) = self, case .object(let top) = other else { return other }
        for (key, value) in top {
            base[key] = base[key].map { $0.merging(value) } ?? value
        }
        return .object(base)
    }

    var doubleValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }
}

/// Ids in answers, the way they are written in URLs.
extension UUID {
    var lowercased: String { uuidString.lowercased() }
}

/// `{message, ...ids}`: the seed's confirmation messages, as objects.
struct DeletedProjectType: Codable, Sendable, ResponseEncodable {
    var message: String
    var code: String
}

struct DeletedInspiration: Codable, Sendable, ResponseEncodable {
    var message: String
    var inspirationId: UUID
}

struct DeletedProject: Codable, Sendable, ResponseEncodable {
    var message: String
    var projectId: UUID
}

struct DeletedWorkerConfig: Codable, Sendable, ResponseEncodable {
    var message: String
    var configId: UUID
}

struct InspirationRegeneration: Codable, Sendable, ResponseEncodable {
    var message: String
    var inspirationId: UUID
    /// The platform's id of the recorded n8n call (see docs/production.md).
    var executionId: UUID
}

struct ProjectRegeneration: Codable, Sendable, ResponseEncodable {
    var message: String
    var projectId: UUID
    var executionId: UUID
}

/// The optional `{regeneration_params}` body of both regenerate routes.
struct RegenerationInput: Codable, Sendable {
    var regenerationParams: JSONValue?
}
