import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport
import Providers

struct ModelPricing: Codable, Sendable {
    var inputPerMillion: Double?
    var outputPerMillion: Double?
    var currency: String
}

/// A catalog entry as answered: no credential, no URL.
struct CatalogModel: Codable, Sendable, ResponseEncodable {
    /// `provider/name`.
    var id: String
    var name: String
    var provider: String
    var contextWindow: Int?
    var pricing: ModelPricing?
    /// Reported by its provider now (configured entries a provider does not report are false).
    var available: Bool

    init(_ info: ModelInfo) {
        id = "\(info.provider)/\(info.name)"
        name = info.name
        provider = info.provider
        contextWindow = info.contextWindow
        pricing = info.inputPricePerMillion == nil && info.outputPricePerMillion == nil
            ? nil : ModelPricing(inputPerMillion: info.inputPricePerMillion, outputPerMillion: info.outputPricePerMillion, currency: "USD")
        available = info.available
    }
}

struct CatalogList: Codable, Sendable, ResponseEncodable {
    var models: [CatalogModel]
    var total: Int
}

/// `/api/v1/models`, `/api/v1/models-list` (public, as the seed has them): the configured catalog
/// merged with what the providers report.
struct CatalogController: Sendable {
    let providers: ProviderRegistry

    func register(models: RouteGroup, alternate: RouteGroup) {
        let name = [RouteParameter.path("model_name", ["type": "string", "minLength": 1, "maxLength": 200])]
        models.get("", "The model catalog", .public, use: list)
        models.get("/list", "The model catalog (alias)", .public, use: list)
        models.get("/{model_name}", "One model of the catalog (by name or provider/name)", .public, parameters: name, responses: [.error(.notFound, "No such model")], use: get)
        models.get("/{model_name}/info", "One model of the catalog (alias)", .public, parameters: name, responses: [.error(.notFound, "No such model")], use: get)
        alternate.get("", "The model catalog (alias)", .public, use: list)
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> CatalogList {
        let models = await providers.catalog().map(CatalogModel.init)
        return CatalogList(models: models, total: models.count)
    }

    func get(_ request: Request, _ context: AppRequestContext) async throws -> CatalogModel {
        guard let raw = context.parameters.get("model_name") else { throw APIError.modelNotFound }
        let wanted = raw.removingPercentEncoding ?? raw
        let models = await providers.catalog().map(CatalogModel.init)
        // Available entries first, so a name two providers share finds the one that answers.
        guard let model = models.first(where: { $0.id == wanted }) ?? models.sorted(by: { $0.available && !$1.available }).first(where: { $0.name == wanted })
        else { throw APIError.modelNotFound }
        return model
    }
}
