import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport

/// `POST /api/v1/assets` as multipart: the file streams into the tenant's content-addressed
/// storage (hashed on the way in), becomes a file of the files module, and the asset refers to it.
extension AssetController {
    func upload(_ request: Request, _ context: AuthenticatedContext) async throws -> (StoredAsset, Bool) {
        guard let contentType = request.headers[.contentType], let boundary = MultipartReader.boundary(contentType: contentType) else {
            throw APIError.badRequest("The multipart body has no boundary", code: "INVALID_MULTIPART")
        }
        if let length = request.headers[.contentLength].flatMap(Int64.init), length > limits.maxUploadBytes + 1_048_576 {
            throw APIError(.contentTooLarge, code: "FILE_TOO_LARGE", message: "Files may be at most \(limits.maxUploadBytes) bytes")
        }
        let tenantID = context.principal.tenantID
        let used = try await database.withTenant(context.tenant) { tx in try await files.storedBytes(tenantID: tenantID, in: tx) }
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
                if part.name == "file" {
                    guard stored == nil else { throw APIError.validation(["file": "send one file per asset"]) }
                    filename = part.filename
                    partType = part.contentType
                    stored = try await storage.store(namespace: tenantID.uuidString.lowercased(), maxBytes: allowed) { try await reader.nextChunk() }
                } else {
                    fields[part.name] = try await reader.text(limit: 65_536)
                }
            }
        } catch let tooLarge as BlobTooLarge {
            if tooLarge.limit < limits.maxUploadBytes { throw Self.quotaExceeded(limits.tenantQuotaBytes) }
            throw APIError(.contentTooLarge, code: "FILE_TOO_LARGE", message: "Files may be at most \(limits.maxUploadBytes) bytes")
        } catch let malformed as MultipartReader.Malformed {
            throw APIError.badRequest("The multipart body could not be read: \(malformed.reason)", code: "INVALID_MULTIPART")
        }
        guard let blob = stored else { throw APIError.validation(["file": "is required (a part named `file`)"]) }
        let input = try Self.input(fields)
        let name = (input.name ?? filename ?? "upload").trimmingCharacters(in: .whitespacesAndNewlines)
        let type = Self.mediaType(partType)
        // Validated before anything is recorded (an unrecorded blob is swept later).
        let provisional = StoredFileInfo(id: UUID.v7(), name: filename ?? name, contentType: type, size: blob.size, sha256: blob.sha256)
        var asset = try AssetValidation.newAsset(input, file: provisional, principal: context.principal)
        return try await database.withTenant(context.tenant) { tx in
            if let existing = try await store.findByHash(blob.sha256, tenantID: tenantID, in: tx) { return (existing, true) }
            guard let file = try await files.create(
                NewStoredFile(name: String((filename ?? name).prefix(255)), contentType: type, size: blob.size, sha256: blob.sha256),
                tenantID: tenantID, ownerID: context.principal.userID, in: tx)
            else { throw APIError.internalError }
            asset.fileID = file.id
            return try await insert(asset, context, in: tx)
        }
    }

    static func quotaExceeded(_ quota: Int64) -> APIError {
        APIError(.contentTooLarge, code: "STORAGE_QUOTA_EXCEEDED", message: "The tenant's storage quota of \(quota) bytes is used up")
    }

    static func mediaType(_ declared: String?) -> String {
        if let declared = declared?.trimmingCharacters(in: .whitespaces), declared.count <= 200,
            declared.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*( *;.*)?/) != nil
        {
            return declared
        }
        return "application/octet-stream"
    }

    /// The text parts as the JSON body's fields: numbers, UUIDs, JSON for tags and metadata.
    static func input(_ fields: [String: String]) throws -> AssetInput {
        var object: [String: JSONValue] = [:]
        var problems: [String: String] = [:]
        let numbers: Set<String> = ["duration", "duration_seconds"]
        let json: Set<String> = ["metadata", "asset_metadata", "tags", "visible_role_ids"]
        for (key, text) in fields {
            if json.contains(key) {
                if key == "tags" || key == "visible_role_ids", !text.hasPrefix("[") {
                    object[key] = .array(text.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) })
                } else if let value = try? PlatformJSON.makeDecoder().decode(JSONValue.self, from: Data(text.utf8)) {
                    object[key] = value
                } else {
                    problems[key] = "must be JSON"
                }
            } else if numbers.contains(key) {
                if let value = Double(text) { object[key] = .double(value) } else { problems[key] = "must be a number" }
            } else if key == "size" {
                if let value = Int64(text) { object[key] = .int(value) } else { problems[key] = "must be an integer" }
            } else if key == "visibility", let number = Int64(text) {
                object[key] = .int(number)
            } else {
                object[key] = .string(text)
            }
        }
        if !problems.isEmpty { throw APIError.validation(problems) }
        do {
            return try PlatformJSON.makeDecoder().decode(AssetInput.self, from: try PlatformJSON.makeEncoder().encode(JSONValue.object(object)))
        } catch let DecodingError.dataCorrupted(context), let DecodingError.typeMismatch(_, context) {
            throw APIError.validation([Self.field(context.codingPath): "has the wrong type or value"])
        } catch {
            throw APIError.validation(["form": "a field has the wrong type"])
        }
    }

    static func field(_ path: [any CodingKey]) -> String {
        guard let first = path.first else { return "form" }
        // The decoder converts snake_case keys: name the field as the client sent it.
        return first.stringValue.replacing(/[A-Z]/) { "_" + $0.output.lowercased() }
    }
}
