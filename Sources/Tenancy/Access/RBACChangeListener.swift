import Logging
import PlatformDatabase
import PlatformSupport
import PostgresNIO
import ServiceLifecycle

/// Listens for RBAC changes made by any instance and clears this instance's cache. While the
/// connection is down the cache is cleared too (a change may have been missed).
public struct RBACChangeListener: Service {
    let database: Database
    let cache: RBACCache
    let logger: Logger

    public init(database: Database, cache: RBACCache, logger: Logger) {
        self.database = database
        self.cache = cache
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await database.withDedicatedConnection { connection in
                        try await connection.listen(on: AccessStore.changeChannel) { notifications in
                            cache.invalidateAll()
                            for try await _ in notifications {
                                cache.invalidateAll()
                            }
                        }
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("RBAC change listener lost its connection; retrying", metadata: ["error": "\(String(reflecting: type(of: error)))"])
                }
                cache.invalidateAll()
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
