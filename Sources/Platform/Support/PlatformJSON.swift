import Foundation

/// JSON conventions, defined once: snake_case keys, RFC 3339 UTC timestamps.
public enum PlatformJSON {
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.string(from: date))
        }
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }

    /// `value` as JSON text (for a `::jsonb` bind), or nil.
    public static func text(_ value: JSONValue?) throws -> String? {
        guard let value else { return nil }
        return String(decoding: try makeEncoder().encode(value), as: UTF8.self)
    }

    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = RFC3339.date(from: text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected an RFC 3339 timestamp such as 2026-01-31T12:00:00Z")
            }
            return date
        }
        return decoder
    }
}

/// RFC 3339 formatting (UTC, millisecond precision) and parsing (with or without fractions).
public enum RFC3339 {
    static let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    static let whole = Date.ISO8601FormatStyle()

    public static func string(from date: Date) -> String {
        fractional.format(date)
    }

    public static func date(from text: String) -> Date? {
        (try? fractional.parse(text)) ?? (try? whole.parse(text))
    }
}
