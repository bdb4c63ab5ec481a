import Foundation
import PostgresNIO

/// A statement or a piece of one, with its values bound (never spliced into the text).
/// Pieces compose: a list filter written once is interpolated into both the page query and
/// the count, and the placeholders are numbered when the whole statement is rendered.
///
///     let filter: SQL = "c.tenant_id = \(tenantID) AND c.status = \(status)"
///     try await tx.rows("SELECT ... FROM content_items c WHERE \(filter) LIMIT \(limit)", decoding: Item.self)
///
/// `\(unescaped:)` splices text and is for compile-time constants only (column lists, table names).
public struct SQL: Sendable, ExpressibleByStringInterpolation {
    enum Part: Sendable {
        case text(String)
        case bind(@Sendable (inout PostgresBindings) throws -> Void)
    }

    var parts: [Part]

    public init(stringLiteral value: String) {
        parts = [.text(value)]
    }

    public init(stringInterpolation: StringInterpolation) {
        parts = stringInterpolation.parts
    }

    public struct StringInterpolation: StringInterpolationProtocol, Sendable {
        var parts: [Part] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            parts.reserveCapacity(interpolationCount * 2 + 1)
        }

        public mutating func appendLiteral(_ literal: String) {
            parts.append(.text(literal))
        }

        public mutating func appendInterpolation<Value: PostgresThrowingDynamicTypeEncodable & Sendable>(_ value: Value) {
            parts.append(.bind { bindings in try bindings.append(value) })
        }

        public mutating func appendInterpolation<Value: PostgresThrowingDynamicTypeEncodable & Sendable>(_ value: Value?) {
            parts.append(.bind { bindings in try bindings.append(value) })
        }

        /// Another piece of SQL, with its own bound values.
        public mutating func appendInterpolation(_ fragment: SQL) {
            parts.append(contentsOf: fragment.parts)
        }

        /// Text spliced as is: compile-time constants only.
        public mutating func appendInterpolation(unescaped text: String) {
            parts.append(.text(text))
        }
    }

    /// `pieces` joined by `separator` (`AND`, `,`).
    public static func joined(_ pieces: [SQL], separator: String) -> SQL {
        var parts: [Part] = []
        for (index, piece) in pieces.enumerated() {
            if index > 0 { parts.append(.text(separator)) }
            parts.append(contentsOf: piece.parts)
        }
        return SQL(parts: parts)
    }

    init(parts: [Part]) {
        self.parts = parts
    }

    /// The statement with `$1...$n` placeholders and its bindings.
    public func rendered() throws -> PostgresQuery {
        var text = ""
        var bindings = PostgresBindings()
        for part in parts {
            switch part {
            case .text(let literal):
                text += literal
            case .bind(let bind):
                try bind(&bindings)
                text += "$\(bindings.count)"
            }
        }
        return PostgresQuery(unsafeSQL: text, binds: bindings)
    }
}
