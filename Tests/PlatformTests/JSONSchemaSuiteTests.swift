import Foundation
import PlatformSupport
import Testing

/// The platform's JSON Schema validator against the official JSON Schema Test Suite (draft
/// 2020-12): the files of the keywords the validator implements are shipped in
/// `Fixtures/json-schema-test-suite` (with the suite's licence), every case of them runs, and
/// the groups that need what the validator deliberately does not do are listed below with the
/// reason. A listed group that starts to pass fails the test, so the list cannot go stale.
@Suite("JSON Schema: the official test suite's draft 2020-12 cases")
struct JSONSchemaSuiteTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/json-schema-test-suite/draft2020-12")

    static let files = [
        "type", "properties", "required", "additionalProperties", "items", "prefixItems", "enum", "const", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "pattern", "ref", "allOf", "anyOf",
        "oneOf", "not", "boolean_schema", "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties",
        "optional/format/date-time", "optional/format/uri", "optional/format/uuid", "optional/format/email",
    ]

    /// Groups (file: description) outside what the validator does, with the reason.
    static let outOfScope: [String: String] = [
        "ref: remote ref, containing refs itself": "remote references ($ref to another document) are not followed",
        "ref: Recursive references between schemas": "$id-based resolution of relative references",
        "ref: refs with relative uris and defs": "$id-based resolution of relative references",
        "ref: relative refs with absolute uris and defs": "$id-based resolution of relative references",
        "ref: $id must be resolved against nearest parent, not just immediate parent": "$id-based resolution of relative references",
        "ref: order of evaluation: $id and $ref": "$id-based resolution of relative references",
        "ref: order of evaluation: $id and $anchor and $ref": "$anchor",
        "ref: simple URN base URI with $ref via the URN": "URN base URIs",
        "ref: URN base URI with URN and JSON pointer ref": "URN base URIs",
        "ref: URN base URI with URN and anchor ref": "URN base URIs",
        "ref: URN ref with nested pointer ref": "URN base URIs",
        "ref: ref to if": "$id-based resolution of relative references",
        "ref: ref to then": "$id-based resolution of relative references",
        "ref: ref to else": "$id-based resolution of relative references",
        "ref: ref with absolute-path-reference": "$id-based resolution of relative references",
        "ref: ref creates new scope when adjacent to keywords": "unevaluatedProperties",
        "not: collect annotations inside a 'not', even if collection is disabled": "unevaluatedProperties",
    ]

    struct Case: Decodable {
        var description: String
        var data: JSONValue
        var valid: Bool
    }

    struct Group: Decodable {
        var description: String
        var schema: JSONValue
        var tests: [Case]
    }

    static func groups(_ file: String) throws -> [Group] {
        try JSONDecoder().decode([Group].self, from: Data(contentsOf: directory.appendingPathComponent("\(file).json")))
    }

    @Test("every case of the shipped files", arguments: files)
    func suite(file: String) throws {
        let groups = try Self.groups(file)
        #expect(!groups.isEmpty)
        let name = file.split(separator: "/").last.map(String.init) ?? file
        var ran = 0
        for group in groups {
            let key = "\(name): \(group.description)"
            let validator = JSONSchema(group.schema)
            let failures = group.tests.filter { validator.isValid($0.data) != $0.valid }
            if Self.outOfScope[key] != nil {
                #expect(!failures.isEmpty, "\(key) is listed as out of scope but passes: take it off the list")
                continue
            }
            for failure in failures {
                Issue.record("\(key) / \(failure.description): expected \(failure.valid ? "valid" : "invalid")")
            }
            ran += group.tests.count
        }
        #expect(ran > 0)
    }

    @Test("every schema of the shipped cases passes the 2020-12 meta-schema check", arguments: files)
    func schemasAreValid(file: String) throws {
        let name = file.split(separator: "/").last.map(String.init) ?? file
        for group in try Self.groups(file) where Self.outOfScope["\(name): \(group.description)"] == nil {
            let problems = JSONSchema.problems(inSchema: group.schema)
            #expect(problems.isEmpty, "\(name): \(group.description): \(problems)")
        }
    }

    @Test("the meta-schema refuses malformed schemas, naming the keyword")
    func metaSchema() throws {
        let cases: [(JSONValue, String)] = [
            (["type": "strin"], "type"),
            (["type": ["string", "string"]], "type"),
            (["minLength": -1], "minLength"),
            (["minLength": 1.5], "minLength"),
            (["multipleOf": 0], "multipleOf"),
            (["required": ["a", "a"]], "required"),
            (["required": "a"], "required"),
            (["properties": ["a": ["type": 3]]], "properties.a.type"),
            (["items": "string"], "items"),
            (["allOf": []], "allOf"),
            (["pattern": "(unclosed"], "pattern"),
            (["$ref": "#/$defs/missing"], "$ref"),
            (["enum": "a"], "enum"),
            (["$defs": ["x": 5]], "$defs.x"),
            ("a string", ""),
        ]
        for (schema, path) in cases {
            let problems = JSONSchema.problems(inSchema: schema)
            #expect(problems.contains { $0.path == path }, "\(schema): \(problems)")
        }
        #expect(JSONSchema.problems(inSchema: JSONSchema.metaSchema).isEmpty)
        #expect(JSONSchema.problems(inSchema: [
            "type": "object", "required": ["name"], "additionalProperties": false,
            "properties": ["name": ["type": "string", "minLength": 1], "tags": ["type": "array", "items": ["$ref": "#/$defs/tag"]]],
            "$defs": ["tag": ["type": "string", "pattern": "^[a-z]+$"]],
        ]).isEmpty)
    }
}
