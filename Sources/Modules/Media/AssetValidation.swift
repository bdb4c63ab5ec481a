import Foundation
import PlatformDatabase
import PlatformServices
import PlatformSupport

/// The checks on asset input, every bad field named in one 422.
enum AssetValidation {
    static func newAsset(_ input: AssetInput, file: StoredFileInfo?, principal: Principal) throws -> NewAsset {
        var problems: [String: String] = [:]
        if let a = input.type, let b = input.assetType, a != b { problems["asset_type"] = "differs from type" }
        if let a = input.path, let b = input.storagePath, a != b { problems["storage_path"] = "differs from path" }
        if let a = input.duration, let b = input.durationSeconds, a != b { problems["duration_seconds"] = "differs from duration" }
        if input.metadata != nil && input.assetMetadata != nil && input.metadata != input.assetMetadata { problems["asset_metadata"] = "differs from metadata" }
        let path = (input.path ?? input.storagePath)?.trimmingCharacters(in: .whitespaces)
        if let path, path.isEmpty || path.count > 2000 || path.contains("\0") { problems[input.path != nil ? "path" : "storage_path"] = "must be 1-2000 characters" }
        if file == nil && path == nil { problems["file_id"] = "give a file_id (an uploaded file) or a path" }
        var hash = input.fileHash?.lowercased()
        if let given = hash, given.wholeMatch(of: /[0-9a-f]{64}/) == nil { problems["file_hash"] = "must be a SHA-256 in hex (64 characters)" }
        if let file {
            if let given = hash, given != file.sha256 { problems["file_hash"] = "differs from the file's SHA-256" }
            hash = file.sha256
        }
        let name = (input.name ?? input.originalFilename ?? file?.name ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty || name.count > 255 || name.contains("\0") { problems["name"] = "must be 1-255 characters" }
        if let description = input.description, description.count > 5000 { problems["description"] = "must be at most 5000 characters" }
        if let filename = input.originalFilename, filename.isEmpty || filename.count > 255 { problems["original_filename"] = "must be 1-255 characters" }
        let type = input.type ?? input.assetType ?? file.map { inferType(contentType: $0.contentType) }
        if type == nil { problems["type"] = "is required (video, image, audio, document or other)" }
        if let size = input.size, size < 0 { problems["size"] = "must not be negative" }
        if let file, let size = input.size, size != file.size { problems["size"] = "differs from the file's size" }
        let duration = input.durationSeconds ?? input.duration
        if let duration, !(duration.isFinite && duration >= 0) { problems["duration_seconds"] = "must be a non-negative number" }
        if let format = input.format, format.isEmpty || format.count > 100 { problems["format"] = "must be 1-100 characters" }
        let metadata = input.metadata ?? input.assetMetadata ?? [:]
        if case .object = metadata {} else { problems["metadata"] = "must be an object" }
        if let source = input.source, source.count > 500 { problems["source"] = "must be at most 500 characters" }
        let tags = Self.tags(input.tags ?? [], field: "tags", into: &problems) ?? []
        let (visibility, roles) = Self.visibility(input.visibility, roles: input.visibleRoleIds, principal: principal, into: &problems)
        if !problems.isEmpty { throw APIError.validation(problems) }
        let assetType = type ?? .other
        // Files that ffprobe reads start pending and are probed; others are ready as they are.
        let probed = file != nil && [.video, .audio, .image].contains(assetType)
        let status: AssetStatus = probed ? .pending : (input.status ?? (file != nil ? .ready : .pending))
        return NewAsset(
            name: name, description: input.description, assetType: assetType, sourceType: input.sourceType ?? .upload, sourceID: input.sourceId,
            parentID: input.parentId, fileID: file?.id, storagePath: path, fileHash: hash, originalFilename: input.originalFilename ?? file?.name,
            size: file?.size ?? input.size ?? 0, format: input.format, durationSeconds: duration, metadata: metadata, status: status, tags: tags,
            source: input.source, visibility: visibility?.value ?? .private, visibleRoleIDs: roles ?? [], visibilityAsInteger: visibility?.wasInteger ?? false)
    }

    static func change(_ body: AssetUpdate, principal: Principal) throws -> AssetChange {
        var problems: [String: String] = [:]
        if let a = body.type, let b = body.assetType, a != b { problems["asset_type"] = "differs from type" }
        if let a = body.duration, let b = body.durationSeconds, a != b { problems["duration_seconds"] = "differs from duration" }
        if body.metadata != nil && body.assetMetadata != nil && body.metadata != body.assetMetadata { problems["asset_metadata"] = "differs from metadata" }
        let name = body.name?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let name, name.isEmpty || name.count > 255 || name.contains("\0") { problems["name"] = "must be 1-255 characters" }
        if let description = body.description, description.count > 5000 { problems["description"] = "must be at most 5000 characters" }
        let duration = body.durationSeconds ?? body.duration
        if let duration, !(duration.isFinite && duration >= 0) { problems["duration_seconds"] = "must be a non-negative number" }
        if let format = body.format, format.isEmpty || format.count > 100 { problems["format"] = "must be 1-100 characters" }
        let metadata = body.metadata ?? body.assetMetadata
        if let metadata, case .object = metadata {} else if metadata != nil { problems["metadata"] = "must be an object" }
        if let source = body.source, source.count > 500 { problems["source"] = "must be at most 500 characters" }
        let tags = body.tags.flatMap { Self.tags($0, field: "tags", into: &problems) }
        let (visibility, roles) = Self.visibility(body.visibility, roles: body.visibleRoleIds, principal: principal, into: &problems)
        if !problems.isEmpty { throw APIError.validation(problems) }
        return AssetChange(
            name: name, description: body.description, assetType: body.type ?? body.assetType, status: body.status, statusReason: nil,
            metadata: metadata, tags: tags, source: body.source, format: body.format, durationSeconds: duration, visibility: visibility?.value,
            visibleRoleIDs: roles, visibilityAsInteger: visibility?.wasInteger)
    }

    /// Trimmed, distinct, 1-50 characters each, at most 50.
    static func tags(_ raw: [String], field: String, into problems: inout [String: String]) -> [String]? {
        var seen: [String] = []
        for tag in raw {
            let trimmed = tag.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, trimmed.count <= 50, !trimmed.contains("\0") else {
                problems[field] = "each tag must be 1-50 characters"
                return nil
            }
            if !seen.contains(trimmed) { seen.append(trimmed) }
        }
        if seen.count > 50 { problems[field] = "at most 50 tags" }
        return seen
    }

    /// `role` with no role ids means the creator's roles.
    static func visibility(
        _ visibility: VisibilityInput?, roles: [UUID]?, principal: Principal, into problems: inout [String: String]
    ) -> (VisibilityInput?, [UUID]?) {
        if let roles, roles.count > 100 { problems["visible_role_ids"] = "at most 100 roles" }
        guard let visibility, visibility.value == .role, (roles ?? []).isEmpty else { return (visibility, roles) }
        return (visibility, principal.roleIDs)
    }

    /// The asset type a file's media type suggests.
    static func inferType(contentType: String) -> AssetType {
        let lower = contentType.lowercased()
        if lower.hasPrefix("video/") { return .video }
        if lower.hasPrefix("image/") { return .image }
        if lower.hasPrefix("audio/") { return .audio }
        if lower.hasPrefix("text/") || lower.hasPrefix("application/pdf") || lower.contains("document") || lower.contains("msword") { return .document }
        return .other
    }
}
