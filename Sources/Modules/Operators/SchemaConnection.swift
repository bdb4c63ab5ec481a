import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

struct SchemaInput: Codable, Sendable {
    var schema: JSONValue
}

struct SchemaProblemView: Codable, Sendable {
    var path: String
    var message: String
}

struct SchemaCheck: Codable, Sendable, ResponseEncodable {
    var valid: Bool
    var message: String
    var errors: [SchemaProblemView]
}

struct ConnectionInput: Codable, Sendable {
    var upstreamOutputSpec: JSONValue
    var downstreamInputSchema: JSONValue
}

struct ConnectionCheck: Codable, Sendable, ResponseEncodable {
    var valid: Bool
    var message: String
    var errors: [String]
}

/// Whether one operator's output can feed another's input: every property the downstream
/// `input_schema` requires must be declared by the upstream `output_spec` (its `properties`),
/// with a type the downstream accepts (an integer feeds a number). `$ref`s within each
/// document are followed.
enum SchemaConnection {
    static func check(upstream: JSONValue, downstream: JSONValue) -> ConnectionCheck {
        var errors: [String] = []
        for (label, schema) in [("upstream_output_spec", upstream), ("downstream_input_schema", downstream)] {
            let problems = JSONSchema.problems(inSchema: schema)
            if !problems.isEmpty { errors.append("\(label) is not a valid JSON Schema: \(problems.prefix(3).map(\.description).joined(separator: "; "))") }
        }
        if !errors.isEmpty { return ConnectionCheck(valid: false, message: errors[0], errors: errors) }
        let target = deref(downstream, root: downstream)
        let source = deref(upstream, root: upstream)
        let required = target["required"]?.arrayItems?.compactMap(\.stringValue) ?? []
        let wanted = target["properties"] ?? [:]
        let offered = source["properties"] ?? [:]
        for name in required.sorted() {
            guard let given = offered[name] else {
                errors.append("the downstream input requires \(name), which the upstream output does not declare")
                continue
            }
            let accepts = types(deref(wanted[name] ?? [:], root: downstream))
            let provides = types(deref(given, root: upstream))
            guard let accepts else { continue }
            guard let provides else {
                errors.append("\(name): the downstream input needs \(accepts.sorted().joined(separator: " or ")), and the upstream output does not declare a type")
                continue
            }
            let incompatible = provides.filter { !accepts.contains($0) && !($0 == "integer" && accepts.contains("number")) }
            if !incompatible.isEmpty {
                errors.append("\(name): the upstream output gives \(provides.sorted().joined(separator: " or ")), the downstream input accepts \(accepts.sorted().joined(separator: " or "))")
            }
        }
        if errors.isEmpty {
            return ConnectionCheck(valid: true, message: required.isEmpty ? "the downstream input requires nothing" : "every required input is fed by the upstream output", errors: [])
        }
        return ConnectionCheck(valid: false, message: errors[0], errors: errors)
    }

    /// A schema with its `$ref` followed (a few levels).
    static func deref(_ schema: JSONValue, root: JSONValue) -> JSONValue {
        var current = schema
        for _ in 0..<16 {
            guard let reference = current["$ref"]?.stringValue, let target = JSONSchema.resolve(reference, in: root) else { return current }
            current = target
        }
        return current
    }

    /// The JSON types a schema allows, or nil when it does not say (anything).
    static func types(_ schema: JSONValue) -> Set<String>? {
        switch schema["type"] {
        case .string(let name)?: return [name]
        case .array(let names)?: return Set(names.compactMap(\.stringValue))
        default:
            if let constant = schema["const"] { return Set(["null", "boolean", "integer", "number", "string", "array", "object"].filter { JSONSchema.matches(constant, typeName: $0) }) }
            return nil
        }
    }
}
