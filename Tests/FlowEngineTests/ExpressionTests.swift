import Foundation
import PlatformSupport
import Testing

@testable import FlowEngine

@Suite("Flow expressions and templates")
struct ExpressionTests {
    func eval(_ source: String, _ scope: [String: JSONValue] = [:]) throws -> JSONValue {
        try FlowExpression.evaluate(source, scope: scope)
    }

    @Test(arguments: [
        ("1 + 2 * 3", JSONValue.int(7)),
        ("(1 + 2) * 3", .int(9)),
        ("7 / 2", .double(3.5)),
        ("-7 % 3", .int(2)),
        ("7 % -3", .int(-2)),
        ("'a' + \"b\"", .string("ab")),
        ("[1, 2] + [3]", .array([1, 2, 3])),
        ("1 == 1.0", .bool(true)),
        ("'abc' < 'abd'", .bool(true)),
        ("2 in [1, 2]", .bool(true)),
        ("'x' in {x: 1}", .bool(true)),
        ("'bc' in 'abc'", .bool(true)),
        ("!0 && (false || 'yes')", .bool(true)),
        ("null.missing", .null),
        ("{a: {b: [10, 20]}}.a.b[-1]", .int(20)),
        ("true ? 'y' : 'n'", .string("y")),
        ("len('héllo')", .int(5)),
        ("round(2.5)", .int(2)),
        ("round(3.14159, 2)", .double(3.14)),
        ("sum([1, 2.5])", .double(3.5)),
        ("join(split('a,b', ','), '-')", .string("a-b")),
        ("pluck([{n: 1}, {n: 2}], 'n')", .array([1, 2])),
        ("where([{n: 1}, {n: 2}], 'n', 2)", .array([["n": 2]])),
        ("string(1.0)", .string("1.0")),
        ("to_json({b: 1, a: [true, null]})", .string("{\"a\":[true,null],\"b\":1}")),
        ("number('42')", .int(42)),
        ("slice([1, 2, 3, 4], 1, -1)", .array([2, 3])),
        ("sort([3, 1, 2])", .array([1, 2, 3])),
    ])
    func evaluates(source: String, expected: JSONValue) throws {
        #expect(try eval(source) == expected)
    }

    @Test func programsWithStatementsAndLogs() throws {
        var logs: [String] = []
        let value = try FlowExpression.evaluate(
            """
            let total = sum(pluck(input.items, 'price'))
            log('total ' + string(total))
            total = total * 2
            {total: total, big: total > 100}
            """, scope: ["input": ["items": [["price": 30], ["price": 30]]]], logs: &logs)
        #expect(value == ["total": 120, "big": true])
        #expect(logs == ["total 60"])
    }

    @Test(arguments: ["1 +", "foo(1)", "'open", "x = 1", "1 / 0", "unknown", "len(3)", "{a: 1}.a.b.c.d + 1"])
    func failsClearly(source: String) {
        #expect(throws: FlowExpression.Failure.self) { try eval(source) }
    }

    @Test func runawayProgramsStop() {
        #expect(throws: FlowExpression.Failure.self) { try eval("len(range(200000))") }
        #expect(throws: FlowExpression.Failure.self) { try eval("replace(join(range(99999), \"x\"), \"x\", join(range(99999), \"x\"))") }
    }

    @Test func templatesKeepTypesAndSplice() throws {
        let scope: [String: JSONValue] = ["input": ["n": 3, "name": "Ada", "tags": ["a"]]]
        #expect(try FlowTemplate.render("{{input.n}}", scope: scope) == .int(3))
        #expect(try FlowTemplate.render("Hi {{input.name}}, {{input.n}} {{input.tags}}", scope: scope) == "Hi Ada, 3 [\"a\"]")
        #expect(try FlowTemplate.render(["x": ["{{input.n + 1}}"]], scope: scope) == ["x": [4]])
        #expect(FlowTemplate.check("{{ 1 + }}") != nil)
        #expect(FlowTemplate.check("{{ unclosed") != nil)
    }

    @Test func jsonPathSelects() throws {
        let document: JSONValue = ["items": [["name": "a", "tags": ["x"]], ["name": "b", "tags": ["y", "z"]]], "meta": ["name": "m"]]
        #expect(try JSONPath("$.items[0].name").value(document) == "a")
        #expect(try JSONPath("$.items[*].name").value(document) == ["a", "b"])
        #expect(try JSONPath("$.items[-1]['name']").value(document) == "b")
        #expect(try JSONPath("$..name").value(document) == ["a", "b", "m"])
        #expect(try JSONPath("$.items[0:1]").value(document) == [["name": "a", "tags": ["x"]]])
        #expect(try JSONPath("$.missing").value(document) == .null)
        #expect(throws: FlowExpression.Failure.self) { try JSONPath("items") }
    }
}

@Suite("JSON Schema validator")
struct JSONSchemaTests {
    @Test func coreKeywords() {
        let schema = JSONSchema([
            "type": "object", "required": ["name", "count"], "additionalProperties": false,
            "properties": [
                "name": ["type": "string", "minLength": 2, "pattern": "^[a-z]+$"],
                "count": ["type": "integer", "minimum": 1, "maximum": 10],
                "kind": ["enum": ["a", "b"]],
                "when": ["type": "string", "format": "date-time"],
                "tags": ["type": "array", "items": ["type": "string"], "maxItems": 2, "uniqueItems": true],
                "ref": ["$ref": "#/$defs/id"],
                "choice": ["oneOf": [["type": "string"], ["type": "integer"]]],
            ],
            "$defs": ["id": ["type": "string", "format": "uuid"]],
        ])
        #expect(schema.validate(["name": "ab", "count": 3]).isEmpty)
        let problems = schema.validate([
            "name": "A", "count": 11, "kind": "c", "when": "yesterday", "tags": ["x", "x", "y"], "ref": "nope", "choice": 1.5, "extra": true,
        ])
        let paths = Set(problems.map(\.path))
        #expect(paths.isSuperset(of: ["name", "count", "kind", "when", "tags", "tags[1]", "ref", "choice", "extra"]))
        #expect(schema.validate(["count": 1.0, "name": "xy"]).isEmpty)
        #expect(schema.validate([:]).map(\.path).sorted() == ["count", "name"])
    }

    @Test func schemasThemselvesAreChecked() {
        #expect(JSONSchema.problems(inSchema: ["type": "object", "properties": ["a": ["type": "string"]]]).isEmpty)
        #expect(!JSONSchema.problems(inSchema: ["type": "strin"]).isEmpty)
        #expect(!JSONSchema.problems(inSchema: ["minLength": -1]).isEmpty)
        #expect(!JSONSchema.problems(inSchema: ["pattern": "("]).isEmpty)
        #expect(!JSONSchema.problems(inSchema: ["$ref": "#/$defs/missing"]).isEmpty)
        #expect(!JSONSchema.problems(inSchema: "not a schema").isEmpty)
    }
}
