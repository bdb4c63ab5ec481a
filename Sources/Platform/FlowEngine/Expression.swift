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

// MARK: - Syntax

extension FlowExpression {
    indirect enum Node: Sendable {
        case literal(JSONValue)
        case name(String)
        case member(Node, String)
        case index(Node, Node)
        case call(String, [Node])
        case unary(String, Node)
        case binary(String, Node, Node)
        case ternary(Node, Node, Node)
        case list([Node])
        case object([(String, Node)])
    }

    enum Statement: Sendable {
        case assign(String, Node, declares: Bool)
        case expression(Node)
    }

    public struct Program: Sendable {
        let statements: [Statement]
    }

    enum Token: Equatable, Sendable {
        case number(JSONValue)
        case string(String)
        case identifier(String)
        case symbol(String)
        case end
    }

    struct Lexer {
        static let symbols = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "+", "-", "*", "/", "%", "!", "?", ":", ".", ",", "(", ")", "[", "]", "{", "}", "=", ";"]

        static func tokens(_ source: String) throws(Failure) -> [(Token, Int)] {
            var tokens: [(Token, Int)] = []
            let chars = Array(source.unicodeScalars)
            var i = 0
            // Inside brackets a line break is only white space.
            var nesting = 0
            func at(_ offset: Int) -> Unicode.Scalar? { i + offset < chars.count ? chars[i + offset] : nil }
            while i < chars.count {
                let c = chars[i]
                if c == " " || c == "\t" || c == "\r" {
                    i += 1
                } else if c == "\n" {
                    if nesting == 0 { tokens.append((.symbol(";"), i)) }
                    i += 1
                } else if c == "#" || (c == "/" && at(1) == "/") {
                    while i < chars.count && chars[i] != "\n" { i += 1 }
                } else if CharacterSet.decimalDigits.contains(c) {
                    let start = i
                    while let d = at(0), CharacterSet.decimalDigits.contains(d) { i += 1 }
                    var isDouble = false
                    if at(0) == ".", let d = at(1), CharacterSet.decimalDigits.contains(d) {
                        isDouble = true
                        i += 1
                        while let d = at(0), CharacterSet.decimalDigits.contains(d) { i += 1 }
                    }
                    if at(0) == "e" || at(0) == "E" {
                        var j = i + 1
                        if j < chars.count && (chars[j] == "+" || chars[j] == "-") { j += 1 }
                        if j < chars.count && CharacterSet.decimalDigits.contains(chars[j]) {
                            isDouble = true
                            i = j
                            while let d = at(0), CharacterSet.decimalDigits.contains(d) { i += 1 }
                        }
                    }
                    let text = String(String.UnicodeScalarView(chars[start..<i]))
                    if !isDouble, let value = Int64(text) {
                        tokens.append((.number(.int(value)), start))
                    } else if let value = Double(text) {
                        tokens.append((.number(.double(value)), start))
                    } else {
                        throw Failure("bad number \(text) at \(start)")
                    }
                } else if c == "\"" || c == "'" {
                    let quote = c
                    let start = i
                    i += 1
                    var text = String.UnicodeScalarView()
                    var closed = false
                    while i < chars.count {
                        let d = chars[i]
                        if d == quote { closed = true; i += 1; break }
                        if d == "\\" {
                            guard let e = at(1) else { break }
                            i += 2
                            switch e {
                            case "n": text.append("\n")
                            case "t": text.append("\t")
                            case "r": text.append("\r")
                            case "\\": text.append("\\")
                            case "\"": text.append("\"")
                            case "'": text.append("'")
                            case "u":
                                guard i + 4 <= chars.count, let code = UInt32(String(String.UnicodeScalarView(chars[i..<i + 4])), radix: 16),
                                      let scalar = Unicode.Scalar(code) else { throw Failure("bad \\u escape at \(i)") }
                                text.append(scalar)
                                i += 4
                            default: throw Failure("unknown escape \\\(e) at \(i - 1)")
                            }
                            continue
                        }
                        text.append(d)
                        i += 1
                    }
                    guard closed else { throw Failure("unterminated string starting at \(start)") }
                    tokens.append((.string(String(text)), start))
                } else if CharacterSet.letters.contains(c) || c == "_" {
                    let start = i
                    while let d = at(0), CharacterSet.alphanumerics.contains(d) || d == "_" { i += 1 }
                    tokens.append((.identifier(String(String.UnicodeScalarView(chars[start..<i]))), start))
                } else {
                    let rest = String(String.UnicodeScalarView(chars[i..<min(i + 2, chars.count)]))
                    guard let symbol = symbols.first(where: { rest.hasPrefix($0) }) else { throw Failure("unexpected character '\(c)' at \(i)") }
                    tokens.append((.symbol(symbol), i))
                    if ["(", "[", "{"].contains(symbol) { nesting += 1 }
                    if [")", "]", "}"].contains(symbol) { nesting = max(0, nesting - 1) }
                    i += symbol.unicodeScalars.count
                }
            }
            tokens.append((.end, chars.count))
            return tokens
        }
    }

    struct Parser {
        let tokens: [(Token, Int)]
        var position = 0
        var depth = 0

        init(tokens: [(Token, Int)]) {
            self.tokens = tokens
        }

        var current: Token { tokens[position].0 }
        var offset: Int { tokens[position].1 }

        mutating func advance() { if position < tokens.count - 1 { position += 1 } }

        mutating func accept(_ symbol: String) -> Bool {
            if current == .symbol(symbol) { advance(); return true }
            return false
        }

        mutating func expect(_ symbol: String) throws(Failure) {
            guard accept(symbol) else { throw Failure("expected '\(symbol)' at \(offset)") }
        }

        mutating func program() throws(Failure) -> Program {
            var statements: [Statement] = []
            while true {
                while accept(";") {}
                if current == .end { break }
                statements.append(try statement())
                guard current == .symbol(";") || current == .end else { throw Failure("expected the end of the statement at \(offset)") }
            }
            return Program(statements: statements)
        }

        mutating func statement() throws(Failure) -> Statement {
            if current == .identifier("let") {
                advance()
                guard case .identifier(let name) = current, !Self.reserved.contains(name) else { throw Failure("expected a name after let at \(offset)") }
                advance()
                try expect("=")
                return .assign(name, try expression(), declares: true)
            }
            if case .identifier(let name) = current, !Self.reserved.contains(name), position + 1 < tokens.count, tokens[position + 1].0 == .symbol("=") {
                advance()
                advance()
                return .assign(name, try expression(), declares: false)
            }
            return .expression(try expression())
        }

        static let reserved: Set<String> = ["let", "true", "false", "null", "and", "or", "not", "in"]

        mutating func expression() throws(Failure) -> Node {
            depth += 1
            defer { depth -= 1 }
            guard depth < 200 else { throw Failure("the expression is nested too deeply") }
            let condition = try or()
            if accept("?") {
                let yes = try expression()
                try expect(":")
                let no = try expression()
                return .ternary(condition, yes, no)
            }
            return condition
        }

        mutating func or() throws(Failure) -> Node {
            var left = try and()
            while accept("||") || acceptWord("or") { left = .binary("||", left, try and()) }
            return left
        }

        mutating func and() throws(Failure) -> Node {
            var left = try not()
            while accept("&&") || acceptWord("and") { left = .binary("&&", left, try not()) }
            return left
        }

        mutating func acceptWord(_ word: String) -> Bool {
            if current == .identifier(word) { advance(); return true }
            return false
        }

        mutating func not() throws(Failure) -> Node {
            if accept("!") || acceptWord("not") { return .unary("!", try not()) }
            return try comparison()
        }

        mutating func comparison() throws(Failure) -> Node {
            let left = try additive()
            for symbol in ["==", "!=", "<=", ">=", "<", ">"] where accept(symbol) {
                return .binary(symbol, left, try additive())
            }
            if acceptWord("in") { return .binary("in", left, try additive()) }
            return left
        }

        mutating func additive() throws(Failure) -> Node {
            var left = try multiplicative()
            while true {
                if accept("+") { left = .binary("+", left, try multiplicative()) } else if accept("-") { left = .binary("-", left, try multiplicative()) } else { return left }
            }
        }

        mutating func multiplicative() throws(Failure) -> Node {
            var left = try unary()
            while true {
                if accept("*") {
                    left = .binary("*", left, try unary())
                } else if accept("/") {
                    left = .binary("/", left, try unary())
                } else if accept("%") {
                    left = .binary("%", left, try unary())
                } else {
                    return left
                }
            }
        }

        mutating func unary() throws(Failure) -> Node {
            if accept("-") { return .unary("-", try unary()) }
            return try postfix()
        }

        mutating func postfix() throws(Failure) -> Node {
            var node = try primary()
            while true {
                if accept(".") {
                    guard case .identifier(let name) = current else { throw Failure("expected a name after '.' at \(offset)") }
                    advance()
                    node = .member(node, name)
                } else if accept("[") {
                    let index = try expression()
                    try expect("]")
                    node = .index(node, index)
                } else if current == .symbol("("), case .name(let function) = node {
                    advance()
                    var arguments: [Node] = []
                    if !accept(")") {
                        repeat { arguments.append(try expression()) } while accept(",")
                        try expect(")")
                    }
                    guard Interpreter.functions.contains(function) else { throw Failure("unknown function \(function)") }
                    node = .call(function, arguments)
                } else {
                    return node
                }
            }
        }

        mutating func primary() throws(Failure) -> Node {
            let token = current
            switch token {
            case .number(let value):
                advance()
                return .literal(value)
            case .string(let text):
                advance()
                return .literal(.string(text))
            case .identifier(let name):
                advance()
                switch name {
                case "true": return .literal(.bool(true))
                case "false": return .literal(.bool(false))
                case "null": return .literal(.null)
                default: return .name(name)
                }
            case .symbol("("):
                advance()
                let inner = try expression()
                try expect(")")
                return inner
            case .symbol("["):
                advance()
                var items: [Node] = []
                if !accept("]") {
                    repeat {
                        if current == .symbol("]") { break }
                        items.append(try expression())
                    } while accept(",")
                    try expect("]")
                }
                return .list(items)
            case .symbol("{"):
                advance()
                var pairs: [(String, Node)] = []
                if !accept("}") {
                    repeat {
                        if current == .symbol("}") { break }
                        let key: String
                        switch current {
                        case .string(let text): key = text
                        case .identifier(let name): key = name
                        default: throw Failure("expected a key at \(offset)")
                        }
                        advance()
                        try expect(":")
                        pairs.append((key, try expression()))
                    } while accept(",")
                    try expect("}")
                }
                return .object(pairs)
            case .end:
                throw Failure("unexpected end of the expression")
            default:
                throw Failure("unexpected \(token) at \(offset)")
            }
        }
    }
}

