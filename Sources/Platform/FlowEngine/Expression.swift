import Foundation
import PlatformSupport

/// The flow engine's expression language: small, side-effect free, bounded. It is what
/// `code` nodes, `condition` nodes, edge expressions and `{{...}}` templates are written in,
/// and `flow_runtime.py` (the Python export) implements the same rules, so an exported flow
/// computes what the engine computes.
///
///     let total = sum(input.items);
///     log("items: " + string(len(input.items)));
///     total > 10 ? "big" : "small"
///
/// Values are JSON values. Statements: `let name = expr`, `name = expr`, or an expression; the
/// program's value is its last expression. Operators: `|| && ! == != < <= > >= in + - * / %`,
/// `?:`, member `.name`, index `[expr]`, calls of the built-in functions. A member of null is
/// null (no error). `/` always divides as floating point; `%` takes the sign of the divisor.
public enum FlowExpression {
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// Limits that keep a program from running away.
    public static let maximumSteps = 100_000
    public static let maximumSourceLength = 64 * 1024
    public static let maximumStringLength = 1_000_000
    public static let maximumCollectionCount = 100_000

    /// Parses `source`, or fails with the first problem and where it is.
    public static func parse(_ source: String) throws(Failure) -> Program {
        guard source.utf8.count <= maximumSourceLength else { throw Failure("the program is longer than \(maximumSourceLength) bytes") }
        var parser = Parser(tokens: try Lexer.tokens(source))
        return try parser.program()
    }

    /// Evaluates `source` with `scope` as its variables; `log` lines are appended to `logs`.
    public static func evaluate(_ source: String, scope: [String: JSONValue], logs: inout [String]) throws(Failure) -> JSONValue {
        let program = try parse(source)
        var interpreter = Interpreter(variables: scope)
        let value = try interpreter.run(program)
        logs += interpreter.logs
        return value
    }

    public static func evaluate(_ source: String, scope: [String: JSONValue]) throws(Failure) -> JSONValue {
        var logs: [String] = []
        return try evaluate(source, scope: scope, logs: &logs)
    }

    /// JSON truthiness: null, false, 0, "", [] and {} are false.
    public static func isTruthy(_ value: JSONValue) -> Bool {
        switch value {
        case .null: false
        case .bool(let flag): flag
        case .int(let number): number != 0
        case .double(let number): number != 0
        case .string(let text): !text.isEmpty
        case .array(let items): !items.isEmpty
        case .object(let object): !object.isEmpty
        }
    }

    /// A value as text: strings as they are, everything else as compact JSON with sorted keys.
    public static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return text
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .double(let number): return formatDouble(number)
        default: return json(value)
        }
    }

    /// Compact JSON with sorted keys (what Python's `json.dumps(v, sort_keys=True, separators=(",", ":"))` writes).
    public static func json(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .double(let number): return number.isFinite ? formatDouble(number) : "null"
        case .string(let text): return quote(text)
        case .array(let items): return "[" + items.map(json).joined(separator: ",") + "]"
        case .object(let object): return "{" + object.keys.sorted().map { quote($0) + ":" + json(object[$0] ?? .null) }.joined(separator: ",") + "}"
        }
    }

    /// Python's `repr` of a float: `1.0`, `0.1`, `1e+20`.
    static func formatDouble(_ number: Double) -> String {
        if number.isNaN { return "nan" }
        if number.isInfinite { return number > 0 ? "inf" : "-inf" }
        if number == number.rounded() && abs(number) < 1e16 { return String(format: "%.1f", number) }
        var text = "\(number)"
        if let e = text.firstIndex(of: "e") {
            let exponent = text[text.index(after: e)...]
            if !exponent.hasPrefix("-") && !exponent.hasPrefix("+") { text = String(text[..<e]) + "e+" + exponent }
        }
        return text
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value > 0x7E {
                    // Python's json.dumps escapes non-ASCII (ensure_ascii), as UTF-16 units.
                    for unit in String(scalar).utf16 { out += String(format: "\\u%04x", unit) }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
