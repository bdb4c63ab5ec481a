import Foundation
import HTTPTypes
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport
import TaskEngine

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

    public func register(in registry: RouteRegistry) {
        FileController(database: database, storage: storage, limits: limits).register(in: registry)
    }
}

struct FileView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var name: String
    var contentType: String
    var size: Int64
    var sha256: String
    var description: String?
    var visibility: RowVisibility
    var ownerId: UUID?
    var metadata: JSONValue
    var downloadUrl: String
    var createdAt: Date
    var updatedAt: Date
    /// On upload: the same bytes were already stored for this tenant, so none were written.
    var deduplicated: Bool?
}

struct FileController: Sendable {
    let database: Database
    let storage: any BlobStorage
    let limits: PlatformConfig.Files

    struct UpdateFile: Codable, Sendable {
        var name: String?
        var description: String?
        var visibility: RowVisibility?
        var metadata: JSONValue?
    }

    static let columns = "id, name, content_type, size, sha256, description, visibility::text, owner_id, metadata::text, created_at, updated_at"
    typealias Row = (UUID, String, String, Int64, String, String?, String, UUID?, String, Date, Date)

    static func view(_ row: Row, deduplicated: Bool? = nil) throws -> FileView {
        FileView(
            id: row.0, name: row.1, contentType: row.2, size: row.3, sha256: row.4, description: row.5,
            visibility: RowVisibility(rawValue: row.6) ?? .private, ownerId: row.7,
            metadata: try PlatformJSON.makeDecoder().decode(JSONValue.self, from: Data(row.8.utf8)),
            downloadUrl: "/api/v1/files/\(row.0.uuidString.lowercased())/download", createdAt: row.9, updatedAt: row.10, deduplicated: deduplicated)
    }

    func register(in registry: RouteRegistry) {
        let id = RouteParameter.path("id", ["type": "string", "format": "uuid"])
        let uploadSchema: JSONValue = [
            "type": "object", "required": ["file"],
            "properties": [
                "file": ["type": "string", "format": "binary"],
                "name": ["type": "string", "maxLength": 255],
                "description": ["type": "string", "maxLength": 2000],
                "visibility": ["type": "string", "enum": ["private", "role", "tenant", "public"]],
            ],
        ]
        registry.addProtected(
            RouteDeclaration(
                .post, "/api/v1/files", summary: "Upload a file (multipart/form-data, streamed to storage)",
                description: "Part `file` holds the content (its filename is kept); optional fields `name`, `description`, `visibility`. The SHA-256 is computed on the way in; the same bytes are stored once per tenant. Larger than FILES_MAX_UPLOAD_BYTES, or past the tenant's quota: 413.",
                tag: "files", access: .permission("file:file:upload"), body: .schema(uploadSchema), bodyContentType: "multipart/form-data",
                responses: [.json(.created, FileView.self)])
        ) { request, context in try await self.upload(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/files", summary: "List files", tag: "files", access: .permission("file:file:list"),
                parameters: RouteParameter.paging + [
                    .query("search", ["type": "string"], description: "Part of the name"),
                    .query("content_type", ["type": "string"], description: "Exact type, or a prefix ending in `/` (`image/`)"),
                    .query("sha256", ["type": "string"]),
                ],
                responses: [.json(.ok, Page<FileView>.self)])
        ) { request, context in try await self.list(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/files/{id}", summary: "One file's metadata", tag: "files", access: .permission("file:file:read"),
                parameters: [id], responses: [.json(.ok, FileView.self)])
        ) { _, context in try await self.get(context) }
        registry.addProtected(
            RouteDeclaration(
                .put, "/api/v1/files/{id}", summary: "Rename a file or change its description, visibility or metadata", tag: "files",
                access: .permission("file:file:update"), parameters: [id], body: .type(UpdateFile.self), responses: [.json(.ok, FileView.self)])
        ) { request, context in try await self.update(request, context) }
        registry.addProtected(
            RouteDeclaration(
                .delete, "/api/v1/files/{id}", summary: "Delete a file", tag: "files", access: .permission("file:file:delete"),
                parameters: [id], responses: [.noContent("Deleted")])
        ) { _, context in try await self.delete(context) }
        registry.addProtected(
            RouteDeclaration(
                .get, "/api/v1/files/{id}/download", summary: "The file's bytes, with its original filename",
                description: "Supports `Range: bytes=a-b` (one range; 206 with Content-Range, 416 when unsatisfiable), `ETag` (the SHA-256) and `If-None-Match` (304).",
                tag: "files", access: .permission("file:file:download"),
                parameters: [
                    id,
                    RouteParameter("Range", in: .header, schema: ["type": "string"]),
                    RouteParameter("If-None-Match", in: .header, schema: ["type": "string"]),
                ],
                responses: [
                    RouteResponse(.ok, "The whole file", contentType: "*/*", schema: .schema(["type": "string", "format": "binary"])),
                    RouteResponse(.partialContent, "The requested range", contentType: "*/*", schema: .schema(["type": "string", "format": "binary"])),
                    RouteResponse(.notModified, "The caller's copy is current", schema: nil),
                    .error(.rangeNotSatisfiable, "The range lies outside the file"),
                ])
        ) { request, context in try await self.download(request, context) }
    }

