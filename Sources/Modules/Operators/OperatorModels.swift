import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

enum OperatorCategory: String, Codable, Sendable, SchemaEnum, CaseIterable { case analysis, processing, generation, utility }
enum OperatorOrigin: String, Codable, Sendable, SchemaEnum, CaseIterable { case builtin, custom, marketplace, mcp }
enum OperatorStatus: String, Codable, Sendable, SchemaEnum, CaseIterable { case draft, testing, published, deprecated }
enum ExecMode: String, Codable, Sendable, SchemaEnum, CaseIterable {
    case http, cli, mcp, builtin
    case aiModel = "ai_model"
}

struct StoredOperator: Decodable, Sendable {
    var id: UUID
    var ownerId: UUID?
    var visibility: RowVisibility
    var visibleRoleIds: [UUID]
    var code: String
    var name: String
    var description: String
    var category: OperatorCategory
    var type: String
    var origin: OperatorOrigin
    var execMode: ExecMode
    var status: OperatorStatus
    var tags: [String]
    var activeVersionId: UUID?
    var templateId: UUID?
    var createdAt: Date
    var updatedAt: Date
}

/// GoyaVision's OperatorResponse: the operator, its active version, and the fields GoyaVision
/// keeps for older clients (`version`, `endpoint`, `method`, `input_schema`, `output_spec`,
/// `config`, `is_builtin`) filled from the active version. `visibility` is GoyaVision's integer.
struct OperatorView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var code: String
    var name: String
    var description: String
    var category: OperatorCategory
    var type: String
    var origin: OperatorOrigin
    var activeVersionId: UUID?
    var execMode: ExecMode
    var activeVersion: VersionView?
    var version: String
    var endpoint: String
    var method: String
    var inputSchema: JSONValue?
    var outputSpec: JSONValue?
    var config: JSONValue?
    var status: OperatorStatus
    var isBuiltin: Bool
    var tags: [String]
    var visibility: Int
    var visibleRoleIds: [UUID]
    var templateId: UUID?
    var createdAt: Date
    var updatedAt: Date

    init(_ stored: StoredOperator, active: StoredVersion?) {
        id = stored.id
        code = stored.code
        name = stored.name
        description = stored.description
        category = stored.category
        type = stored.type
        origin = stored.origin
        activeVersionId = stored.activeVersionId
        execMode = stored.execMode
        activeVersion = active.map(VersionView.init)
        version = active?.version ?? ""
        endpoint = active?.execConfig["http"]?["endpoint"]?.stringValue ?? ""
        method = active?.execConfig["http"]?["method"]?.stringValue ?? ""
        inputSchema = active?.inputSchema
        outputSpec = active?.outputSpec
        config = active?.config
        status = stored.status
        isBuiltin = stored.origin == .builtin
        tags = stored.tags
        visibility = VisibilityInput.integer(stored.visibility)
        visibleRoleIds = stored.visibleRoleIds
        templateId = stored.templateId
        createdAt = stored.createdAt
        updatedAt = stored.updatedAt
    }
}

struct OperatorList: Codable, Sendable, ResponseEncodable {
    var items: [OperatorView]
    var total: Int
}

/// `POST /operators`: GoyaVision's create body. Execution fields (`exec_mode`, `exec_config`,
/// `endpoint`/`method`, schemas, `config`) make the first version (`version`, default 1.0.0),
/// active at once.
struct OperatorCreateInput: Codable, Sendable {
    var code: String?
    var name: String?
    var description: String?
    var category: OperatorCategory?
    var type: String?
    var origin: OperatorOrigin?
    var execMode: ExecMode?
    var execConfig: JSONValue?
    var version: String?
    var endpoint: String?
    var method: String?
    var inputSchema: JSONValue?
    var outputSpec: JSONValue?
    var config: JSONValue?
    var status: OperatorStatus?
    var isBuiltin: Bool?
    var tags: [String]?
    var visibility: VisibilityInput?
    var visibleRoleIds: [UUID]?
}

struct OperatorUpdateInput: Codable, Sendable {
    var name: String?
    var description: String?
    var category: OperatorCategory?
    var type: String?
    var tags: [String]?
    var visibility: VisibilityInput?
    var visibleRoleIds: [UUID]?
}

/// The checked columns of an operator.
struct OperatorFields: Sendable {
    var code: String
    var name: String
    var description: String
    var category: OperatorCategory
    var type: String
    var origin: OperatorOrigin
    var execMode: ExecMode
    var status: OperatorStatus
    var tags: [String]
    var visibility: RowVisibility
    var visibleRoleIds: [UUID]
    var templateId: UUID? = nil
}

struct OperatorQuery: QueryInput {
    var paging: PageRequest
    var category: OperatorCategory?
    var type: String?
    var status: OperatorStatus?
    var origin: OperatorOrigin?
    var execMode: ExecMode?
    var isBuiltin: Bool?
    var tags: String?
    var keyword: String?
    static let parameterDocs: [String: QueryParameterDoc] = [
        "type": .init("Only operators of this type", maxLength: 100),
        "tags": .init("Comma-separated tags; operators carrying any of them", maxLength: 500),
        "keyword": .init("Words in the code, name or description", maxLength: 200),
    ]
}

enum OperatorRules {
    static func tagProblems(_ tags: [String]?, into problems: inout [String: String]) {
        if let tags, tags.count > 50 || tags.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty || $0.count > 60 }) {
            problems["tags"] = "at most 50 tags of 1-60 characters"
        }
    }

    static func codeProblem(_ code: String?) -> String? {
        guard let code else { return "is required" }
        return code.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9_.-]{0,99}/) == nil
            ? "must be 1-100 letters, digits or _ . - (starting with a letter or digit)" : nil
    }

    static func nameProblem(_ name: String?) -> String? {
        guard let name else { return "is required" }
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty || trimmed.count > 200 ? "must be 1-200 characters" : nil
    }

    static func typeProblem(_ type: String?) -> String? {
        guard let type else { return "is required" }
        return type.isEmpty || type.count > 100 ? "must be 1-100 characters" : nil
    }

    /// Tags from a comma-separated query value.
    static func tags(_ text: String?) -> [String]? {
        guard let text else { return nil }
        let tags = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return tags.isEmpty ? nil : tags
    }
}

extension APIError {
    static var operatorNotFound: APIError { .notFound("Operator", code: "OPERATOR_NOT_FOUND") }
    static var operatorCodeTaken: APIError { .conflict("An operator with that code exists in this tenant", code: "OPERATOR_EXISTS") }
    static var builtinOperator: APIError { .badRequest("Built-in operators cannot be deleted", code: "OPERATOR_BUILTIN") }
    static var operatorHasNoActiveVersion: APIError {
        .conflict("The operator has no active version", code: "OPERATOR_NO_ACTIVE_VERSION")
    }
    static var operatorUntested: APIError {
        .conflict("Publishing needs an active version that passed a test (POST /operators/{id}/test)", code: "OPERATOR_UNTESTED")
    }
    static func operatorStatus(_ message: String) -> APIError { .conflict(message, code: "INVALID_STATUS_TRANSITION") }
}
