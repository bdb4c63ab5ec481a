import Foundation
import NIOCore
import PlatformSupport
import PostgresNIO

/// Rows decoded by column name into `Decodable` structs: a property `createdAt` reads the
/// column `created_at`. Scalars use PostgresNIO's own decoding; `json`/`jsonb` columns decode
/// into any `Decodable` (`JSONValue`, nested structs); string enums read text columns.
extension DatabaseTransaction {
    /// Every row of `sql`, decoded as `T`.
    public func rows<T: Decodable>(_ sql: SQL, decoding type: T.Type, file: String = #fileID, line: Int = #line) async throws -> [T] {
        var result: [T] = []
        for try await row in try await connection.query(try sql.rendered(), logger: logger, file: file, line: line) {
            result.append(try RowDecoder.decode(type, from: row))
        }
        return result
    }

    /// The first row of `sql` decoded as `T`, or nil.
    public func row<T: Decodable>(_ sql: SQL, decoding type: T.Type, file: String = #fileID, line: Int = #line) async throws -> T? {
        for try await row in try await connection.query(try sql.rendered(), logger: logger, file: file, line: line) {
            return try RowDecoder.decode(type, from: row)
        }
        return nil
    }

    /// The first column of the first row (a count, an id), or nil.
    public func value<T: PostgresDecodable>(_ sql: SQL, as type: T.Type, file: String = #fileID, line: Int = #line) async throws -> T? {
        for try await row in try await connection.query(try sql.rendered(), logger: logger, file: file, line: line) {
            return try row.makeRandomAccess()[0].decode(T.self)
        }
        return nil
    }

    /// Runs `sql`; returns how many rows it returned (or touched, with `RETURNING`).
    @discardableResult
    public func run(_ sql: SQL, file: String = #fileID, line: Int = #line) async throws -> Int {
        var count = 0
        for try await _ in try await connection.query(try sql.rendered(), logger: logger, file: file, line: line) { count += 1 }
        return count
    }
}

/// Decodes one row by column name.
public enum RowDecoder {
    public static func decode<T: Decodable>(_ type: T.Type, from row: PostgresRow) throws -> T {
        try T(from: RowDecoderImplementation(cells: row.makeRandomAccess()))
    }

    /// A cell as `T`: PostgresNIO's decoding for its types, JSON for json/jsonb, else the type's
    /// own single-value decoding (string enums from text).
    static func decode<T: Decodable>(_ type: T.Type, cell: PostgresCell, codingPath: [any CodingKey]) throws -> T {
        if let decodable = type as? any PostgresDecodable.Type {
            return try decodeNative(decodable, cell: cell, codingPath: codingPath)
        }
        if cell.dataType == .jsonb || cell.dataType == .json {
            guard var bytes = cell.bytes else {
                throw DecodingError.valueNotFound(type, .init(codingPath: codingPath, debugDescription: "column \(cell.columnName) is null"))
            }
            if cell.dataType == .jsonb && cell.format == .binary { bytes.moveReaderIndex(forwardBy: 1) }
            return try PlatformJSON.makeDecoder().decode(type, from: Data(bytes.readableBytesView))
        }
        return try T(from: CellDecoder(cell: cell, codingPath: codingPath))
    }

    static func decodeNative<T: Decodable>(_ type: any PostgresDecodable.Type, cell: PostgresCell, codingPath: [any CodingKey]) throws -> T {
        func open<P: PostgresDecodable>(_: P.Type) throws -> Any { try cell.decode(P.self) }
        do {
            guard let value = try open(type) as? T else {
                throw DecodingError.typeMismatch(T.self, .init(codingPath: codingPath, debugDescription: "column \(cell.columnName)"))
            }
            return value
        } catch let error as DecodingError {
            throw error
        } catch {
            throw DecodingError.typeMismatch(
                T.self, .init(codingPath: codingPath, debugDescription: "column \(cell.columnName) (\(cell.dataType)): \(error)", underlyingError: error))
        }
    }
}

final class RowDecoderImplementation: Decoder {
    let cells: PostgresRandomAccessRow
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(cells: PostgresRandomAccessRow) {
        self.cells = cells
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(RowKeyedContainer<Key>(cells: cells))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: [], debugDescription: "a row decodes as a keyed container"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        // A one-column row can decode as that column's value.
        guard cells.count == 1 else {
            throw DecodingError.typeMismatch(Any.self, .init(codingPath: [], debugDescription: "a row of \(cells.count) columns is not a single value"))
        }
        return CellDecoder(cell: cells[0], codingPath: [])
    }
}

struct RowKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let cells: PostgresRandomAccessRow
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { (0..<cells.count).compactMap { Key(stringValue: cells[$0].columnName) } }

    func column(_ key: Key) -> String { key.stringValue.snakeCased }

    func contains(_ key: Key) -> Bool { cells.contains(column(key)) }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard cells.contains(column(key)) else { return true }
        return cells[column(key)].bytes == nil
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let name = column(key)
        guard cells.contains(name) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: [key], debugDescription: "the row has no column \(name)"))
        }
        return try RowDecoder.decode(type, cell: cells[name], codingPath: [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: [key], debugDescription: "nested values come from json/jsonb columns"))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: [key], debugDescription: "arrays come from array or json columns"))
    }

    func superDecoder() throws -> any Decoder { RowDecoderImplementation(cells: cells) }
    func superDecoder(forKey key: Key) throws -> any Decoder { RowDecoderImplementation(cells: cells) }
}

/// One cell as a single value (a string enum from text) or, for text arrays, as a list.
struct CellDecoder: Decoder, SingleValueDecodingContainer {
    let cell: PostgresCell
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: codingPath, debugDescription: "column \(cell.columnName) is not an object"))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let values: [String?] = try cell.decode([String].self)
        return TextArrayContainer(values: values, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { cell.bytes == nil }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let decodable = type as? any PostgresDecodable.Type {
            return try RowDecoder.decodeNative(decodable, cell: cell, codingPath: codingPath)
        }
        throw DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: "column \(cell.columnName) cannot be read as \(type)"))
    }
}

/// The elements of a text array, each decoded by its type's single-value decoding.
struct TextArrayContainer: UnkeyedDecodingContainer {
    let values: [String?]
    let codingPath: [any CodingKey]
    var currentIndex = 0
    var count: Int? { values.count }
    var isAtEnd: Bool { currentIndex >= values.count }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, values[currentIndex] == nil else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        guard !isAtEnd, let text = values[currentIndex] else {
            throw DecodingError.valueNotFound(type, .init(codingPath: codingPath, debugDescription: "array element"))
        }
        currentIndex += 1
        if let value = text as? T { return value }
        return try T(from: TextValueDecoder(text: text, codingPath: codingPath))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: codingPath, debugDescription: "text array"))
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: codingPath, debugDescription: "text array"))
    }

    mutating func superDecoder() throws -> any Decoder {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: codingPath, debugDescription: "text array"))
    }
}

struct TextValueDecoder: Decoder, SingleValueDecodingContainer {
    let text: String
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: codingPath, debugDescription: "a text value"))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: codingPath, debugDescription: "a text value"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }
    func decodeNil() -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let value = text as? T { return value }
        throw DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: "a text value"))
    }
}
