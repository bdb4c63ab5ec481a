import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

/// A template synced from an MCP server (a row of `operator_templates`).
struct StoredTemplate: Decodable, Sendable {
    var id: UUID
    var code: String
    var name: String
    var description: String
    var category: OperatorCategory
    var type: String
    var execMode: ExecMode
    var execConfig: JSONValue
    var inputSchema: JSONValue?
    var outputSpec: JSONValue?
    var config: JSONValue
    var author: String?
    var tags: [String]
    var createdAt: Date
    var updatedAt: Date
    var downloads: Int
}

/// GoyaVision's OperatorTemplate: `{id, code, name, description, category, type, exec_mode,
/// exec_config, input_schema, output_spec, config, author, tags, icon_url, downloads, created_at,
/// updated_at}` plus `source` (`builtin` for the catalog that ships with the platform, `mcp` for
/// templates synced from the tenant's MCP servers). `downloads` counts the tenant's installs.
struct TemplateView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var code: String
    var name: String
    var description: String?
    var category: OperatorCategory
    var type: String
    var execMode: ExecMode
    var execConfig: JSONValue?
    var inputSchema: JSONValue?
    var outputSpec: JSONValue?
    var config: JSONValue?
    var author: String?
    var tags: [String]
    var iconUrl: String?
    var downloads: Int
    var source: String
    var createdAt: Date
    var updatedAt: Date
}

extension TemplateView {
    init(_ stored: StoredTemplate) {
        self.init(
            id: stored.id, code: stored.code, name: stored.name, description: stored.description, category: stored.category, type: stored.type,
            execMode: stored.execMode, execConfig: stored.execConfig, inputSchema: stored.inputSchema, outputSpec: stored.outputSpec, config: stored.config,
            author: stored.author, tags: stored.tags, iconUrl: nil, downloads: stored.downloads, source: "mcp", createdAt: stored.createdAt,
            updatedAt: stored.updatedAt)
    }
}

struct TemplateList: Codable, Sendable, ResponseEncodable {
    var items: [TemplateView]
    var total: Int
}

struct TemplateQuery: QueryInput {
    var paging: PageRequest
    var category: OperatorCategory?
    var type: String?
    var execMode: ExecMode?
    var tags: String?
    var keyword: String?
    static let parameterDocs: [String: QueryParameterDoc] = [
        "type": .init("Only templates of this type", maxLength: 100),
        "tags": .init("Comma-separated tags; templates carrying any of them", maxLength: 500),
        "keyword": .init("Words in the code, name or description", maxLength: 200),
    ]
}

/// `POST /operators/templates/install`: GoyaVision's body, plus optional `exec_config` (merged
/// over the template's, e.g. the endpoint of the HTTP template), `description` and `visibility`.
struct TemplateInstallInput: Codable, Sendable {
    var templateId: UUID
    var operatorCode: String
    var operatorName: String
    var tags: [String]?
    var description: String?
    var execConfig: JSONValue?
    var visibility: VisibilityInput?
    var visibleRoleIds: [UUID]?
}

/// The templates that ship with the platform (`Resources/templates.json`): the media toolkit's
/// pipelines, an HTTP template and an AI-model prompt template.
enum TemplateCatalog {
    struct File: Decodable {
        struct Entry: Decodable {
            var id: UUID
            var code: String
            var name: String
            var description: String
            var category: OperatorCategory
            var type: String
            var execMode: ExecMode
            var execConfig: JSONValue
            var inputSchema: JSONValue?
            var outputSpec: JSONValue?
            var config: JSONValue
            var author: String?
            var tags: [String]
            var iconUrl: String?
        }

        var createdAt: Date
        var templates: [Entry]
    }

    static let builtin: [TemplateView] = {
        guard let url = Bundle.module.url(forResource: "templates", withExtension: "json"), let data = try? Data(contentsOf: url),
            let file = try? PlatformJSON.makeDecoder().decode(File.self, from: data)
        else { preconditionFailure("Resources/templates.json is missing or malformed") }
        return file.templates.map { entry in
            TemplateView(
                id: entry.id, code: entry.code, name: entry.name, description: entry.description, category: entry.category, type: entry.type,
                execMode: entry.execMode, execConfig: entry.execConfig, inputSchema: entry.inputSchema, outputSpec: entry.outputSpec, config: entry.config,
                author: entry.author, tags: entry.tags, iconUrl: entry.iconUrl, downloads: 0, source: "builtin", createdAt: file.createdAt,
                updatedAt: file.createdAt)
        }
    }()
}

extension APIError {
    static var templateNotFound: APIError { .notFound("Operator template", code: "OPERATOR_TEMPLATE_NOT_FOUND") }
}
