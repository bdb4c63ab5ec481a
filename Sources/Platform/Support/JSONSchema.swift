import Foundation

/// The platform's one JSON Schema validator (draft 2020-12 keywords the platform uses):
/// `type`, `properties`, `required`, `additionalProperties`, `items`, `prefixItems`, `enum`,
/// `const`, numeric bounds (`minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`,
/// `multipleOf`), string bounds (`minLength`, `maxLength`, `pattern`), array bounds (`minItems`,
/// `maxItems`, `uniqueItems`), `minProperties`/`maxProperties`, `format` (`date-time`, `date`,
/// `uri`, `uuid`, `email`), `$ref` within the document (`#`, `#/$defs/...`, `#/definitions/...`),
/// `allOf`, `anyOf`, `oneOf`, `not`, and boolean schemas. Unknown keywords are ignored, as the
/// specification says. Node configs, operator inputs and project parameters are checked with it.
public struct JSONSchema: Sendable {
    /// One reason a value does not match, at a JSON-pointer-like path (`config.url`, `items[2]`).
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { path.isEmpty ? message : "\(path): \(message)" }

        public init(path: String, message: String) {
            self.path = path
            self.message = message
        }
    }

    public let schema: JSONValue
    /// A `$ref` chain longer than this is taken for a loop.
    static let maximumDepth = 64

    public init(_ schema: JSONValue) {
        self.schema = schema
    }

    /// Every problem with `value`; empty when it matches.
    public func validate(_ value: JSONValue, at path: String = "") -> [Problem] {
        var problems: [Problem] = []
        check(value, against: schema, path: path, depth: 0, into: &problems)
        return problems
    }

    public func isValid(_ value: JSONValue) -> Bool { validate(value).isEmpty }

    // MARK: - Validation

    func check(_ value: JSONValue, against schema: JSONValue, path: String, depth: Int, into problems: inout [Problem]) {
        switch schema {
        case .bool(true): return
        case .bool(false):
            problems.append(Problem(path: path, message: "is not allowed"))
            return
        case .object(let keywords):
            checkKeywords(value, keywords, path: path, depth: depth, into: &problems)
        default:
            return
        }
    }

    private func checkKeywords(_ value: JSONValue, _ keywords: [String: JSONValue], path: String, depth: Int, into problems: inout [Problem]) {
        if case .string(let reference)? = keywords["$ref"] {
            guard depth < Self.maximumDepth, let target = Self.resolve(reference, in: schema) else {
                problems.append(Problem(path: path, message: "the schema's $ref \(reference) does not resolve"))
                return
            }
            check(value, against: target, path: path, depth: depth + 1, into: &problems)
        }
        if let type = keywords["type"], !Self.matches(value, type: type) {
            problems.append(Problem(path: path, message: "must be \(Self.describe(type))"))
            return
        }
        if case .array(let allowed)? = keywords["enum"], !allowed.contains(where: { Self.equal($0, value) }) {
            let listed = allowed.prefix(20).map(Self.render).joined(separator: ", ")
            problems.append(Problem(path: path, message: "must be one of \(listed)"))
        }
        if let constant = keywords["const"], !Self.equal(constant, value) {
            problems.append(Problem(path: path, message: "must be \(Self.render(constant))"))
        }
        switch value {
        case .int, .double: checkNumber(value, keywords, path: path, into: &problems)
        case .string(let text): checkString(text, keywords, path: path, into: &problems)
        case .array(let items): checkArray(items, keywords, path: path, depth: depth, into: &problems)
        case .object(let object): checkObject(object, keywords, path: path, depth: depth, into: &problems)
        default: break
        }
        if case .array(let schemas)? = keywords["allOf"] {
            for sub in schemas { check(value, against: sub, path: path, depth: depth + 1, into: &problems) }
        }
        if case .array(let schemas)? = keywords["anyOf"] {
            let matching = schemas.contains { sub in
                var scratch: [Problem] = []
                check(value, against: sub, path: path, depth: depth + 1, into: &scratch)
                return scratch.isEmpty
            }
            if !matching { problems.append(Problem(path: path, message: "matches none of the allowed forms (anyOf)")) }
        }
        if case .array(let schemas)? = keywords["oneOf"] {
            let matching = schemas.filter { sub in
                var scratch: [Problem] = []
                check(value, against: sub, path: path, depth: depth + 1, into: &scratch)
                return scratch.isEmpty
            }.count
            if matching != 1 {
                problems.append(Problem(path: path, message: matching == 0 ? "matches none of the allowed forms (oneOf)" : "matches more than one form (oneOf)"))
            }
        }
        if let negated = keywords["not"] {
            var scratch: [Problem] = []
            check(value, against: negated, path: path, depth: depth + 1, into: &scratch)
            if scratch.isEmpty { problems.append(Problem(path: path, message: "matches a form that is not allowed (not)")) }
        }
    }

    private func checkNumber(_ value: JSONValue, _ keywords: [String: JSONValue], path: String, into problems: inout [Problem]) {
        guard let number = Self.number(value) else { return }
        if let minimum = keywords["minimum"].flatMap(Self.number), number < minimum {
            problems.append(Problem(path: path, message: "must be at least \(Self.render(keywords["minimum"] ?? .null))"))
        }
        if let maximum = keywords["maximum"].flatMap(Self.number), number > maximum {
            problems.append(Problem(path: path, message: "must be at most \(Self.render(keywords["maximum"] ?? .null))"))
        }
        if let minimum = keywords["exclusiveMinimum"].flatMap(Self.number), number <= minimum {
            problems.append(Problem(path: path, message: "must be more than \(Self.render(keywords["exclusiveMinimum"] ?? .null))"))
        }
        if let maximum = keywords["exclusiveMaximum"].flatMap(Self.number), number >= maximum {
            problems.append(Problem(path: path, message: "must be less than \(Self.render(keywords["exclusiveMaximum"] ?? .null))"))
        }
        if let step = keywords["multipleOf"].flatMap(Self.number), step > 0 {
            let quotient = number / step
            if !quotient.isFinite || abs(quotient - quotient.rounded()) > 1e-9 { problems.append(Problem(path: path, message: "must be a multiple of \(Self.render(keywords["multipleOf"] ?? .null))")) }
        }
    }

    private func checkString(_ text: String, _ keywords: [String: JSONValue], path: String, into problems: inout [Problem]) {
        let length = text.count
        if let minimum = keywords["minLength"].flatMap(Self.integer), length < minimum {
            problems.append(Problem(path: path, message: "must be at least \(minimum) characters"))
        }
        if let maximum = keywords["maxLength"].flatMap(Self.integer), length > maximum {
            problems.append(Problem(path: path, message: "must be at most \(maximum) characters"))
        }
        if case .string(let pattern)? = keywords["pattern"] {
            if let regex = try? NSRegularExpression(pattern: pattern) {
                if regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                    problems.append(Problem(path: path, message: "must match the pattern \(pattern)"))
                }
            } else {
                problems.append(Problem(path: path, message: "the schema's pattern \(pattern) is not a valid regular expression"))
            }
        }
        if case .string(let format)? = keywords["format"], !Self.matchesFormat(text, format) {
            problems.append(Problem(path: path, message: "must be a valid \(format)"))
        }
    }

    private func checkArray(_ items: [JSONValue], _ keywords: [String: JSONValue], path: String, depth: Int, into problems: inout [Problem]) {
        if let minimum = keywords["minItems"].flatMap(Self.integer), items.count < minimum {
            problems.append(Problem(path: path, message: "must hold at least \(minimum) items"))
        }
        if let maximum = keywords["maxItems"].flatMap(Self.integer), items.count > maximum {
            problems.append(Problem(path: path, message: "must hold at most \(maximum) items"))
        }
        if case .bool(true)? = keywords["uniqueItems"] {
            for (index, item) in items.enumerated() where items[..<index].contains(where: { Self.equal($0, item) }) {
                problems.append(Problem(path: "\(path)[\(index)]", message: "repeats an earlier item"))
                break
            }
        }
        var prefixCount = 0
        if case .array(let prefix)? = keywords["prefixItems"] {
            prefixCount = prefix.count
            for (index, sub) in prefix.enumerated() where index < items.count {
                check(items[index], against: sub, path: "\(path)[\(index)]", depth: depth + 1, into: &problems)
            }
        }
        if let itemSchema = keywords["items"] {
            for index in items.indices where index >= prefixCount {
                check(items[index], against: itemSchema, path: "\(path)[\(index)]", depth: depth + 1, into: &problems)
            }
        }
    }

    private func checkObject(_ object: [String: JSONValue], _ keywords: [String: JSONValue], path: String, depth: Int, into problems: inout [Problem]) {
        func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
        if case .array(let required)? = keywords["required"] {
            for case .string(let name) in required where object[name] == nil {
                problems.append(Problem(path: child(name), message: "is required"))
            }
        }
        if let minimum = keywords["minProperties"].flatMap(Self.integer), object.count < minimum {
            problems.append(Problem(path: path, message: "must have at least \(minimum) properties"))
        }
        if let maximum = keywords["maxProperties"].flatMap(Self.integer), object.count > maximum {
            problems.append(Problem(path: path, message: "must have at most \(maximum) properties"))
        }
        var properties: [String: JSONValue] = [:]
        if case .object(let declared)? = keywords["properties"] { properties = declared }
        var patterns: [(NSRegularExpression, JSONValue)] = []
        if case .object(let declared)? = keywords["patternProperties"] {
            for (pattern, sub) in declared.sorted(by: { $0.key < $1.key }) {
                if let regex = try? NSRegularExpression(pattern: pattern) { patterns.append((regex, sub)) }
            }
        }
        for key in object.keys.sorted() {
            guard let value = object[key] else { continue }
            let matching = patterns.filter { $0.0.firstMatch(in: key, range: NSRange(key.startIndex..., in: key)) != nil }
            for (_, sub) in matching { check(value, against: sub, path: child(key), depth: depth + 1, into: &problems) }
            if let sub = properties[key] {
                check(value, against: sub, path: child(key), depth: depth + 1, into: &problems)
            } else if !matching.isEmpty {
                continue
            } else if let additional = keywords["additionalProperties"] {
                if case .bool(false) = additional {
                    problems.append(Problem(path: child(key), message: "is not an accepted property"))
                } else {
                    check(value, against: additional, path: child(key), depth: depth + 1, into: &problems)
                }
            }
        }
    }

    // MARK: - Helpers

    /// The schema a `#...` reference names.
    public static func resolve(_ reference: String, in root: JSONValue) -> JSONValue? {
        guard reference.hasPrefix("#") else { return nil }
        var current = root
        let pointer = reference.dropFirst()
        guard !pointer.isEmpty else { return root }
        guard pointer.hasPrefix("/") else { return nil }
        for raw in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let token = raw.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
                .removingPercentEncoding ?? String(raw)
            switch current {
            case .object(let object):
                guard let next = object[token] else { return nil }
                current = next
            case .array(let array):
                guard let index = Int(token), array.indices.contains(index) else { return nil }
                current = array[index]
            default:
                return nil
            }
        }
        return current
    }

    static func matches(_ value: JSONValue, type: JSONValue) -> Bool {
        switch type {
        case .string(let name): return matches(value, typeName: name)
        case .array(let names): return names.contains { if case .string(let name) = $0 { matches(value, typeName: name) } else { false } }
        default: return true
        }
    }

    public static func matches(_ value: JSONValue, typeName: String) -> Bool {
        switch (typeName, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): return true
        case ("number", .int), ("number", .double): return true
        case ("integer", .int): return true
        case ("integer", .double(let number)): return number.isFinite && number == number.rounded()
        default: return false
        }
    }

    static func describe(_ type: JSONValue) -> String {
        func one(_ name: String) -> String {
            switch name {
            case "object", "array", "integer": "an \(name)"
            case "null": "null"
            default: "a \(name)"
            }
        }
        switch type {
        case .string(let name): return one(name)
        case .array(let names): return names.compactMap(\.stringValue).map(one).joined(separator: " or ")
        default: return "valid"
        }
    }

    public static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .double(let number): number
        default: nil
        }
    }

    public static func integer(_ value: JSONValue) -> Int? {
        switch value {
        case .int(let number): Int(exactly: number)
        case .double(let number) where number == number.rounded(): Int(exactly: number)
        default: nil
        }
    }

    /// Equality as JSON Schema defines it: 1 and 1.0 are the same number.
    static func equal(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.int, .double), (.double, .int), (.int, .int), (.double, .double): return number(lhs) == number(rhs)
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy(equal)
        case (.object(let a), .object(let b)): return a.count == b.count && a.allSatisfy { key, value in b[key].map { equal(value, $0) } ?? false }
        default: return lhs == rhs
        }
    }

    static func render(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): "\"\(text)\""
        case .int(let number): String(number)
        case .double(let number): String(number)
        case .bool(let flag): String(flag)
        case .null: "null"
        default: (try? String(decoding: JSONEncoder().encode(value), as: UTF8.self)) ?? "a value"
        }
    }

    static func matchesFormat(_ text: String, _ format: String) -> Bool {
        switch format {
        case "date-time": return FormatCheck.dateTime(text)
        case "date": return FormatCheck.date(text)
        case "uuid": return UUID(uuidString: text) != nil
        case "regex": return (try? NSRegularExpression(pattern: text)) != nil
        case "email": return FormatCheck.email(text)
        case "uri":
            guard let components = URLComponents(string: text), let scheme = components.scheme, !scheme.isEmpty else { return false }
            return scheme.first?.isLetter == true
        default: return true
        }
    }
}
