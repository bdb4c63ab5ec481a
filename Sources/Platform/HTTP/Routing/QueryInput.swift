import Foundation
import Hummingbird
import PlatformSupport

/// A route's query parameters as one `Decodable` type, declared once: the route documents a
/// parameter per property (snake_case, required unless optional) and the handler decodes it
/// with `try request.query(T.self)`. A `PageRequest` property stands for the paging parameters.
/// Every value that does not parse, and every bound in `parameterDocs` that is not met, is
/// named in one 422.
public protocol QueryInput: Decodable, Sendable {
    /// What the property's type alone does not say: a description, bounds, a default.
    static var parameterDocs: [String: QueryParameterDoc] { get }
}

extension QueryInput {
    public static var parameterDocs: [String: QueryParameterDoc] { [:] }
}

/// Documentation (and, for bounds, enforcement) of one query parameter.
public struct QueryParameterDoc: Sendable {
    public var description: String?
    public var minimum: Int?
    public var maximum: Int?
    public var maxLength: Int?
    public var defaultValue: JSONValue?
    /// Extra schema keywords, for what the fields above do not cover.
    public var schema: [String: JSONValue]

    public init(
        _ description: String? = nil, minimum: Int? = nil, maximum: Int? = nil, maxLength: Int? = nil, default defaultValue: JSONValue? = nil,
        schema: [String: JSONValue] = [:]
    ) {
        self.description = description
        self.minimum = minimum
        self.maximum = maximum
        self.maxLength = maxLength
        self.defaultValue = defaultValue
        self.schema = schema
    }
}

extension QueryInput {
    /// The documented parameters, in declaration order.
    public static var routeParameters: [RouteParameter] {
        let builder = SchemaBuilder()
        let recorder = SchemaRecorder(builder: builder)
        _ = try? Self(from: recorder)
        var parameters: [RouteParameter] = []
        for property in recorder.properties {
            if ObjectIdentifier(property.type) == ObjectIdentifier(PageRequest.self) {
                parameters += RouteParameter.paging
                continue
            }
            var schema = property.schema
            let doc = parameterDocs[property.name]
            if let doc, case .object(var object) = schema {
                if let minimum = doc.minimum { object["minimum"] = .int(Int64(minimum)) }
                if let maximum = doc.maximum { object["maximum"] = .int(Int64(maximum)) }
                if let maxLength = doc.maxLength { object["maxLength"] = .int(Int64(maxLength)) }
                if let value = doc.defaultValue { object["default"] = value }
                for (key, value) in doc.schema { object[key] = value }
                schema = .object(object)
            }
            parameters.append(.query(property.name, schema, required: property.required, description: doc?.description))
        }
        return parameters
    }
}

/// A query of paging parameters only.
public struct PagingQuery: QueryInput {
    public var paging: PageRequest
}

extension PageRequest: Decodable {
    /// Only `QueryDecoder` fills paging from a request; anywhere else it is the default page.
    public init(from decoder: any Decoder) throws {
        if let query = decoder as? QueryDecoder {
            try self.init(query: query.values.compactMapValues(\.first))
        } else {
            self.init()
        }
    }
}

extension Request {
    /// The query parameters as `T`; every bad one is named in a single 422.
    public func query<T: QueryInput>(_ type: T.Type) throws -> T {
        var values: [String: [String]] = [:]
        for (key, value) in uri.queryParameters { values[String(key), default: []].append(String(value)) }
        return try QueryDecoder.decode(type, from: values)
    }
}

/// Decodes a `QueryInput` from query parameters. A value that does not parse is recorded and
/// replaced by a sample so that decoding goes on and every problem is reported together.
final class QueryDecoder: Decoder {
    let values: [String: [String]]
    private(set) var problems: [String: String] = [:]
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    init(values: [String: [String]]) {
        self.values = values
    }

    static func decode<T: QueryInput>(_ type: T.Type, from values: [String: [String]]) throws -> T {
        let decoder = QueryDecoder(values: values)
        let value: T
        do {
            value = try T(from: decoder)
        } catch let error as APIError {
            throw error
        } catch {
            if decoder.problems.isEmpty { throw APIError.validation(["query": "could not be read"]) }
            throw APIError.validation(decoder.problems, message: "Invalid query parameters")
        }
        var problems = decoder.problems
        for (name, doc) in T.parameterDocs {
            guard problems[name] == nil, let text = values[name]?.first else { continue }
            if let maxLength = doc.maxLength, text.count > maxLength { problems[name] = "must be at most \(maxLength) characters" }
            if doc.minimum != nil || doc.maximum != nil, let number = Double(text) {
                if let minimum = doc.minimum, number < Double(minimum) { problems[name] = "must be at least \(minimum)" }
                if let maximum = doc.maximum, number > Double(maximum) { problems[name] = "must be at most \(maximum)" }
            }
        }
        if !problems.isEmpty { throw APIError.validation(problems, message: "Invalid query parameters") }
        return value
    }

    func record(_ name: String, _ problem: String) {
        if problems[name] == nil { problems[name] = problem }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(QueryKeyedContainer<Key>(decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "query parameters are named"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: codingPath, debugDescription: "query parameters are named"))
    }

