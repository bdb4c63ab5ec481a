import Foundation
import PlatformSupport

/// The built-in functions of the expression language (flow_runtime.py has the same).
extension FlowExpression.Interpreter {
    typealias Failure = FlowExpression.Failure

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