// MARK: - Evaluation

extension FlowExpression {
    struct Interpreter {
        var variables: [String: JSONValue]
        var logs: [String] = []
        var steps = 0

        static let functions: Set<String> = [
            "len", "lower", "upper", "trim", "contains", "startswith", "endswith", "split", "join", "replace", "keys", "values",
            "string", "number", "int", "round", "floor", "ceil", "abs", "min", "max", "sum", "get", "default", "coalesce", "range",
            "type", "log", "parse_json", "to_json", "slice", "unique", "sort", "reverse", "flatten", "pluck", "where", "has", "merge",
        ]

        mutating func run(_ program: Program) throws(Failure) -> JSONValue {
            var last: JSONValue = .null
            for statement in program.statements {
                switch statement {
                case .assign(let name, let node, let declares):
                    if !declares && variables[name] == nil { throw Failure("\(name) is not declared (use let)") }
                    variables[name] = try eval(node)
                    last = .null
                case .expression(let node):
                    last = try eval(node)
                }
            }
            return last
        }

        mutating func tick() throws(Failure) {
            steps += 1
            if steps > FlowExpression.maximumSteps { throw Failure("the program ran longer than \(FlowExpression.maximumSteps) steps") }
        }

        mutating func eval(_ node: Node) throws(Failure) -> JSONValue {
            try tick()
            switch node {
            case .literal(let value):
                return value
            case .name(let name):
                guard let value = variables[name] else { throw Failure("unknown name \(name)") }
                return value
            case .member(let base, let name):
                let value = try eval(base)
                switch value {
                case .object(let object): return object[name] ?? .null
                case .null: return .null
                default: throw Failure("cannot read .\(name) of \(Self.typeName(value))")
                }
            case .index(let base, let indexNode):
                let value = try eval(base)
                let index = try eval(indexNode)
                return try Self.subscripted(value, index)
            case .call(let name, let arguments):
                var values: [JSONValue] = []
                for argument in arguments { values.append(try eval(argument)) }
                return try call(name, values)
            case .unary(let op, let operand):
                let value = try eval(operand)
                if op == "!" { return .bool(!FlowExpression.isTruthy(value)) }
                switch value {
                case .int(let number):
                    guard number != .min else { throw Failure("the number is out of range") }
                    return .int(-number)
                case .double(let number): return .double(-number)
                default: throw Failure("cannot negate \(Self.typeName(value))")
                }
            case .binary("&&", let left, let right):
                guard FlowExpression.isTruthy(try eval(left)) else { return .bool(false) }
                return .bool(FlowExpression.isTruthy(try eval(right)))
            case .binary("||", let left, let right):
                if FlowExpression.isTruthy(try eval(left)) { return .bool(true) }
                return .bool(FlowExpression.isTruthy(try eval(right)))
            case .binary(let op, let left, let right):
                return try Self.binary(op, try eval(left), try eval(right))
            case .ternary(let condition, let yes, let no):
                return FlowExpression.isTruthy(try eval(condition)) ? try eval(yes) : try eval(no)
            case .list(let items):
                var values: [JSONValue] = []
                for item in items { values.append(try eval(item)) }
                return .array(values)
            case .object(let pairs):
                var object: [String: JSONValue] = [:]
                for (key, value) in pairs { object[key] = try eval(value) }
                return .object(object)
            }
        }

