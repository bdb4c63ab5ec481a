import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformSupport

enum AlgorithmStatus: String, Codable, Sendable, SchemaEnum, CaseIterable { case draft, published, deprecated }
enum AlgorithmVersionStatus: String, Codable, Sendable, SchemaEnum, CaseIterable { case draft, tested, published, archived }
enum SelectionPolicy: String, Codable, Sendable, SchemaEnum, CaseIterable {
    case stable
    case highQuality = "high_quality"
    case lowCost = "low_cost"
}
enum ImplementationType: String, Codable, Sendable, SchemaEnum, CaseIterable {
    case operatorVersion = "operator_version"
    case mcpTool = "mcp_tool"
    case aiChain = "ai_chain"
}

/// One way to carry out an algorithm: an operator version (`binding_ref` its id), an MCP tool
/// (`<server_id>/<tool_name>`) or an AI chain (`binding_ref` a model name; `config.prompt_template`).
struct Implementation: Codable, Sendable, Equatable {
    var id: UUID
    var name: String
    var type: ImplementationType
    var bindingRef: String
    var config: JSONValue
    var latencyMs: Int
    var costScore: Double
    var qualityScore: Double
    var tier: String
    var isDefault: Bool
}

struct Evaluation: Codable, Sendable, Equatable {
    var id: UUID
    var datasetRef: String
    var metrics: [String: Double]
    var reportArtifactId: UUID?
    var summary: String?
}

struct StoredAlgorithm: Decodable, Sendable {
    var id: UUID
    var ownerId: UUID?
    var visibility: RowVisibility
    var visibleRoleIds: [UUID]
    var code: String
    var name: String
    var description: String
    var scenario: String
    var status: AlgorithmStatus
    var tags: [String]
    var createdAt: Date
    var updatedAt: Date
}

struct StoredAlgorithmVersion: Decodable, Sendable {
    var id: UUID
    var algorithmId: UUID
    var version: String
    var status: AlgorithmVersionStatus
    var selectionPolicy: SelectionPolicy
    var implementations: [Implementation]
    var evaluations: [Evaluation]
    var publishedAt: Date?
    var createdAt: Date
    var updatedAt: Date
}

struct AlgorithmVersionView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var algorithmId: UUID
    var version: String
    var status: AlgorithmVersionStatus
    var selectionPolicy: SelectionPolicy
    /// The implementation the policy picks now.
    var defaultImplementation: Implementation?
    var implementations: [Implementation]
    var evaluations: [Evaluation]
    var publishedAt: Date?
    var createdAt: Date
    var updatedAt: Date

    init(_ stored: StoredAlgorithmVersion) {
        id = stored.id
        algorithmId = stored.algorithmId
        version = stored.version
        status = stored.status
        selectionPolicy = stored.selectionPolicy
        defaultImplementation = AlgorithmResolution.pick(stored.implementations, policy: stored.selectionPolicy)
        implementations = stored.implementations
        evaluations = stored.evaluations
        publishedAt = stored.publishedAt
        createdAt = stored.createdAt
        updatedAt = stored.updatedAt
    }
}

/// GoyaVision's AlgorithmResponse (integer `visibility`), with its versions.
struct AlgorithmView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var code: String
    var name: String
    var description: String
    var scenario: String
    var status: AlgorithmStatus
    var tags: [String]
    var visibility: Int
    var visibleRoleIds: [UUID]
    var versions: [AlgorithmVersionView]
    var createdAt: Date
    var updatedAt: Date

    init(_ stored: StoredAlgorithm, versions: [StoredAlgorithmVersion]) {
        id = stored.id
        code = stored.code
        name = stored.name
        description = stored.description
        scenario = stored.scenario
        status = stored.status
        tags = stored.tags
        visibility = VisibilityInput.integer(stored.visibility)
        visibleRoleIds = stored.visibleRoleIds
        self.versions = versions.map(AlgorithmVersionView.init)
        createdAt = stored.createdAt
        updatedAt = stored.updatedAt
    }
}

struct AlgorithmList: Codable, Sendable, ResponseEncodable {
    var items: [AlgorithmView]
    var total: Int
}

struct ImplementationInput: Codable, Sendable {
    var bindingRef: String
    var name: String?
    var type: ImplementationType?
    var config: JSONValue?
    var latencyMs: Int?
    var costScore: Double?
    var qualityScore: Double?
    var tier: String?
    var isDefault: Bool?
}

struct EvaluationInput: Codable, Sendable {
    var datasetRef: String
    var metrics: [String: Double]?
    var reportArtifactId: UUID?
    var summary: String?
}

struct AlgorithmVersionInput: Codable, Sendable {
    var version: String
    var status: AlgorithmVersionStatus?
    var selectionPolicy: SelectionPolicy?
    var implementations: [ImplementationInput]?
    var evaluations: [EvaluationInput]?
}

struct AlgorithmInput: Codable, Sendable {
    var code: String?
    var name: String?
    var description: String?
    var scenario: String?
    var status: AlgorithmStatus?
    var tags: [String]?
    var visibility: VisibilityInput?
    var visibleRoleIds: [UUID]?
    var initialVersion: AlgorithmVersionInput?
}

struct AlgorithmFields: Sendable {
    var code: String
    var name: String
    var description: String
    var scenario: String
    var status: AlgorithmStatus
    var tags: [String]
    var visibility: RowVisibility
    var visibleRoleIds: [UUID]
}

struct AlgorithmQuery: QueryInput {
    var paging: PageRequest
    var status: AlgorithmStatus?
    var scenario: String?
    var tags: String?
    var keyword: String?
    static let parameterDocs: [String: QueryParameterDoc] = [
        "scenario": .init("Only algorithms of this scenario", maxLength: 200),
        "tags": .init("Comma-separated tags; algorithms carrying any of them", maxLength: 500),
        "keyword": .init("Words in the code, name or description", maxLength: 200),
    ]
}

/// Which implementation a policy picks: `stable` the default one (else the lowest tier, then
/// the fastest), `high_quality` the best quality score, `low_cost` the lowest cost score.
enum AlgorithmResolution {
    static func pick(_ implementations: [Implementation], policy: SelectionPolicy) -> Implementation? {
        switch policy {
        case .stable:
            return implementations.first(where: \.isDefault) ?? implementations.min { ($0.tier, $0.latencyMs) < ($1.tier, $1.latencyMs) }
        case .highQuality:
            return implementations.max { ($0.qualityScore, -$0.latencyMs) < ($1.qualityScore, -$1.latencyMs) }
        case .lowCost:
            return implementations.min { ($0.costScore, -$0.qualityScore) < ($1.costScore, -$1.qualityScore) }
        }
    }
}

extension APIError {
    static var algorithmNotFound: APIError { .notFound("Algorithm", code: "ALGORITHM_NOT_FOUND") }
    static var algorithmVersionNotFound: APIError { .notFound("Algorithm version", code: "ALGORITHM_VERSION_NOT_FOUND") }
    static var algorithmCodeTaken: APIError { .conflict("An algorithm with that code exists in this tenant", code: "ALGORITHM_EXISTS") }
    static var algorithmVersionTaken: APIError { .conflict("The algorithm already has that version", code: "ALGORITHM_VERSION_EXISTS") }
    static var algorithmUnbound: APIError {
        .conflict("Publishing needs at least one implementation whose binding exists", code: "ALGORITHM_UNBOUND")
    }
}
