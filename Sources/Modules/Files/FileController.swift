import Foundation
import HTTPTypes
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport

/// Uploads (streamed multipart into content-addressed storage), metadata, and downloads with
/// ranges and ETags.
struct FileController: Sendable {
    let database: Database
    let storage: any BlobStorage
    let limits: PlatformConfig.Files
    let store = FileStore()

    static let binary = SchemaSource.schema(["type": "string", "format": "binary"])

    func register(in routes: RouteGroup) {
        routes.post(
            "", "Upload a file (multipart/form-data, streamed to storage)", .permission("file:file:upload"),
            description: "Part `file` holds the content (its filename is kept); optional fields `name`, `description`, `visibility`. The SHA-256 is computed on the way in; the same bytes are stored once per tenant. Larger than FILES_MAX_UPLOAD_BYTES, or past the tenant's quota: 413.",
            body: UploadForm.self, bodyContentType: "multipart/form-data", use: upload)
        routes.get("", "List files", .permission("file:file:list"), query: FileListQuery.self, use: list)
        routes.get("/{id}", "One file's metadata", .permission("file:file:read"), parameters: [.uuid("id")], use: get)
        routes.put(
            "/{id}", "Rename a file or change its description, visibility or metadata", .permission("file:file:update"), parameters: [.uuid("id")],
            body: UpdateFile.self, use: update)
        routes.delete("/{id}", "Delete a file", .permission("file:file:delete"), parameters: [.uuid("id")], responses: [.noContent("Deleted")], use: delete)
        routes.get(
            "/{id}/download", "The file's bytes, with its original filename", .permission("file:file:download"),
            description: "Supports `Range: bytes=a-b` (one range; 206 with Content-Range, 416 when unsatisfiable), `ETag` (the SHA-256) and `If-None-Match` (304).",
            parameters: [
                .uuid("id"),
                RouteParameter("Range", in: .header, schema: ["type": "string"]),
                RouteParameter("If-None-Match", in: .header, schema: ["type": "string"]),
            ],
            responses: [
                RouteResponse(.ok, "The whole file", contentType: "*/*", schema: Self.binary),
                RouteResponse(.partialContent, "The requested range", contentType: "*/*", schema: Self.binary),
                RouteResponse(.notModified, "The caller's copy is current", schema: nil),
                .error(.rangeNotSatisfiable, "The range lies outside the file"),
            ],
            use: download)
    }

