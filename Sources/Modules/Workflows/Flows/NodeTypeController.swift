import FlowEngine
import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

/// The node kinds this deployment runs, as AutoMaticWorker's editor lists them.
struct NodeTypeController: Sendable {
    let registry: FlowNodeRegistry

    struct NodeTypeList: Codable, Sendable, ResponseEncodable {
        var nodeTypes: [FlowNodeDescriptor]
    }

    func register(in routes: RouteGroup) {
        routes.get("", "Every node kind: its config and output schemas and an example", .authenticated, use: list)
        routes.get("/{type_id}", "One node kind (aliases such as `action` resolve)", .authenticated, parameters: [.path("type_id")], use: get)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> NodeTypeList {
        NodeTypeList(nodeTypes: registry.descriptors)
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> FlowNodeDescriptor {
        guard let type = context.parameters.get("type_id"), let kind = registry.kind(type) else { throw APIError.nodeTypeNotFound }
        return kind.descriptor
    }
}

extension FlowNodeDescriptor: ResponseEncodable {}
