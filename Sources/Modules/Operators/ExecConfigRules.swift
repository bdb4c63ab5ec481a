import Foundation
import MediaToolkit
import PlatformSupport

/// The shape of `exec_config` per execution mode (GoyaVision's `{http: {...}}`, `{cli: {...}}`,
/// `{mcp: {...}}`, `{ai_model: {...}}`, plus `{builtin: {...}}`), as JSON Schemas checked with the
/// platform's validator. What needs the world (the outbound policy, the allow-list, the MCP
/// server) is checked by `ExecConfigCheck`.
enum ExecConfigRules {
    static let builtinPipelines = ["scene_detection", "face_analysis", "person_tracking", "audio_processing", "metadata", "frame_extraction"]

    static let timeout: JSONValue = ["type": "integer", "minimum": 1, "maximum": 3600]

    static func schema(_ mode: ExecMode) -> JSONValue {
        switch mode {
        case .http:
            return [
                "type": "object", "required": ["endpoint"], "additionalProperties": false,
                "properties": [
                    "endpoint": ["type": "string", "minLength": 1, "maxLength": 2000],
                    "method": ["enum": ["GET", "POST", "PUT", "PATCH", "DELETE"]],
                    "headers": ["type": "object", "maxProperties": 50, "additionalProperties": ["type": "string", "maxLength": 4000]],
                    "timeout_sec": ["type": "integer", "minimum": 1, "maximum": 300],
                    "auth_type": ["enum": ["none", "bearer", "basic", "api_key"]],
                    "auth_config": [
                        "type": "object", "additionalProperties": false,
                        "properties": [
                            "token": ["type": "string", "maxLength": 4000], "username": ["type": "string", "maxLength": 200],
                            "password": ["type": "string", "maxLength": 1000], "header": ["type": "string", "pattern": "^[A-Za-z0-9-]{1,100}$"],
                            "key": ["type": "string", "maxLength": 4000],
                        ],
                    ],
                    "max_response_bytes": ["type": "integer", "minimum": 1, "maximum": 52_428_800],
                ],
            ]
        case .cli:
            return [
                "type": "object", "required": ["command"], "additionalProperties": false,
                "properties": [
                    "command": ["type": "string", "minLength": 1, "maxLength": 1000],
                    "args": ["type": "array", "maxItems": 100, "items": ["type": "string", "maxLength": 4000]],
                    "env": ["type": "object", "maxProperties": 50, "additionalProperties": ["type": "string", "maxLength": 4000]],
                    "timeout_sec": timeout,
                ],
            ]
        case .mcp:
            return [
                "type": "object", "required": ["server_id", "tool_name"], "additionalProperties": false,
                "properties": [
                    "server_id": ["type": "string", "format": "uuid"], "tool_name": ["type": "string", "minLength": 1, "maxLength": 200],
                    "tool_version": ["type": "string", "maxLength": 100], "timeout_sec": ["type": "integer", "minimum": 1, "maximum": 600],
                ],
            ]
        case .aiModel:
            return [
                "type": "object", "required": ["model", "user_prompt_template"], "additionalProperties": false,
                "properties": [
                    "model": ["type": "string", "minLength": 1, "maxLength": 200, "description": "local, or the name of an AI model registered in /ai-models"],
                    "interaction_mode": ["enum": ["chat", "completion"]],
                    "system_prompt": ["type": "string", "maxLength": 20_000],
                    "user_prompt_template": ["type": "string", "minLength": 1, "maxLength": 50_000],
                    "temperature": ["type": "number", "minimum": 0, "maximum": 2],
                    "max_tokens": ["type": "integer", "minimum": 1, "maximum": 32_768],
                    "top_p": ["type": "number", "minimum": 0, "maximum": 1],
                    "response_format": ["enum": ["text", "json"]],
                    "timeout_sec": ["type": "integer", "minimum": 1, "maximum": 600],
                ],
            ]
        case .builtin:
            return [
                "type": "object", "required": ["pipeline"], "additionalProperties": false,
                "properties": [
                    "pipeline": ["enum": .array(builtinPipelines.map { .string($0) })],
                    "config": ["type": "object"],
                    "timeout_sec": timeout,
                ],
            ]
        }
    }

    /// The key of the mode's settings inside `exec_config`.
    static func key(_ mode: ExecMode) -> String { mode.rawValue }

    /// The mode's own settings (`exec_config.<mode>`), or an empty object.
    static func settings(_ execConfig: JSONValue, _ mode: ExecMode) -> JSONValue {
        execConfig[key(mode)] ?? [:]
    }

