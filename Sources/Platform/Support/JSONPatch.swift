


/// RFC 6902 JSON Patch: the operations that turn one document into another (objects are
/// compared key by key; arrays and scalars that differ are replaced whole), and applying them.
public enum JSONPatch {
    public struct ApplyError: Error, Equatable {
        public var message: String
    }

    public static func diff(from old: JSONValue, to new: JSONValue, path: String = "") -> [JSONValue] {
        if old == new { return [] }
        guard case .object(let before) = old, case .object(let after) = new else {
            if path.isEmpty {
                return [["op": "replace", "path": "", "value": new]]
            }
            return [["op": "replace", "path": .string(path), "value": new]]
        }
        var operations: [JSONValue] = []
        for key in before.keys.sorted() where after[key] == nil {
            operations.append(["op": "remove", "path": .string(path + "/" + escape(key))])
        }
        for key in after.keys.sorted() {
            guard let value = after[key] else { continue }
            if let previous = before[key] {
                operations += diff(from: previous, to: value, path: path + "/" + escape(key))
            } else {
                operations.append(["op": "add", "path": .string(path + "/" + escape(key)), "value": value])
            }
        }
        return operations
    }

    public static func escape(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    static func unescape(_ token: Substring) -> String {
        token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
    }

    /// Applies `add`, `remove` and `replace` operations (the ones `diff` produces).
    public static func apply(_ operations: [JSONValue], to document: JSONValue) throws -> JSONValue {
        var result = document
        for operation in operations {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else {
                throw ApplyError(message: "an operation needs op and path")
            }
            let tokens = path.isEmpty ? [] : path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(unescape)
            switch op {
            case "add", "replace":
                guard let value = operation["value"] else { throw ApplyError(message: "\(op) needs a value") }
                result = try set(tokens[...], in: result, to: value, mustExist: op == "replace")
            case "remove":
                result = try set(tokens[...], in: result, to: nil, mustExist: true)
            default:
                throw ApplyError(message: "unsupported op \(op)")
            }
        }
        return result
    }

    static func set(_ tokens: ArraySlice<String>, in document: JSONValue, to value: JSONValue?, mustExist: Bool) throws -> JSONValue {
        guard let first = tokens.first else {
            guard let value else { throw ApplyError(message: "cannot remove the whole document") }
            return value
        }
        guard case .object(var object) = document else { throw ApplyError(message: "path goes through a non-object") }
        if tokens.count == 1 {
            if mustExist && object[first] == nil { throw ApplyError(message: "no member \(first)") }
            object[first] = value
        } else {
            guard let child = object[first] else { throw ApplyError(message: "no member \(first)") }
            object[first] = try set(tokens.dropFirst(), in: child, to: value, mustExist: mustExist)
        }
        return .object(object)
    }
}
