import Foundation
import PlatformSupport

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