    /// Problems with `exec_config` for `mode`, by field path under `exec_config`.
    static func problems(_ execConfig: JSONValue, mode: ExecMode) -> [String: String] {
        guard case .object(let object) = execConfig else { return ["exec_config": "must be an object"] }
        var problems: [String: String] = [:]
        for key in object.keys where key != self.key(mode) && ExecMode(rawValue: key) == nil {
            problems["exec_config.\(key)"] = "is not an execution mode's settings"
        }
        guard let settings = object[key(mode)] else {
            problems["exec_config.\(key(mode))"] = "is required for exec_mode \(mode.rawValue)"
            return problems
        }
        for problem in JSONSchema(schema(mode)).validate(settings) {
            problems["exec_config.\(key(mode))" + (problem.path.isEmpty ? "" : ".\(problem.path)")] = problem.message
        }
        if mode == .builtin, let pipeline = settings["pipeline"]?.stringValue, case .object(let config)? = settings["config"] {
            for (field, message) in pipelineProblems(pipeline, config) { problems["exec_config.builtin.config.\(field)"] = message }
        }
        if mode == .cli, case .object(let env)? = settings["env"] {
            for name in env.keys.sorted() where !safeEnvironmentName(name) {
                problems["exec_config.cli.env.\(name)"] = "must be an upper-case name that does not steer the loader or an interpreter (LD_*, PATH, PYTHON*, ...)"
            }
        }
        if mode == .aiModel, let template = settings["user_prompt_template"]?.stringValue, let message = TemplateText.problem(template) {
            problems["exec_config.ai_model.user_prompt_template"] = message
        }
        return problems
    }

    /// Environment variables a `cli` operator may set: upper-case names, none that change what
    /// the allow-listed program loads or runs (the dynamic loader's, the shells', interpreters').
    static func safeEnvironmentName(_ name: String) -> Bool {
        guard name.wholeMatch(of: /[A-Z][A-Z0-9_]{0,63}/) != nil else { return false }
        let refused = ["PATH", "IFS", "ENV", "BASH_ENV", "SHELLOPTS", "NODE_OPTIONS", "GCONV_PATH", "LOCPATH", "NLSPATH", "GLIBC_TUNABLES", "HOSTALIASES", "TMPDIR"]
        let prefixes = ["LD_", "DYLD_", "PYTHON", "PERL", "RUBY", "MALLOC_", "BASH_FUNC", "OPERATOR_"]
        return !refused.contains(name) && !prefixes.contains(where: name.hasPrefix)
    }

    static func pipelineProblems(_ pipeline: String, _ config: [String: JSONValue]) -> [String: String] {
        if pipeline == "frame_extraction" {
            let schema: JSONValue = [
                "type": "object", "additionalProperties": false,
                "properties": [
                    "fps": ["type": "number", "exclusiveMinimum": 0, "maximum": 30], "max_frames": ["type": "integer", "minimum": 1, "maximum": 500],
                    "width": ["type": "integer", "minimum": 16, "maximum": 4096],
                ],
            ]
            return Dictionary(JSONSchema(schema).validate(.object(config)).map { ($0.path, $0.message) }, uniquingKeysWith: { a, _ in a })
        }
        guard let descriptor = MetadataProbe.pipelines.first(where: { $0.name == pipeline }) else { return [:] }
        return descriptor.problems(config)
    }
}

/// `{{path}}` placeholders in prompt templates and cli arguments: a dotted path into the run's
/// input (`{{params.text}}`, `{{input.text}}`, `{{asset.id}}`), replaced by its text (JSON for
/// objects and arrays, empty for a missing value).
enum TemplateText {
    static func problem(_ template: String) -> String? {
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else { return "a {{ is not closed" }
            let path = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if path.wholeMatch(of: /[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*/) == nil { return "{{\(path)}} is not a dotted path" }
            rest = rest[close.upperBound...]
        }
        return nil
    }

    static func render(_ template: String, scope: [String: JSONValue]) -> String {
        var output = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            output += rest[..<open.lowerBound]
            let path = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces).split(separator: ".").map(String.init)
            var value: JSONValue? = path.first.flatMap { scope[$0] }
            for key in path.dropFirst() { value = value?[key] }
            output += text(value ?? .null)
            rest = rest[close.upperBound...]
        }
        return output + rest
    }

    static func text(_ value: JSONValue) -> String {
        switch value {
        case .null: ""
        case .string(let text): text
        case .int(let number): String(number)
        case .double(let number): String(number)
        case .bool(let flag): String(flag)
        case .array, .object: (try? String(decoding: PlatformJSON.makeEncoder().encode(value), as: UTF8.self)) ?? ""
        }
    }
}

extension JSONValue {
    /// The elements of an array, or nil.
    var arrayItems: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }
}