    /// Parses one text value as `T`, or says why not.
    static func parse<T: Decodable>(_ type: T.Type, _ text: String) -> Result<T, QueryProblem> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        func done(_ value: Any?, _ problem: String) -> Result<T, QueryProblem> {
            if let value = value as? T { return .success(value) }
            return .failure(QueryProblem(message: problem))
        }
        switch type {
        case is String.Type: return done(text, "must be text")
        case is Int.Type: return done(Int(trimmed), "must be an integer")
        case is Int64.Type: return done(Int64(trimmed), "must be an integer")
        case is Int32.Type: return done(Int32(trimmed), "must be an integer")
        case is Double.Type: return done(Double(trimmed).flatMap { $0.isFinite ? $0 : nil }, "must be a number")
        case is Bool.Type:
            let value: Bool? = switch trimmed.lowercased() {
            case "true", "1", "yes", "on": true
            case "false", "0", "no", "off": false
            default: nil
            }
            return done(value, "must be true or false")
        case is UUID.Type: return done(UUID(uuidString: trimmed), "must be a UUID")
        case is Date.Type: return done(RFC3339.date(from: trimmed), "must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z")
        default:
            if let enumType = type as? any SchemaEnum.Type {
                let problem = "must be one of \(enumType.schemaCases.joined(separator: ", "))"
                do {
                    return .success(try T(from: QueryValueDecoder(text: text)))
                } catch {
                    return .failure(QueryProblem(message: problem))
                }
            }
            do {
                return .success(try T(from: QueryValueDecoder(text: text)))
            } catch {
                return .failure(QueryProblem(message: "has the wrong format"))
            }
        }
    }
}

struct QueryProblem: Error {
    var message: String
}

struct QueryKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: QueryDecoder
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { decoder.values.keys.compactMap { Key(stringValue: $0) } }

    func name(_ key: Key) -> String { key.stringValue.snakeCased }

    func contains(_ key: Key) -> Bool {
        // The paging parameters are always "present": they have defaults.
        decoder.values[name(key)] != nil
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        decoder.values[name(key)] == nil
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        if type == PageRequest.self { return try decode(type, forKey: key) }
        guard let values = decoder.values[name(key)] else { return nil }
        // An empty free-text value (`?keyword=`) means no filter; an empty uuid, date, number,
        // boolean or enum value is a bad value and is named in the 422.
        if type == String.self, values.allSatisfy(\.isEmpty) { return nil }
        return try decode(type, forKey: key)
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let name = name(key)
        if type == PageRequest.self {
            do {
                return try T(from: decoder)
            } catch let error as APIError {
                // Paging problems join the others, so every bad parameter is named at once.
                if case .object(let fields)? = error.details?["fields"] {
                    for (field, message) in fields { decoder.record(field, message.stringValue ?? "is invalid") }
                }
                return try sample(type)
            }
        }
        guard let values = decoder.values[name], !values.isEmpty else {
            decoder.record(name, "is required")
            return try sample(type)
        }
        if let collection = type as? any QueryCollection.Type {
            var elements: [Any] = []
            let parts = values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: true).map(String.init) }
            for part in parts {
                switch collection.parseElement(part) {
                case .success(let element): elements.append(element)
                case .failure(let problem):
                    decoder.record(name, "every item " + problem.message)
                    return try sample(type)
                }
            }
            guard let value = collection.make(elements) as? T else { return try sample(type) }
            return value
        }
        switch QueryDecoder.parse(type, values[values.count - 1]) {
        case .success(let value): return value
        case .failure(let problem):
            decoder.record(name, problem.message)
            return try sample(type)
        }
    }

    private func sample<T: Decodable>(_ type: T.Type) throws -> T {
        guard let value = try SchemaBuilder.sample(of: type, builder: SchemaBuilder()) as? T else {
            throw DecodingError.typeMismatch(type, .init(codingPath: [], debugDescription: "query parameter"))
        }
        return value
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: [key], debugDescription: "query parameters are flat"))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: [key], debugDescription: "query parameters are flat"))
    }

    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder { decoder }
}

/// Arrays in a query: repeated parameters or comma-separated values.
protocol QueryCollection {
    static func parseElement(_ text: String) -> Result<Any, QueryProblem>
    static func make(_ elements: [Any]) -> Any
}

extension Array: QueryCollection where Element: Decodable {
    static func parseElement(_ text: String) -> Result<Any, QueryProblem> {
        QueryDecoder.parse(Element.self, text).map { $0 as Any }
    }

    static func make(_ elements: [Any]) -> Any { elements.compactMap { $0 as? Element } }
}

/// One text value, for types that decode themselves from a single value (string enums).
struct QueryValueDecoder: Decoder, SingleValueDecodingContainer {
    let text: String
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: [], debugDescription: "a single value"))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: [], debugDescription: "a single value"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { text.isEmpty }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        switch QueryDecoder.parse(type, text) {
        case .success(let value): return value
        case .failure(let problem): throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: problem.message))
        }
    }
}
