import Foundation

extension JSONSchema {
    /// Problems with a schema itself: it is validated against the draft 2020-12 meta-schema
    /// (`metaSchema`), and beyond what a meta-schema can say, its patterns must compile and
    /// its `$ref`s within the document must resolve. Messages name the keyword's path.
    public static func problems(inSchema schema: JSONValue) -> [Problem] {
        var problems: [Problem] = []
        MetaCheck(root: schema).check(schema, path: "", into: &problems, depth: 0)
        for problem in JSONSchema(metaSchema).validate(schema) where !problems.contains(where: { covers($0.path, problem.path) }) {
            problems.append(problem)
        }
        return problems
    }

    /// Whether a problem at `path` already explains one at `other` (the same place, or inside it).
    static func covers(_ path: String, _ other: String) -> Bool {
        path == other || other.hasPrefix(path + ".") || other.hasPrefix(path + "[") || path.hasPrefix(other + ".") || path.hasPrefix(other + "[")
    }

    /// The draft 2020-12 meta-schema with its vocabularies (core, applicator, unevaluated,
    /// validation, meta-data, format-annotation, content) merged into one document, so this
    /// validator (which follows `$ref` within a document only) can apply it: every `$dynamicRef:
    /// "#meta"` is `$ref: "#"` and the vocabularies' `$defs` are gathered at the root.
    public static let metaSchema: JSONValue = {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(metaSchemaText.utf8)) else {
            preconditionFailure("the embedded draft 2020-12 meta-schema is not JSON")
        }
        return value
    }()

    static let metaSchemaText = #"""
{
 "$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "https://json-schema.org/draft/2020-12/schema",
 "type": ["object", "boolean"],
 "properties": {
  "$anchor": {"$ref": "#/$defs/anchorString"},
  "$comment": {"type": "string"},
  "$defs": {"additionalProperties": {"$ref": "#"}, "type": "object"},
  "$dynamicAnchor": {"$ref": "#/$defs/anchorString"},
  "$dynamicRef": {"$ref": "#/$defs/uriReferenceString"},
  "$id": {"$comment": "Non-empty fragments not allowed.", "$ref": "#/$defs/uriReferenceString", "pattern": "^[^#]*#?$"},
  "$recursiveAnchor": {"$comment": "\"$recursiveAnchor\" has been replaced by \"$dynamicAnchor\".", "$ref": "#/$defs/anchorString", "deprecated": true},
  "$recursiveRef": {"$comment": "\"$recursiveRef\" has been replaced by \"$dynamicRef\".", "$ref": "#/$defs/uriReferenceString", "deprecated": true},
  "$ref": {"$ref": "#/$defs/uriReferenceString"},
  "$schema": {"$ref": "#/$defs/uriString"},
  "$vocabulary": {"additionalProperties": {"type": "boolean"}, "propertyNames": {"$ref": "#/$defs/uriString"}, "type": "object"},
  "additionalProperties": {"$ref": "#"},
  "allOf": {"$ref": "#/$defs/schemaArray"},
  "anyOf": {"$ref": "#/$defs/schemaArray"},
  "const": true,
  "contains": {"$ref": "#"},
  "contentEncoding": {"type": "string"},
  "contentMediaType": {"type": "string"},
  "contentSchema": {"$ref": "#"},
  "default": true,
  "definitions": {"$comment": "\"definitions\" has been replaced by \"$defs\".", "additionalProperties": {"$ref": "#"}, "default": {}, "deprecated": true, "type": "object"},
  "dependencies": {"$comment": "\"dependencies\" has been split and replaced by \"dependentSchemas\" and \"dependentRequired\" in order to serve their differing semantics.", "additionalProperties": {"anyOf": [{"$ref": "#"}, {"$ref": "#/$defs/stringArray"}]}, "default": {}, "deprecated": true, "type": "object"},
  "dependentRequired": {"additionalProperties": {"$ref": "#/$defs/stringArray"}, "type": "object"},
  "dependentSchemas": {"additionalProperties": {"$ref": "#"}, "default": {}, "type": "object"},
  "deprecated": {"default": false, "type": "boolean"},
  "description": {"type": "string"},
  "else": {"$ref": "#"},
  "enum": {"items": true, "type": "array"},
  "examples": {"items": true, "type": "array"},
  "exclusiveMaximum": {"type": "number"},
  "exclusiveMinimum": {"type": "number"},
  "format": {"type": "string"},
  "if": {"$ref": "#"},
  "items": {"$ref": "#"},
  "maxContains": {"$ref": "#/$defs/nonNegativeInteger"},
  "maxItems": {"$ref": "#/$defs/nonNegativeInteger"},
  "maxLength": {"$ref": "#/$defs/nonNegativeInteger"},
  "maxProperties": {"$ref": "#/$defs/nonNegativeInteger"},
  "maximum": {"type": "number"},
  "minContains": {"$ref": "#/$defs/nonNegativeInteger", "default": 1},
  "minItems": {"$ref": "#/$defs/nonNegativeIntegerDefault0"},
  "minLength": {"$ref": "#/$defs/nonNegativeIntegerDefault0"},
  "minProperties": {"$ref": "#/$defs/nonNegativeIntegerDefault0"},
  "minimum": {"type": "number"},
  "multipleOf": {"exclusiveMinimum": 0, "type": "number"},
  "not": {"$ref": "#"},
  "oneOf": {"$ref": "#/$defs/schemaArray"},
  "pattern": {"format": "regex", "type": "string"},
  "patternProperties": {"additionalProperties": {"$ref": "#"}, "default": {}, "propertyNames": {"format": "regex"}, "type": "object"},
  "prefixItems": {"$ref": "#/$defs/schemaArray"},
  "properties": {"additionalProperties": {"$ref": "#"}, "default": {}, "type": "object"},
  "propertyNames": {"$ref": "#"},
  "readOnly": {"default": false, "type": "boolean"},
  "required": {"$ref": "#/$defs/stringArray"},
  "then": {"$ref": "#"},
  "title": {"type": "string"},
  "type": {"anyOf": [{"$ref": "#/$defs/simpleTypes"}, {"items": {"$ref": "#/$defs/simpleTypes"}, "minItems": 1, "type": "array", "uniqueItems": true}]},
  "unevaluatedItems": {"$ref": "#"},
  "unevaluatedProperties": {"$ref": "#"},
  "uniqueItems": {"default": false, "type": "boolean"},
  "writeOnly": {"default": false, "type": "boolean"}
 },
 "$defs": {
  "anchorString": {"pattern": "^[A-Za-z_][-A-Za-z0-9._]*$", "type": "string"},
  "nonNegativeInteger": {"minimum": 0, "type": "integer"},
  "nonNegativeIntegerDefault0": {"$ref": "#/$defs/nonNegativeInteger", "default": 0},
  "schemaArray": {"items": {"$ref": "#"}, "minItems": 1, "type": "array"},
  "simpleTypes": {"enum": ["array", "boolean", "integer", "null", "number", "object", "string"]},
  "stringArray": {"default": [], "items": {"type": "string"}, "type": "array", "uniqueItems": true},
  "uriReferenceString": {"format": "uri-reference", "type": "string"},
  "uriString": {"format": "uri", "type": "string"}
 }
}
"""#
}

/// Checks the shapes of a schema's own keywords (a subset of the 2020-12 meta-schema).
struct MetaCheck {
    let root: JSONValue

    static let schemaKeywords: Set<String> = ["additionalProperties", "items", "not", "contains", "propertyNames", "if", "then", "else"]
    static let schemaArrayKeywords: Set<String> = ["allOf", "anyOf", "oneOf", "prefixItems"]
    static let schemaMapKeywords: Set<String> = ["properties", "$defs", "definitions", "patternProperties", "dependentSchemas"]
    static let nonNegativeIntegers: Set<String> = ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"]
    static let numbers: Set<String> = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]
    static let types: Set<String> = ["null", "boolean", "object", "array", "number", "string", "integer"]

    func check(_ schema: JSONValue, path: String, into problems: inout [JSONSchema.Problem], depth: Int) {
        func problem(_ at: String, _ message: String) { problems.append(JSONSchema.Problem(path: at, message: message)) }
        func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
        guard depth < JSONSchema.maximumDepth else { return problem(path, "is nested too deeply") }
        switch schema {
        case .bool: return
        case .object(let keywords):
            for (key, value) in keywords {
                let at = child(key)
                if Self.schemaKeywords.contains(key) {
                    check(value, path: at, into: &problems, depth: depth + 1)
                } else if Self.schemaArrayKeywords.contains(key) {
                    guard case .array(let list) = value, !list.isEmpty else { problem(at, "must be a non-empty array of schemas"); continue }
                    for (index, item) in list.enumerated() { check(item, path: "\(at)[\(index)]", into: &problems, depth: depth + 1) }
                } else if Self.schemaMapKeywords.contains(key) {
                    guard case .object(let map) = value else { problem(at, "must be an object of schemas"); continue }
                    for (name, item) in map { check(item, path: "\(at).\(name)", into: &problems, depth: depth + 1) }
                } else if Self.nonNegativeIntegers.contains(key) {
                    if JSONSchema.integer(value).map({ $0 < 0 }) ?? true { problem(at, "must be a non-negative integer") }
                } else if Self.numbers.contains(key) {
                    if JSONSchema.number(value) == nil { problem(at, "must be a number") }
                    if key == "multipleOf", let number = JSONSchema.number(value), number <= 0 { problem(at, "must be greater than 0") }
                } else {
                    switch key {
                    case "type":
                        let names: [JSONValue]
                        switch value {
                        case .string: names = [value]
                        case .array(let list) where !list.isEmpty: names = list
                        default: problem(at, "must be a type name or a non-empty array of them"); continue
                        }
                        for name in names where !(name.stringValue.map(Self.types.contains) ?? false) {
                            problem(at, "\(JSONSchema.render(name)) is not a JSON Schema type")
                        }
                    case "required":
                        guard case .array(let list) = value, list.allSatisfy({ $0.stringValue != nil }) else { problem(at, "must be an array of strings"); continue }
                        if Set(list.compactMap(\.stringValue)).count != list.count { problem(at, "must not repeat names") }
                    case "enum":
                        if case .array = value {} else { problem(at, "must be an array") }
                    case "pattern":
                        guard let pattern = value.stringValue else { problem(at, "must be a string"); continue }
                        if (try? NSRegularExpression(pattern: pattern)) == nil { problem(at, "is not a valid regular expression") }
                    case "format", "title", "description", "$id", "$schema", "$comment":
                        if value.stringValue == nil { problem(at, "must be a string") }
                    case "$ref":
                        guard let reference = value.stringValue else { problem(at, "must be a string"); continue }
                        if reference.hasPrefix("#") && JSONSchema.resolve(reference, in: root) == nil { problem(at, "\(reference) does not resolve") }
                    case "uniqueItems", "readOnly", "writeOnly", "deprecated":
                        if case .bool = value {} else { problem(at, "must be a boolean") }
                    default:
                        break
                    }
                }
            }
        default:
            problem(path, "a schema must be an object or a boolean")
        }
    }
}
