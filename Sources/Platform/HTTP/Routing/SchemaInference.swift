import Foundation
import PlatformDatabase
import PlatformSupport

extension DataScope: SchemaEnum {}

extension JSONValue: SchemaDescribing {
    public static var jsonSchema: JSONValue { [:] }
}


/// Arrays and dictionaries expose their element type so the schema can describe it.
protocol SchemaCollection {
    static var elementType: any Decodable.Type { get }
    static var isDictionary: Bool { get }
    static var empty: Self { get }
}

extension Array: SchemaCollection where Element: Decodable {
    static var elementType: any Decodable.Type { Element.self }
    static var isDictionary: Bool { false }
    static var empty: Self { [] }
}

extension Dictionary: SchemaCollection where Key == String, Value: Decodable {
    static var elementType: any Decodable.Type { Value.self }
    static var isDictionary: Bool { true }
    static var empty: Self { [:] }
}

extension Set: SchemaCollection where Element: Decodable {
    static var elementType: any Decodable.Type { Element.self }
    static var isDictionary: Bool { false }
    static var empty: Self { [] }
}

/// Builds JSON Schemas (OpenAPI 3.1 dialect) for `Decodable` types by decoding them from a
/// recording decoder: each `decode` is a required property, each `decodeIfPresent` an optional
/// one. Named object types go to `components` and are referenced, which also ends recursion.
public final class SchemaBuilder {
    public private(set) var components: [String: JSONValue] = [:]
    private var inProgress: Set<String> = []

    public init() {}

    public func schema(for type: any Decodable.Type) -> JSONValue {
        if let described = type as? any SchemaDescribing.Type { return described.jsonSchema }
        if let enumType = type as? any SchemaEnum.Type {
            return ["type": "string", "enum": .array(enumType.schemaCases.map { .string($0) })]
        }
        if let primitive = Self.primitive(type) { return primitive }
        if let collection = type as? any SchemaCollection.Type {
            let element = schema(for: collection.elementType)
            return collection.isDictionary
                ? ["type": "object", "additionalProperties": element]
                : ["type": "array", "items": element]
        }
        let name = Self.componentName(for: type)
        if components[name] == nil && !inProgress.contains(name) {
            inProgress.insert(name)
            let recorder = SchemaRecorder(builder: self)
            _ = try? type.init(from: recorder)
            components[name] = recorder.objectSchema()
            inProgress.remove(name)
        }
        return ["$ref": .string("#/components/schemas/\(name)")]
    }

    static func componentName(for type: Any.Type) -> String {
        let full = String(reflecting: type)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        return String(full.map { allowed.contains($0) ? $0 : "_" })
    }

    static func primitive(_ type: Any.Type) -> JSONValue? {
        switch type {
        case is String.Type, is Substring.Type: ["type": "string"]
        case is Bool.Type: ["type": "boolean"]
        case is Int.Type, is Int64.Type, is UInt64.Type, is UInt.Type: ["type": "integer", "format": "int64"]
        case is Int32.Type, is Int16.Type, is Int8.Type, is UInt32.Type, is UInt16.Type, is UInt8.Type:
            ["type": "integer", "format": "int32"]
        case is Double.Type, is Float.Type, is Decimal.Type: ["type": "number"]
        case is Date.Type: ["type": "string", "format": "date-time"]
        case is UUID.Type: ["type": "string", "format": "uuid"]
        case is URL.Type: ["type": "string", "format": "uri"]
        case is Data.Type: ["type": "string", "contentEncoding": "base64"]
        default: nil
        }
    }

    /// A value of `type` to hand back from the recording decoder.
    static func sample(of type: any Decodable.Type, builder: SchemaBuilder) throws -> Any {
        if let enumType = type as? any SchemaEnum.Type { return enumType.schemaExample }
        if let collection = type as? any SchemaCollection.Type { return collection.empty }
        switch type {
        case is String.Type: return ""
        case is Substring.Type: return Substring("")
        case is Bool.Type: return false
        case is Int.Type: return 0
        case is Int64.Type: return Int64(0)
        case is Int32.Type: return Int32(0)
        case is Int16.Type: return Int16(0)
        case is Int8.Type: return Int8(0)
        case is UInt.Type: return UInt(0)
        case is UInt64.Type: return UInt64(0)
        case is UInt32.Type: return UInt32(0)
        case is UInt16.Type: return UInt16(0)
        case is UInt8.Type: return UInt8(0)
        case is Double.Type: return 0.0
        case is Float.Type: return Float(0)
        case is Decimal.Type: return Decimal(0)
        case is Date.Type: return Date(timeIntervalSince1970: 0)
        case is UUID.Type: return UUID()
        case is URL.Type: return URL(fileURLWithPath: "/")
        case is Data.Type: return Data()
        case is JSONValue.Type: return JSONValue.null
        default: return try type.init(from: SchemaRecorder(builder: builder, quiet: true))
        }
    }
}

