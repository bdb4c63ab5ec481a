import Foundation
import PlatformSupport

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
    }
}