        static func typeName(_ value: JSONValue) -> String {
            switch value {
            case .null: "null"
            case .bool: "bool"
            case .int: "int"
            case .double: "float"
            case .string: "string"
            case .array: "array"
            case .object: "object"
            }
        }

        static func subscripted(_ value: JSONValue, _ index: JSONValue) throws(Failure) -> JSONValue {
            switch (value, index) {
            case (.null, _): return .null
            case (.array(let items), .int(let position)):
                let i = position < 0 ? Int(position) + items.count : Int(position)
                return items.indices.contains(i) ? items[i] : .null
            case (.string(let text), .int(let position)):
                let scalars = Array(text.unicodeScalars)
                let i = position < 0 ? Int(position) + scalars.count : Int(position)
                return scalars.indices.contains(i) ? .string(String(scalars[i])) : .null
            case (.object(let object), .string(let key)): return object[key] ?? .null
            default: throw Failure("cannot index \(typeName(value)) with \(typeName(index))")
            }
        }

        static func number(_ value: JSONValue) -> Double? {
            switch value {
            case .int(let number): Double(number)
            case .double(let number): number
            default: nil
            }
        }

        static func equal(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
            switch (lhs, rhs) {
            case (.int(let a), .int(let b)): return a == b
            case (.int, .double), (.double, .int), (.double, .double): return number(lhs) == number(rhs)
            case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy(equal)
            case (.object(let a), .object(let b)): return a.count == b.count && a.allSatisfy { key, value in b[key].map { equal(value, $0) } ?? false }
            default: return lhs == rhs
            }
        }

