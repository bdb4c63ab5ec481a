import Foundation
import Hummingbird
import PlatformHTTP
import PlatformServices
import PlatformSupport

/// A project type as stored (and as `ProjectTypeStore.columns` reads it).
struct StoredProjectType: Decodable, Sendable {
    var id: UUID
    var code: String
    var name: String
    var description: String?
    var inspirationWorkflowId: UUID?
    var transformWorkflowId: UUID?
    var executionWorkflowId: UUID?
    var defaultParameters: JSONValue
    var parameterSchema: JSONValue?
    var category: String?
    var sortOrder: Int
    var isActive: Bool
    var createdAt: Date
    var updatedAt: Date
}

/// The seed's `ProjectType`: every field, null ones written as null.
struct ProjectTypeView: Codable, Sendable, ResponseEncodable {
    var code: String
    var name: String
    var description: String?
    var inspirationWorkflowId: UUID?
    var transformWorkflowId: UUID?
    var executionWorkflowId: UUID?
    var defaultParameters: JSONValue
    var parameterSchema: JSONValue?
    var category: String?
    var sortOrder: Int
    var isActive: Bool
    var createdAt: Date
    var updatedAt: Date

    init(_ stored: StoredProjectType) {
        code = stored.code
        name = stored.name
        description = stored.description
        inspirationWorkflowId = stored.inspirationWorkflowId
        transformWorkflowId = stored.transformWorkflowId
        executionWorkflowId = stored.executionWorkflowId
        defaultParameters = stored.defaultParameters
        parameterSchema = stored.parameterSchema
        category = stored.category
        sortOrder = stored.sortOrder
        isActive = stored.isActive
        createdAt = stored.createdAt
        updatedAt = stored.updatedAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(name, forKey: .name)
        try container.encode(description, forKey: .description)
        try container.encode(inspirationWorkflowId, forKey: .inspirationWorkflowId)
        try container.encode(transformWorkflowId, forKey: .transformWorkflowId)
        try container.encode(executionWorkflowId, forKey: .executionWorkflowId)
        try container.encode(defaultParameters, forKey: .defaultParameters)
        try container.encode(parameterSchema, forKey: .parameterSchema)
        try container.encode(category, forKey: .category)
        try container.encode(sortOrder, forKey: .sortOrder)
        try container.encode(isActive, forKey: .isActive)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

/// `GET /{code}`: the type with its three registry entries resolved (null when unset or gone).
struct ProjectTypeDetail: Codable, Sendable, ResponseEncodable {
    var type: ProjectTypeView
    var inspirationWorkflow: RegisteredWorkflow?
    var transformWorkflow: RegisteredWorkflow?
    var executionWorkflow: RegisteredWorkflow?

    enum CodingKeys: String, CodingKey { case inspirationWorkflow, transformWorkflow, executionWorkflow }

    init(type: ProjectTypeView, inspirationWorkflow: RegisteredWorkflow?, transformWorkflow: RegisteredWorkflow?, executionWorkflow: RegisteredWorkflow?) {
        self.type = type
        self.inspirationWorkflow = inspirationWorkflow
        self.transformWorkflow = transformWorkflow
        self.executionWorkflow = executionWorkflow
    }

    init(from decoder: any Decoder) throws {
        type = try ProjectTypeView(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        inspirationWorkflow = try container.decodeIfPresent(RegisteredWorkflow.self, forKey: .inspirationWorkflow)
        transformWorkflow = try container.decodeIfPresent(RegisteredWorkflow.self, forKey: .transformWorkflow)
        executionWorkflow = try container.decodeIfPresent(RegisteredWorkflow.self, forKey: .executionWorkflow)
    }

    func encode(to encoder: any Encoder) throws {
        try type.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(inspirationWorkflow, forKey: .inspirationWorkflow)
        try container.encode(transformWorkflow, forKey: .transformWorkflow)
        try container.encode(executionWorkflow, forKey: .executionWorkflow)
    }
}

/// The seed's shorter list item.
struct ProjectTypeSummary: Codable, Sendable {
    var code: String
    var name: String
    var description: String?
    var category: String?
    var sortOrder: Int
    var isActive: Bool
    var createdAt: Date

    init(_ stored: StoredProjectType) {
        code = stored.code
        name = stored.name
        description = stored.description
        category = stored.category
        sortOrder = stored.sortOrder
        isActive = stored.isActive
        createdAt = stored.createdAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(name, forKey: .name)
        try container.encode(description, forKey: .description)
        try container.encode(category, forKey: .category)
        try container.encode(sortOrder, forKey: .sortOrder)
        try container.encode(isActive, forKey: .isActive)
        try container.encode(createdAt, forKey: .createdAt)
    }
}

/// `ProjectTypeCreate` / `ProjectTypeUpdate`. On update a missing field keeps its value; an
/// empty string clears a workflow id or the category. Workflow ids are text so that a bad one
/// is named in the 422.
struct ProjectTypeInput: Codable, Sendable {
    var code: String?
    var name: String?
    var description: String?
    var inspirationWorkflowId: String?
    var transformWorkflowId: String?
    var executionWorkflowId: String?
    var defaultParameters: JSONValue?
    var parameterSchema: JSONValue?
    var category: String?
    var sortOrder: Int?
    var isActive: Bool?
}

/// A workflow reference of an input: unchanged (nil), cleared, or set.
enum WorkflowReference: Sendable, Equatable {
    case clear
    case set(UUID)

    var id: UUID? {
        if case .set(let id) = self { return id }
        return nil
    }
}

/// A checked input.
struct ProjectTypeFields: Sendable {
    var code: String?
    var name: String?
    var description: String?
    var inspiration: WorkflowReference?
    var transform: WorkflowReference?
    var execution: WorkflowReference?
    var defaultParameters: JSONValue?
    var parameterSchema: JSONValue?
    var category: String?
    var clearCategory = false
    var sortOrder: Int?
    var isActive: Bool?
}

struct ProjectTypeListQuery: QueryInput {
    var skip: Int?
    var limit: Int?
    var category: String?
    var isActive: Bool?
    static let parameterDocs: [String: QueryParameterDoc] = SeedPaging.docs.merging([
        "category": .init("Only types of this category", maxLength: 100),
        "is_active": .init("Only active (true) or inactive (false) types"),
    ]) { _, new in new }
}

struct SortOrderQuery: QueryInput {
    var sortOrder: Int
    static let parameterDocs: [String: QueryParameterDoc] = [
        "sort_order": .init("The new position (lower first)", minimum: -1_000_000, maximum: 1_000_000),
    ]
}

extension APIError {
    static var projectTypeNotFound: APIError { .notFound("Project type", code: "PROJECT_TYPE_NOT_FOUND") }
    static var projectTypeExists: APIError {
        APIError(.conflict, code: "PROJECT_TYPE_EXISTS", message: "A project type with this code exists", hint: "Choose another code, or change the existing type")
    }
}
