import Foundation
import PlatformSupport

/// JSON templates: every string may hold `{{expression}}` parts, evaluated in the node's scope.
/// A string that is exactly one `{{...}}` becomes the expression's value with its JSON type
/// (`"{{input.count}}"` is a number); otherwise each part is spliced in as text (strings as
/// they are, other values as compact JSON). Objects and arrays are rendered member by member.
public enum FlowTemplate {
    public static func render(_ template: JSONValue, scope: [String: JSONValue]) throws(FlowExpression.Failure) -> JSONValue {
        switch template {
        case .string(let text): return try renderString(text, scope: scope)
        case .array(let items):
            var rendered: [JSONValue] = []
            for item in items { rendered.append(try render(item, scope: scope)) }
            return .array(rendered)
        case .object(let object):
            var rendered: [String: JSONValue] = [:]
            for (key, value) in object { rendered[key] = try render(value, scope: scope) }
            return .object(rendered)
        default:
            return template
        }
    }

    /// The `{{...}}` parts of `text` and the literal text between them.
    enum Part { case text(String), expression(String) }

    static func parts(_ text: String) throws(FlowExpression.Failure) -> [Part] {
        var parts: [Part] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else { throw FlowExpression.Failure("a '{{' is not closed in \"\(text.prefix(80))\"") }
            parts.append(.expression(String(rest[open.upperBound..<close.lowerBound]).trimmingCharacters(in: .whitespaces)))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        return parts
    }

    static func renderString(_ text: String, scope: [String: JSONValue]) throws(FlowExpression.Failure) -> JSONValue {
        guard text.contains("{{") else { return .string(text) }
        let parts = try parts(text)
        if parts.count == 1, case .expression(let source) = parts[0] {
            return try FlowExpression.evaluate(source, scope: scope)
        }
        var out = ""
        for part in parts {
            switch part {
            case .text(let literal): out += literal
            case .expression(let source): out += FlowExpression.text(try FlowExpression.evaluate(source, scope: scope))
            }
        }
        return .string(out)
    }

    /// Every expression in a template parses (checked when a graph is saved).
    public static func check(_ template: JSONValue) -> String? {
        switch template {
        case .string(let text):
            guard text.contains("{{") else { return nil }
            do {
                for case .expression(let source) in try parts(text) { _ = try FlowExpression.parse(source) }
            } catch {
                return error.message
            }
            return nil
        case .array(let items): return items.lazy.compactMap(check).first
        case .object(let object): return object.keys.sorted().lazy.compactMap { object[$0].flatMap(check) }.first
        default: return nil
        }
    }
}

/// A JSONPath subset for selecting from node outputs: `$`, `.name`, `['name']`, `[n]` (negative
/// from the end), `[*]` / `.*`, `[start:end]`, and `..name` (recursive descent).
public struct JSONPath: Sendable {
    enum Step: Sendable, Equatable {
        case key(String)
        case index(Int)
        case wildcard
        case slice(Int?, Int?)
        case descendant(String)
    }

    let steps: [Step]

    /// Whether the path names at most one value (no wildcard, slice or descent).
    public var isDefinite: Bool {
        steps.allSatisfy { if case .key = $0 { true } else if case .index = $0 { true } else { false } }
    }

    public init(_ text: String) throws(FlowExpression.Failure) {
        let chars = Array(text)
        guard chars.first == "$" else { throw FlowExpression.Failure("a JSONPath starts with $") }
        var steps: [Step] = []
        var i = 1
        func name() -> String {
            let start = i
            while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" || chars[i] == "-" { i += 1 }
            return String(chars[start..<i])
        }
        while i < chars.count {
            if chars[i] == "." {
                if i + 1 < chars.count && chars[i + 1] == "." {
                    i += 2
                    let key = name()
                    guard !key.isEmpty else { throw FlowExpression.Failure("'..' needs a name in \(text)") }
                    steps.append(.descendant(key))
                } else {
                    i += 1
                    if i < chars.count && chars[i] == "*" {
                        i += 1
                        steps.append(.wildcard)
                    } else {
                        let key = name()
                        guard !key.isEmpty else { throw FlowExpression.Failure("'.' needs a name in \(text)") }
                        steps.append(.key(key))
                    }
                }
            } else if chars[i] == "[" {
                guard let close = chars[i...].firstIndex(of: "]") else { throw FlowExpression.Failure("'[' is not closed in \(text)") }
                let inner = String(chars[(i + 1)..<close]).trimmingCharacters(in: .whitespaces)
                i = close + 1
                if inner == "*" {
                    steps.append(.wildcard)
                } else if (inner.hasPrefix("'") && inner.hasSuffix("'") || inner.hasPrefix("\"") && inner.hasSuffix("\"")) && inner.count >= 2 {
                    steps.append(.key(String(inner.dropFirst().dropLast())))
                } else if inner.contains(":") {
                    let bounds = inner.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                    guard bounds.count == 2 else { throw FlowExpression.Failure("bad slice [\(inner)] in \(text)") }
                    let start = bounds[0].isEmpty ? nil : Int(bounds[0])
                    let end = bounds[1].isEmpty ? nil : Int(bounds[1])
                    if (!bounds[0].isEmpty && start == nil) || (!bounds[1].isEmpty && end == nil) { throw FlowExpression.Failure("bad slice [\(inner)] in \(text)") }
                    steps.append(.slice(start, end))
                } else if let index = Int(inner) {
                    steps.append(.index(index))
                } else {
                    throw FlowExpression.Failure("bad selector [\(inner)] in \(text)")
                }
            } else {
                throw FlowExpression.Failure("unexpected '\(chars[i])' in \(text)")
            }
        }
        self.steps = steps
    }

    /// Every value the path names, in document order (object members by sorted key).
    public func select(_ root: JSONValue) -> [JSONValue] {
        var current = [root]
        for step in steps {
            var next: [JSONValue] = []
            for value in current {
                switch (step, value) {
                case (.key(let key), .object(let object)):
                    if let child = object[key] { next.append(child) }
                case (.index(let index), .array(let items)):
                    let position = index < 0 ? index + items.count : index
                    if items.indices.contains(position) { next.append(items[position]) }
                case (.wildcard, .array(let items)):
                    next += items
                case (.wildcard, .object(let object)):
                    next += object.keys.sorted().compactMap { object[$0] }
                case (.slice(let start, let end), .array(let items)):
                    func clamp(_ value: Int) -> Int { value < 0 ? max(0, value + items.count) : min(value, items.count) }
                    let lower = clamp(start ?? 0), upper = clamp(end ?? items.count)
                    if lower < upper { next += items[lower..<upper] }
                case (.descendant(let key), _):
                    Self.descend(value, key, into: &next)
                default:
                    break
                }
            }
            current = next
        }
        return current
    }

    static func descend(_ value: JSONValue, _ key: String, into out: inout [JSONValue]) {
        switch value {
        case .object(let object):
            if let match = object[key] { out.append(match) }
            for name in object.keys.sorted() { if let child = object[name] { descend(child, key, into: &out) } }
        case .array(let items):
            for item in items { descend(item, key, into: &out) }
        default:
            break
        }
    }

    /// `select` as one value: the match (or null) for a definite path, else the array of matches.
    public func value(_ root: JSONValue) -> JSONValue {
        let matches = select(root)
        return isDefinite ? (matches.first ?? .null) : .array(matches)
    }
}
