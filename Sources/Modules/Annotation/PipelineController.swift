import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

struct PipelineListResponse: Codable, Sendable, ResponseEncodable {
    var pipelines: [PipelineInfo]
    var total: Int
}

struct PipelineValidationRequest: Codable, Sendable {
    var config: JSONValue
    var selectedPipelines: [String]?
}

struct ConfigValidationRequest: Codable, Sendable {
    var config: JSONValue
    var selectedPipelines: [String]
}

struct PipelineValidationResponse: Codable, Sendable, ResponseEncodable {
    var valid: Bool
    var errors: [JSONValue]
    var warnings: [JSONValue]
    var message: String
}

struct ConfigValidationResponse: Codable, Sendable, ResponseEncodable {
    var valid: Bool
    var errors: [JSONValue]
    var warnings: [JSONValue]
    var message: String
    var pipelinesValidated: [String]
}

/// `GET /pipelines`, `GET /pipelines/{name}`, `POST /pipelines/{name}/validate` and
/// `POST /config/validate`, from the toolkit's declarations.
struct PipelineController: Sendable {
    func register(pipelines: RouteGroup, config: RouteGroup) {
        pipelines.get("", "The pipelines jobs can run (VideoAnnotator's PipelineInfo)", .permission("annotation:pipeline:read"), use: list)
        pipelines.get(
            "/{pipeline_name}", "One pipeline (names or aliases)", .permission("annotation:pipeline:read"),
            parameters: [.path("pipeline_name", description: "e.g. scene_detection, or an alias such as scene")], use: get)
        pipelines.post(
            "/{pipeline_name}/validate", "Check a configuration for one pipeline: per-field errors and warnings", .permission("annotation:pipeline:read"),
            parameters: [.path("pipeline_name")], body: PipelineValidationRequest.self, use: validatePipeline)
        config.post(
            "/validate", "Check a configuration for several pipelines (per-pipeline sections or shared keys)", .permission("annotation:pipeline:read"),
            body: ConfigValidationRequest.self, use: validateConfig)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> PipelineListResponse {
        let pipelines = PipelineCatalog.entries.map(PipelineCatalog.info)
        return PipelineListResponse(pipelines: pipelines, total: pipelines.count)
    }

    func entry(_ context: AuthenticatedContext) throws -> PipelineCatalog.Entry {
        let name = context.parameters.get("pipeline_name") ?? ""
        guard let entry = PipelineCatalog.entry(name) else { throw APIError.pipelineNotFound(String(name.prefix(100))) }
        return entry
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> PipelineInfo {
        PipelineCatalog.info(try entry(context))
    }

    static func object(_ value: JSONValue) throws -> [String: JSONValue] {
        switch value {
        case .object(let object): return object
        case .null: return [:]
        default: throw APIError.validation(["config": "must be a JSON object"])
        }
    }

    func validatePipeline(_ request: Request, _ context: AuthenticatedContext) async throws -> PipelineValidationResponse {
        let entry = try entry(context)
        let body = try await request.decode(as: PipelineValidationRequest.self, context: context)
        let config = try Self.object(body.config)
        let checked = PipelineCatalog.validate(config, pipelines: [entry.descriptor.name])
        return PipelineValidationResponse(
            valid: checked.errors.isEmpty, errors: checked.errors.map(\.json), warnings: checked.warnings.map(\.json),
            message: Self.message(checked.errors.count, checked.warnings.count))
    }

    func validateConfig(_ request: Request, _ context: AuthenticatedContext) async throws -> ConfigValidationResponse {
        let body = try await request.decode(as: ConfigValidationRequest.self, context: context)
        let config = try Self.object(body.config)
        guard body.selectedPipelines.count <= 50 else { throw APIError.validation(["selected_pipelines": "at most 50 pipelines"]) }
        var errors: [JSONValue] = []
        var known: [String] = []
        for name in body.selectedPipelines {
            if let canonical = PipelineCatalog.canonical(name) {
                if !known.contains(canonical) { known.append(canonical) }
            } else {
                errors.append(PipelineCatalog.Finding(
                    pipeline: String(name.prefix(100)), field: "selected_pipelines", message: "unknown pipeline '\(name.prefix(100))'",
                    code: "PIPELINE_NOT_FOUND", hint: "Available pipelines: \(PipelineCatalog.names.joined(separator: ", "))").json)
            }
        }
        let checked = PipelineCatalog.validate(config, pipelines: known)
        errors += checked.errors.map(\.json)
        return ConfigValidationResponse(
            valid: errors.isEmpty, errors: errors, warnings: checked.warnings.map(\.json),
            message: Self.message(errors.count, checked.warnings.count), pipelinesValidated: known)
    }

    static func message(_ errors: Int, _ warnings: Int) -> String {
        if errors == 0 { return warnings == 0 ? "Configuration is valid" : "Configuration is valid with \(warnings) warning\(warnings == 1 ? "" : "s")" }
        return "Configuration has \(errors) error\(errors == 1 ? "" : "s")" + (warnings > 0 ? " and \(warnings) warning\(warnings == 1 ? "" : "s")" : "")
    }
}