/// The recording decoder behind `SchemaBuilder`.
final class SchemaRecorder: Decoder {
    struct Property {
        var name: String
        var schema: JSONValue
        var required: Bool
        var type: any Decodable.Type
    }

    let builder: SchemaBuilder
    /// A quiet recorder only produces sample values; the schema comes from the builder.
    let quiet: Bool
    var properties: [Property] = []
    var singleValueSchema: JSONValue?
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    init(builder: SchemaBuilder, quiet: Bool = false) {
        self.builder = builder
        self.quiet = quiet
    }

    func record(_ key: any CodingKey, _ type: any Decodable.Type, required: Bool) {
        guard !quiet else { return }
        let name = key.stringValue.snakeCased
        guard !properties.contains(where: { $0.name == name }) else { return }
        properties.append(Property(name: name, schema: builder.schema(for: type), required: required, type: type))
    }

    func objectSchema() -> JSONValue {
        if let singleValueSchema { return singleValueSchema }
        var object: [String: JSONValue] = ["type": "object"]
        var props: [String: JSONValue] = [:]
        for property in properties {
            var schema = property.schema
            if !property.required {
                schema = Self.nullable(schema)
            }
            props[property.name] = schema
        }
        object["properties"] = .object(props)
        let required = properties.filter(\.required).map { JSONValue.string($0.name) }
        if !required.isEmpty { object["required"] = .array(required) }
        return .object(object)
    }

    /// Optional properties may be absent or null.
    static func nullable(_ schema: JSONValue) -> JSONValue {
        if case .object(var object) = schema, case .string(let type)? = object["type"], object["enum"] == nil {
            object["type"] = .array([.string(type), "null"])
            return .object(object)
        }
        return ["anyOf": [schema, ["type": "null"]]]
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(KeyedRecorder<Key>(recorder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        if !quiet && singleValueSchema == nil { singleValueSchema = ["type": "array"] }
        return UnkeyedRecorder()
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueRecorder(recorder: self)
    }
}

struct KeyedRecorder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let recorder: SchemaRecorder
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { [] }

    func contains(_ key: Key) -> Bool { true }
    func decodeNil(forKey key: Key) throws -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        recorder.record(key, type, required: true)
        return try sample(type)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        recorder.record(key, type, required: false)
        return try sample(type)
    }

    // The standard library's defaults for these overloads would call `decode`, recording the
    // property as required; route them through the optional path instead.
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try optional(type, key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try optional(type, key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try optional(type, key) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try optional(type, key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try optional(type, key) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try optional(type, key) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try optional(type, key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try optional(type, key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try optional(type, key) }

    private func optional<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
        recorder.record(key, type, required: false)
        return try sample(type)
    }

    private func sample<T: Decodable>(_ type: T.Type) throws -> T {
        guard let value = try SchemaBuilder.sample(of: type, builder: recorder.builder) as? T else {
            throw DecodingError.typeMismatch(type, .init(codingPath: [], debugDescription: "schema sample"))
        }
        return value
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        KeyedDecodingContainer(KeyedRecorder<NestedKey>(recorder: SchemaRecorder(builder: recorder.builder, quiet: true)))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { UnkeyedRecorder() }
    func superDecoder() throws -> any Decoder { SchemaRecorder(builder: recorder.builder, quiet: true) }
    func superDecoder(forKey key: Key) throws -> any Decoder { SchemaRecorder(builder: recorder.builder, quiet: true) }
}

struct UnkeyedRecorder: UnkeyedDecodingContainer {
    var codingPath: [any CodingKey] { [] }
    var count: Int? { 0 }
    var isAtEnd: Bool { true }
    var currentIndex: Int { 0 }

    mutating func decodeNil() throws -> Bool { true }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        throw DecodingError.valueNotFound(type, .init(codingPath: [], debugDescription: "schema sample"))
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        throw DecodingError.valueNotFound(Any.self, .init(codingPath: [], debugDescription: "schema sample"))
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { UnkeyedRecorder() }
    mutating func superDecoder() throws -> any Decoder {
        throw DecodingError.valueNotFound(Any.self, .init(codingPath: [], debugDescription: "schema sample"))
    }
}

struct SingleValueRecorder: SingleValueDecodingContainer {
    let recorder: SchemaRecorder
    var codingPath: [any CodingKey] { [] }

    func decodeNil() -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if !recorder.quiet && recorder.singleValueSchema == nil {
            recorder.singleValueSchema = recorder.builder.schema(for: type)
        }
        guard let value = try SchemaBuilder.sample(of: type, builder: recorder.builder) as? T else {
            throw DecodingError.typeMismatch(type, .init(codingPath: [], debugDescription: "schema sample"))
        }
        return value
    }
}