    func fileID(_ context: AuthenticatedContext) throws -> UUID {
        try context.pathUUID(notFound: "File", code: "FILE_NOT_FOUND")
    }

    func find(_ id: UUID, _ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> Row {
        guard let row = try await tx.first(
            "SELECT \(unescaped: Self.columns) FROM files WHERE tenant_id = \(context.principal.tenantID) AND id = \(id) AND deleted_at IS NULL",
            as: Row.self)
        else { throw APIError.notFound("File", code: "FILE_NOT_FOUND") }
        return row
    }

    static func namespace(_ tenantID: UUID) -> String { tenantID.uuidString.lowercased() }

    func upload(_ request: Request, _ context: AuthenticatedContext) async throws -> EditedResponse<FileView> {
        guard let contentType = request.headers[.contentType], let boundary = MultipartReader.boundary(contentType: contentType) else {
            throw APIError(.unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE", message: "Upload with multipart/form-data (a `file` part)")
        }
        if let length = request.headers[.contentLength].flatMap(Int64.init), length > limits.maxUploadBytes + 1_048_576 {
            throw APIError(.contentTooLarge, code: "FILE_TOO_LARGE", message: "Files may be at most \(limits.maxUploadBytes) bytes")
        }
        let tenantID = context.principal.tenantID
        let namespace = Self.namespace(tenantID)
        // Stored bytes count once per distinct content.
        let usage: Int64? = try await database.withTenant(context.tenant) { tx in
            try await tx.first(
                "SELECT coalesce(sum(size), 0)::int8 FROM (SELECT DISTINCT sha256, size FROM files WHERE tenant_id = \(tenantID) AND deleted_at IS NULL) d",
                as: Int64.self)
        }
        let used = usage ?? 0
        let room = limits.tenantQuotaBytes - used
        guard room > 0 else { throw Self.quotaExceeded(limits.tenantQuotaBytes) }
        let allowed = min(limits.maxUploadBytes, room)
        var reader = MultipartReader(body: request.body, boundary: boundary)
        var fields: [String: String] = [:]
        var stored: StoredBlob?
        var filename: String?
        var partType: String?
        do {
            while let part = try await reader.nextPart() {
                if part.name == "file" && part.filename != nil || part.name == "file" && stored == nil && part.contentType != nil {
                    guard stored == nil else { throw APIError.validation(["file": "send one file per upload"]) }
                    filename = part.filename
                    partType = part.contentType
                    stored = try await storage.store(namespace: namespace, maxBytes: allowed) { try await reader.nextChunk() }
                } else if part.name == "file" {
                    guard stored == nil else { throw APIError.validation(["file": "send one file per upload"]) }
                    stored = try await storage.store(namespace: namespace, maxBytes: allowed) { try await reader.nextChunk() }
                } else {
                    fields[part.name] = try await reader.text(limit: 4096)
                }
            }
        } catch let tooLarge as BlobTooLarge {
            if tooLarge.limit < limits.maxUploadBytes { throw Self.quotaExceeded(limits.tenantQuotaBytes) }
            throw APIError(.contentTooLarge, code: "FILE_TOO_LARGE", message: "Files may be at most \(limits.maxUploadBytes) bytes")
        } catch let malformed as MultipartReader.Malformed {
            throw APIError.badRequest("The multipart body could not be read: \(malformed.reason)", code: "INVALID_MULTIPART")
        }
        guard let blob = stored else { throw APIError.validation(["file": "is required (a part named `file`)"]) }
        var problems: [String: String] = [:]
        let name = (fields["name"] ?? filename ?? "upload").trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty || name.count > 255 || name.contains("/") || name.contains("\0") { problems["name"] = "must be 1-255 characters without / or NUL" }
        if let description = fields["description"], description.count > 2000 { problems["description"] = "must be at most 2000 characters" }
        let visibility = fields["visibility"].map { RowVisibility(rawValue: $0) } ?? .private
        if visibility == nil { problems["visibility"] = "must be private, role, tenant or public" }
        let type = Self.mediaType(partType, name: name)
        if !problems.isEmpty { throw APIError.validation(problems) }
        let id = UUID.v7()
        let row = try await database.withTenant(context.tenant) { tx in
            try await tx.first(
                """
                INSERT INTO files (tenant_id, id, owner_id, visibility, name, content_type, size, sha256, description)
                VALUES (\(tenantID), \(id), \(context.principal.userID), \((visibility ?? .private).rawValue)::visibility, \(name), \(type),
                        \(blob.size), \(blob.sha256), \(fields["description"]))
                RETURNING \(unescaped: Self.columns)
                """, as: Row.self)
        }
        guard let row else { throw APIError.internalError }
        return EditedResponse(status: .created, response: try Self.view(row, deduplicated: blob.deduplicated))
    }

    static func quotaExceeded(_ quota: Int64) -> APIError {
        APIError(.contentTooLarge, code: "STORAGE_QUOTA_EXCEEDED", message: "The tenant's storage quota of \(quota) bytes is used up")
    }

    /// The part's declared type when it is a plausible media type, else application/octet-stream.
    static func mediaType(_ declared: String?, name: String) -> String {
        if let declared = declared?.trimmingCharacters(in: .whitespaces),
            declared.count <= 200, declared.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*( *;.*)?/) != nil
        {
            return declared
        }
        return "application/octet-stream"
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<FileView> {
        let page = try PageRequest(request: request)
        let query = request.uri.queryParameters
        let search = query["search"].map { "%" + String($0).replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%" }
        let type = query["content_type"].map(String.init)
        let typePrefix = type.flatMap { $0.hasSuffix("/") ? $0 : nil }
        let exactType = type.flatMap { $0.hasSuffix("/") ? nil : $0 }
        let sha = query["sha256"].map { String($0).lowercased() }
        let tenantID = context.principal.tenantID
        return try await database.withTenant(context.tenant) { tx in
            let total = try await tx.first(
                """
                SELECT count(*)::int FROM files WHERE tenant_id = \(tenantID) AND deleted_at IS NULL
                  AND (\(search)::text IS NULL OR name ILIKE \(search)) AND (\(exactType)::text IS NULL OR content_type = \(exactType))
                  AND (\(typePrefix)::text IS NULL OR starts_with(content_type, \(typePrefix))) AND (\(sha)::text IS NULL OR sha256 = \(sha))
                """, as: Int.self) ?? 0
            let rows = try await tx.all(
                """
                SELECT \(unescaped: Self.columns) FROM files WHERE tenant_id = \(tenantID) AND deleted_at IS NULL
                  AND (\(search)::text IS NULL OR name ILIKE \(search)) AND (\(exactType)::text IS NULL OR content_type = \(exactType))
                  AND (\(typePrefix)::text IS NULL OR starts_with(content_type, \(typePrefix))) AND (\(sha)::text IS NULL OR sha256 = \(sha))
                ORDER BY id DESC LIMIT \(page.limit) OFFSET \(page.offset)
                """, as: Row.self)
            return Page(items: try rows.map { try Self.view($0) }, total: total, request: page)
        }
    }

    func get(_ context: AuthenticatedContext) async throws -> FileView {
        let id = try fileID(context)
        return try Self.view(try await database.withTenant(context.tenant) { tx in try await find(id, context, in: tx) })
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> FileView {
        let id = try fileID(context)
        let body = try await request.decode(as: UpdateFile.self, context: context)
        var problems: [String: String] = [:]
        if let name = body.name, name.isEmpty || name.count > 255 || name.contains("/") || name.contains("\0") { problems["name"] = "must be 1-255 characters without / or NUL" }
        if let description = body.description, description.count > 2000 { problems["description"] = "must be at most 2000 characters" }
        if let metadata = body.metadata, case .object = metadata {} else if body.metadata != nil { problems["metadata"] = "must be an object" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        let tenantID = context.principal.tenantID
        return try Self.view(try await database.withTenant(context.tenant) { tx in
            _ = try await find(id, context, in: tx)
            guard let row = try await tx.first(
                """
                UPDATE files SET name = coalesce(\(body.name), name), description = coalesce(\(body.description), description),
                       visibility = coalesce(\(body.visibility?.rawValue)::visibility, visibility),
                       metadata = coalesce(\(try PlatformJSON.text(body.metadata))::jsonb, metadata), updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(id) RETURNING \(unescaped: Self.columns)
                """, as: Row.self)
            else { throw APIError.notFound("File", code: "FILE_NOT_FOUND") }
            return row
        })
    }

    func delete(_ context: AuthenticatedContext) async throws -> Response {
        let id = try fileID(context)
        let tenantID = context.principal.tenantID
        try await database.withTenant(context.tenant) { tx in
            _ = try await find(id, context, in: tx)
            try await tx.query("UPDATE files SET deleted_at = now(), updated_at = now() WHERE tenant_id = \(tenantID) AND id = \(id)")
        }
        return Response(status: .noContent)
    }

    /// One `bytes=` range of a file of `size` bytes: nil for none or several (the whole file
    /// is served), or throws 416 when it cannot be satisfied.
    static func range(_ header: String?, size: Int64) throws -> ClosedRange<Int64>? {
        guard let header = header?.trimmingCharacters(in: .whitespaces), header.lowercased().hasPrefix("bytes=") else { return nil }
        let spec = header.dropFirst("bytes=".count)
        guard !spec.contains(",") else { return nil }
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else { return nil }
        let unsatisfiable = APIError(.rangeNotSatisfiable, code: "RANGE_NOT_SATISFIABLE", message: "The file has \(size) bytes")
        if parts[0].isEmpty {
            guard let suffix = Int64(parts[1]), suffix > 0 else { throw unsatisfiable }
            guard size > 0 else { throw unsatisfiable }
            return max(0, size - suffix)...(size - 1)
        }
        guard let start = Int64(parts[0]), start >= 0 else { return nil }
        guard start < size else { throw unsatisfiable }
        if parts[1].isEmpty { return start...(size - 1) }
        guard let end = Int64(parts[1]), end >= start else { return nil }
        return start...min(end, size - 1)
    }

    /// `attachment; filename="..."; filename*=UTF-8''...` (RFC 6266).
    static func disposition(_ name: String) -> String {
        let ascii = String(name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" ? Character($0) : "_" })
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ascii
        return "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"
    }

    func download(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let id = try fileID(context)
        let row = try await database.withTenant(context.tenant) { tx in try await find(id, context, in: tx) }
        let (size, sha, name, type) = (row.3, row.4, row.1, row.2)
        let etag = "\"\(sha)\""
        var headers: HTTPFields = [.eTag: etag, .acceptRanges: "bytes", .contentDisposition: Self.disposition(name), .cacheControl: "private, max-age=0"]
        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag || $0.trimmingCharacters(in: .whitespaces) == "*" }) {
            return Response(status: .notModified, headers: headers)
        }
        let range: ClosedRange<Int64>?
        do {
            range = try Self.range(request.headers[.range], size: size)
        } catch let error as APIError {
            var failed = error
            failed.headers = [.contentRange: "bytes */\(size)"]
            throw failed
        }
        headers[.contentType] = type
        let body = try await storage.read(namespace: Self.namespace(context.principal.tenantID), sha256: sha, range: range)
        if let range {
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
            headers[.contentLength] = String(range.count)
            return Response(status: .partialContent, headers: headers, body: body)
        }
        headers[.contentLength] = String(size)
        return Response(status: .ok, headers: headers, body: body)
    }
}
