import Foundation
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import Providers

/// Chat (conversations per user and tenant, plain or streamed), the model catalog, the Ollama
/// routes and the AI models a tenant registers (GoyaVision).
public struct ChatModule: Sendable {
    let database: Database
    let providers: ProviderRegistry
    let directory: AIModelDirectory

    /// - Parameter directory: the same directory the provider registry resolves registered models with.
    public init(database: Database, providers: ProviderRegistry, directory: AIModelDirectory) {
        self.database = database
        self.providers = providers
        self.directory = directory
    }

    public func register(in registry: RouteRegistry) {
        let resolver = ModelResolver(database: database, providers: providers, directory: directory)
        ChatController(database: database, service: ChatService(database: database, resolver: resolver), providers: providers)
            .register(in: registry.group("/api/v1/chat", tag: "chat"))
        CatalogController(providers: providers).register(
            models: registry.group("/api/v1/models", tag: "models"), alternate: registry.group("/api/v1/models-list", tag: "models"))
        OllamaController(database: database, providers: providers).register(in: registry.group("/api/v1/ollama", tag: "ollama"))
        AIModelController(database: database, directory: directory, providers: providers).register(in: registry.group("/api/v1/ai-models", tag: "ai-models"))
    }
}