    func find(_ id: UUID, _ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> StoredFile {
        guard let file = try await store.find(id, tenantID: context.principal.tenantID, in: tx) else { throw APIError.fileNotFound }
        return file
    }

    static func namespace(_ tenantID: UUID) -> String { tenantID.uuidString.lowercased() }

    func upload(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<FileView> {
        guard let contentType = request.headers[.contentType], let boundary = MultipartReader.boundary(contentType: contentType) else {
            throw APIError.multipartRequired
        }
        if let length = request.headers[.contentLength].flatMap(Int64.init), length > limits.maxUploadBytes + 1_048_576 {
            throw APIError.fileTooLarge(limits.maxUploadBytes)
        }
        let tenantID = context.principal.tenantID
        let namespace = Self.namespace(tenantID)
        let used = try await database.withTenant(context.tenant) { tx in try await store.storedBytes(tenantID: tenantID, in: tx) }
        let room = limits.tenantQuotaBytes - used
        guard room > 0 else { throw APIError.quotaExceeded(limits.tenantQuotaBytes) }
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
            // A limit below the per-file one was the quota's room.
            if tooLarge.limit < limits.maxUploadBytes { throw APIError.quotaExceeded(limits.tenantQuotaBytes) }
            throw APIError.fileTooLarge(limits.maxUploadBytes)
        } catch let malformed as MultipartReader.Malformed {
            throw APIError.invalidMultipart(malformed.reason)
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
        let file = FileStore.NewFile(
            name: name, contentType: type, size: blob.size, sha256: blob.sha256, description: fields["description"], visibility: visibility ?? .private)
        let inserted = try await database.withTenant(context.tenant) { tx in
            try await store.insert(file, id: UUID.v7(), tenantID: tenantID, ownerID: context.principal.userID, in: tx)
        }
        guard let inserted else { throw APIError.internalError }
        return Created(FileView(inserted, deduplicated: blob.deduplicated))
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
        let query = try request.query(FileListQuery.self)
        let filter = FileFilter(tenantID: context.principal.tenantID, search: query.search, contentType: query.contentType, sha256: query.sha256)
        return try await database.withTenant(context.tenant) { tx in
            let total = try await store.count(filter, in: tx)
            let files = try await store.list(filter, page: query.paging, in: tx)
            return Page(items: files.map { FileView($0) }, total: total, request: query.paging)
        }
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> FileView {
        let id = try context.pathUUID("id", or: .fileNotFound)
        return FileView(try await database.withTenant(context.tenant) { tx in try await find(id, context, in: tx) })
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> FileView {
        let id = try context.pathUUID("id", or: .fileNotFound)
        let body = try await request.decode(as: UpdateFile.self, context: context)
        var problems: [String: String] = [:]
        if let name = body.name, name.isEmpty || name.count > 255 || name.contains("/") || name.contains("\0") { problems["name"] = "must be 1-255 characters without / or NUL" }
        if let description = body.description, description.count > 2000 { problems["description"] = "must be at most 2000 characters" }
        if let metadata = body.metadata, case .object = metadata {} else if body.metadata != nil { problems["metadata"] = "must be an object" }
        if !problems.isEmpty { throw APIError.validation(problems) }
        let tenantID = context.principal.tenantID
        let change = FileChange(name: body.name, description: body.description, visibility: body.visibility, metadata: body.metadata)
        return FileView(try await database.withTenant(context.tenant) { tx in
            _ = try await find(id, context, in: tx)
            guard let file = try await store.update(id, tenantID: tenantID, change, in: tx) else { throw APIError.fileNotFound }
            return file
        })
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let id = try context.pathUUID("id", or: .fileNotFound)
        let tenantID = context.principal.tenantID
        try await database.withTenant(context.tenant) { tx in
            _ = try await find(id, context, in: tx)
            try await store.softDelete(id, tenantID: tenantID, in: tx)
        }
        return NoContent()
    }

    /// One `bytes=` range of a file of `size` bytes: nil for none or several (the whole file
    /// is served), or throws 416 when it cannot be satisfied.
    static func range(_ header: String?, size: Int64) throws -> ClosedRange<Int64>? {
        guard let header = header?.trimmingCharacters(in: .whitespaces), header.lowercased().hasPrefix("bytes=") else { return nil }
        let spec = header.dropFirst("bytes=".count)
        guard !spec.contains(",") else { return nil }
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else { return nil }
        let unsatisfiable = APIError.rangeNotSatisfiable(size: size)
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
        let id = try context.pathUUID("id", or: .fileNotFound)
        let file = try await database.withTenant(context.tenant) { tx in try await find(id, context, in: tx) }
        let etag = "\"\(file.sha256)\""
        var headers: HTTPFields = [.eTag: etag, .acceptRanges: "bytes", .contentDisposition: Self.disposition(file.name), .cacheControl: "private, max-age=0"]
        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag || $0.trimmingCharacters(in: .whitespaces) == "*" }) {
            return Response(status: .notModified, headers: headers)
        }
        let range: ClosedRange<Int64>?
        do {
            range = try Self.range(request.headers[.range], size: file.size)
        } catch let error as APIError {
            var failed = error
            failed.headers = [.contentRange: "bytes */\(file.size)"]
            throw failed
        }
        headers[.contentType] = file.contentType
        let body = try await storage.read(namespace: Self.namespace(context.principal.tenantID), sha256: file.sha256, range: range)
        if let range {
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(file.size)"
            headers[.contentLength] = String(range.count)
            return Response(status: .partialContent, headers: headers, body: body)
        }
        headers[.contentLength] = String(file.size)
        return Response(status: .ok, headers: headers, body: body)
    }
}