        /// Orders numbers with numbers and strings with strings (by code point, as Python does).
        static func compare(_ lhs: JSONValue, _ rhs: JSONValue) throws(Failure) -> Int {
            if let a = number(lhs), let b = number(rhs) { return a < b ? -1 : (a > b ? 1 : 0) }
            if case .string(let a) = lhs, case .string(let b) = rhs {
                let x = Array(a.unicodeScalars.map(\.value)), y = Array(b.unicodeScalars.map(\.value))
                return x.lexicographicallyPrecedes(y) ? -1 : (x == y ? 0 : 1)
            }
            throw Failure("cannot compare \(typeName(lhs)) with \(typeName(rhs))")
        }

        static func checked(_ result: (partialValue: Int64, overflow: Bool)) throws(Failure) -> JSONValue {
            guard !result.overflow else { throw Failure("the number is out of range") }
            return .int(result.partialValue)
        }

        static func binary(_ op: String, _ lhs: JSONValue, _ rhs: JSONValue) throws(Failure) -> JSONValue {
            switch op {
            case "==": return .bool(equal(lhs, rhs))
            case "!=": return .bool(!equal(lhs, rhs))
            case "<": return .bool(try compare(lhs, rhs) < 0)
            case "<=": return .bool(try compare(lhs, rhs) <= 0)
            case ">": return .bool(try compare(lhs, rhs) > 0)
            case ">=": return .bool(try compare(lhs, rhs) >= 0)
            case "in":
                switch rhs {
                case .array(let items): return .bool(items.contains { equal($0, lhs) })
                case .object(let object):
                    guard case .string(let key) = lhs else { return .bool(false) }
                    return .bool(object[key] != nil)
                case .string(let text):
                    guard case .string(let part) = lhs else { throw Failure("'in' a string needs a string") }
                    return .bool(part.isEmpty || text.contains(part))
                default: throw Failure("'in' needs an array, an object or a string, not \(typeName(rhs))")
                }
            case "+":
                switch (lhs, rhs) {
                case (.int(let a), .int(let b)): return try checked(a.addingReportingOverflow(b))
                case (.string(let a), .string(let b)):
                    guard a.utf8.count + b.utf8.count <= FlowExpression.maximumStringLength else { throw Failure("the text is too long") }
                    return .string(a + b)
                case (.array(let a), .array(let b)):
                    guard a.count + b.count <= FlowExpression.maximumCollectionCount else { throw Failure("the array is too long") }
                    return .array(a + b)
                default:
                    guard let a = number(lhs), let b = number(rhs) else { throw Failure("cannot add \(typeName(lhs)) and \(typeName(rhs))") }
                    return .double(a + b)
                }
            case "-", "*", "/", "%":
                if case .int(let a) = lhs, case .int(let b) = rhs {
                    switch op {
                    case "-": return try checked(a.subtractingReportingOverflow(b))
                    case "*": return try checked(a.multipliedReportingOverflow(by: b))
                    case "%":
                        guard b != 0 else { throw Failure("division by zero") }
                        let r = a % b
                        return .int(r != 0 && (r < 0) != (b < 0) ? r + b : r)
                    default: break
                    }
                }
                guard let a = number(lhs), let b = number(rhs) else { throw Failure("cannot apply \(op) to \(typeName(lhs)) and \(typeName(rhs))") }
                switch op {
                case "-": return .double(a - b)
                case "*": return .double(a * b)
                case "/":
                    guard b != 0 else { throw Failure("division by zero") }
                    return .double(a / b)
                default:
                    guard b != 0 else { throw Failure("division by zero") }
                    return .double(a - (a / b).rounded(.down) * b)
                }
            default:
                throw Failure("unknown operator \(op)")
            }
        }

