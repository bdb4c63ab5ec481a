import Foundation
import PlatformDatabase
import PlatformHTTP
import PlatformServices

/// Files of a tenant: streaming multipart uploads into content-addressed storage (SHA-256,
/// deduplicated per tenant), metadata, and downloads with ranges and ETags.
public struct FilesModule: Sendable {
    let database: Database
    let storage: any BlobStorage
    let limits: PlatformConfig.Files

    public init(database: Database, storage: any BlobStorage, limits: PlatformConfig.Files) {
        self.database = database
        self.storage = storage
        self.limits = limits
    }

    /// Files by id, for modules that refer to uploaded content (media assets).
    public var directory: any StoredFileDirectory { FileDirectoryStore() }

    public func register(in registry: RouteRegistry) {
        FileController(database: database, storage: storage, limits: limits).register(in: registry.group("/api/v1/files", tag: "files"))
    }
}