        static func integer(_ value: JSONValue, _ what: String) throws(Failure) -> Int {
            switch value {
            case .int(let number): return Int(number)
            case .double(let number) where number == number.rounded() && abs(number) < 1e15: return Int(number)
            default: throw Failure("\(what) must be an integer")
            }
        }

        static func string(_ value: JSONValue, _ function: String) throws(Failure) -> String {
            guard case .string(let text) = value else { throw Failure("\(function) needs a string, not \(typeName(value))") }
            return text
        }

        static func array(_ value: JSONValue, _ function: String) throws(Failure) -> [JSONValue] {
            guard case .array(let items) = value else { throw Failure("\(function) needs an array, not \(typeName(value))") }
            return items
        }

        static func object(_ value: JSONValue, _ function: String) throws(Failure) -> [String: JSONValue] {
            guard case .object(let object) = value else { throw Failure("\(function) needs an object, not \(typeName(value))") }
            return object
        }

        static func whole(_ number: Double) throws(Failure) -> JSONValue {
            guard number.isFinite, abs(number) < 9.2e18 else { throw Failure("the number is out of range") }
            return .int(Int64(number))
        }

        mutating func call(_ name: String, _ args: [JSONValue]) throws(Failure) -> JSONValue {
            func arity(_ range: ClosedRange<Int>) throws(Failure) {
                guard range.contains(args.count) else {
                    throw Failure("\(name) takes \(range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)") argument(s)")
                }
            }
            switch name {
            case "len":
                try arity(1...1)
                switch args[0] {
                case .string(let text): return .int(Int64(text.unicodeScalars.count))
                case .array(let items): return .int(Int64(items.count))
                case .object(let object): return .int(Int64(object.count))
                default: throw Failure("len needs a string, an array or an object")
                }
            case "lower": try arity(1...1); return .string(try Self.string(args[0], name).lowercased())
            case "upper": try arity(1...1); return .string(try Self.string(args[0], name).uppercased())
            case "trim": try arity(1...1); return .string(try Self.string(args[0], name).trimmingCharacters(in: .whitespacesAndNewlines))
            case "contains":
                try arity(2...2)
                return try Self.binary("in", args[1], args[0])
            case "startswith": try arity(2...2); return .bool(try Self.string(args[0], name).hasPrefix(try Self.string(args[1], name)))
            case "endswith": try arity(2...2); return .bool(try Self.string(args[0], name).hasSuffix(try Self.string(args[1], name)))
            case "split":
                try arity(2...2)
                let text = try Self.string(args[0], name), separator = try Self.string(args[1], name)
                guard !separator.isEmpty else { throw Failure("split needs a non-empty separator") }
                return .array(text.components(separatedBy: separator).map { .string($0) })
            case "join":
                try arity(2...2)
                return .string(try Self.array(args[0], name).map(FlowExpression.text).joined(separator: try Self.string(args[1], name)))
            case "replace":
                try arity(3...3)
                let text = try Self.string(args[0], name), old = try Self.string(args[1], name), new = try Self.string(args[2], name)
                guard !old.isEmpty else { return .string(text) }
                // Sized before it is built: a replacement can multiply the text.
                let occurrences = text.components(separatedBy: old).count - 1
                let size = text.utf8.count + occurrences * (new.utf8.count - old.utf8.count)
                guard size <= FlowExpression.maximumStringLength else { throw Failure("the text is too long") }
                return .string(text.replacingOccurrences(of: old, with: new))
            case "keys": try arity(1...1); return .array(try Self.object(args[0], name).keys.sorted().map { .string($0) })
            case "values":
                try arity(1...1)
                let object = try Self.object(args[0], name)
                return .array(object.keys.sorted().map { object[$0] ?? .null })
            case "string": try arity(1...1); return .string(FlowExpression.text(args[0]))
            case "number":
                try arity(1...1)
                switch args[0] {
                case .int, .double: return args[0]
                case .bool(let flag): return .int(flag ? 1 : 0)
                case .string(let text):
                    let trimmed = text.trimmingCharacters(in: .whitespaces)
                    if let value = Int64(trimmed) { return .int(value) }
                    if let value = Double(trimmed), value.isFinite { return .double(value) }
                    throw Failure("'\(text)' is not a number")
                default: throw Failure("number needs a string, a number or a bool")
                }
            case "int":
                try arity(1...1)
                switch args[0] {
                case .int: return args[0]
                case .double(let number): return try Self.whole(number.rounded(.towardZero))
                case .bool(let flag): return .int(flag ? 1 : 0)
                case .string(let text):
                    guard let value = Int64(text.trimmingCharacters(in: .whitespaces)) else { throw Failure("'\(text)' is not an integer") }
                    return .int(value)
                default: throw Failure("int needs a string, a number or a bool")
                }
            case "round":
                try arity(1...2)
                guard let value = Self.number(args[0]) else { throw Failure("round needs a number") }
                if args.count == 1 {
                    if case .int = args[0] { return args[0] }
                    return try Self.whole(value.rounded(.toNearestOrEven))
                }
                let digits = try Self.integer(args[1], "round's digits")
                guard (0...15).contains(digits) else { throw Failure("round's digits must be from 0 to 15") }
                let scale = pow(10.0, Double(digits))
                return .double((value * scale).rounded(.toNearestOrEven) / scale)
            case "floor", "ceil":
                try arity(1...1)
                if case .int = args[0] { return args[0] }
                guard let value = Self.number(args[0]) else { throw Failure("\(name) needs a number") }
                return try Self.whole(name == "floor" ? value.rounded(.down) : value.rounded(.up))
            case "abs":
                try arity(1...1)
                switch args[0] {
                case .int(let number):
                    guard number != .min else { throw Failure("the number is out of range") }
                    return .int(Swift.abs(number))
                case .double(let number): return .double(Swift.abs(number))
                default: throw Failure("abs needs a number")
                }
            case "min", "max":
                guard !args.isEmpty else { throw Failure("\(name) needs values") }
                let values = args.count == 1 ? try Self.array(args[0], name) : args
                guard var best = values.first else { throw Failure("\(name) of an empty array") }
                for value in values.dropFirst() {
                    let order = try Self.compare(value, best)
                    if (name == "min" && order < 0) || (name == "max" && order > 0) { best = value }
                }
                return best
            case "sum":
                try arity(1...1)
                var total: JSONValue = .int(0)
                for value in try Self.array(args[0], name) {
                    guard Self.number(value) != nil else { throw Failure("sum needs numbers") }
                    total = try Self.binary("+", total, value)
                }
                return total
            case "get":
                try arity(2...3)
                let value = try Self.subscripted(args[0], args[1])
                return value == .null && args.count == 3 ? args[2] : value
            case "default":
                try arity(2...2)
                return args[0] == .null ? args[1] : args[0]
            case "coalesce":
                return args.first { $0 != .null } ?? .null
            case "range":
                try arity(1...2)
                let start = args.count == 2 ? try Self.integer(args[0], "range's start") : 0
                let end = try Self.integer(args[args.count - 1], "range's end")
                guard end - start <= FlowExpression.maximumCollectionCount else { throw Failure("the range is too long") }
                return .array(start < end ? (start..<end).map { .int(Int64($0)) } : [])
            case "type": try arity(1...1); return .string(Self.typeName(args[0]))
            case "log":
                try arity(1...1)
                if logs.count < 1000 { logs.append(String(FlowExpression.text(args[0]).prefix(10_000))) }
                return .null
            case "parse_json":
                try arity(1...1)
                guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(try Self.string(args[0], name).utf8)) else {
                    throw Failure("parse_json: the text is not JSON")
                }
                return value
            case "to_json": try arity(1...1); return .string(FlowExpression.json(args[0]))
            case "slice":
                try arity(2...3)
                func bounds(_ count: Int) throws(Failure) -> Range<Int> {
                    func clamp(_ value: Int) -> Int { value < 0 ? Swift.max(0, value + count) : Swift.min(value, count) }
                    let start = clamp(try Self.integer(args[1], "slice's start"))
                    let end = args.count == 3 && args[2] != .null ? clamp(try Self.integer(args[2], "slice's end")) : count
                    return start..<Swift.max(start, end)
                }
                switch args[0] {
                case .array(let items): return .array(Array(items[try bounds(items.count)]))
                case .string(let text):
                    let scalars = Array(text.unicodeScalars)
                    return .string(String(String.UnicodeScalarView(scalars[try bounds(scalars.count)])))
                default: throw Failure("slice needs an array or a string")
                }
            case "unique":
                try arity(1...1)
                var seen: [JSONValue] = []
                for value in try Self.array(args[0], name) where !seen.contains(where: { Self.equal($0, value) }) { seen.append(value) }
                return .array(seen)
            case "sort":
                try arity(1...1)
                var items = try Self.array(args[0], name)
                var failure: Failure?
                items.sort { a, b in
                    do throws(Failure) { return try Self.compare(a, b) < 0 } catch { failure = error; return false }
                }
                if let failure { throw failure }
                return .array(items)
            case "reverse":
                try arity(1...1)
                switch args[0] {
                case .array(let items): return .array(items.reversed())
                case .string(let text): return .string(String(String.UnicodeScalarView(text.unicodeScalars.reversed())))
                default: throw Failure("reverse needs an array or a string")
                }
            case "flatten":
                try arity(1...1)
                var items: [JSONValue] = []
                for value in try Self.array(args[0], name) {
                    if case .array(let inner) = value { items += inner } else { items.append(value) }
                }
                return .array(items)
            case "pluck":
                try arity(2...2)
                let key = try Self.string(args[1], name)
                return .array(try Self.array(args[0], name).map { item -> JSONValue in
                    if case .object(let object) = item { return object[key] ?? .null }
                    return .null
                })
            case "where":
                try arity(3...3)
                let key = try Self.string(args[1], name)
                return .array(try Self.array(args[0], name).filter { item in
                    if case .object(let object) = item { return Self.equal(object[key] ?? .null, args[2]) }
                    return false
                })
            case "has":
                try arity(2...2)
                return .bool(try Self.object(args[0], name)[try Self.string(args[1], name)] != nil)
            case "merge":
                var result: [String: JSONValue] = [:]
                for value in args { for (key, item) in try Self.object(value, name) { result[key] = item } }
                return .object(result)
            default:
                throw Failure("unknown function \(name)")
            }
        }
    }
}
