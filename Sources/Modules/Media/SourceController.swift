import Foundation
import Hummingbird
import MediaToolkit
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport

/// GoyaVision's media sources (cameras and streams), and probing a pull source with ffprobe.
struct SourceController: Sendable {
    let database: Database
    let targets: OutboundTargetPolicy
    let probeTimeout: Duration
    let store = SourceStore()
    let assets = AssetStore()

    func register(in routes: RouteGroup) {
        routes.post(
            "", "Create a media source", .permission("media:source:create"),
            description: "A pull source needs a `url` whose scheme matches its `protocol` (rtsp(s), rtmp(s), http(s) for hls and http); its host must pass the outbound target policy (no loopback or private addresses unless allowed). `path_name` is derived from the name when absent.",
            body: SourceInput.self, responses: [.error(.conflict, "The path_name is taken")], use: create)
        routes.get("", "List media sources", .permission("media:source:list"), query: SourceListQuery.self, use: list)
        routes.get("/{id}", "One media source", .permission("media:source:read"), parameters: [.uuid("id")], use: get)
        routes.put(
            "/{id}", "Change a media source", .permission("media:source:update"), parameters: [.uuid("id")], body: SourceInput.self,
            responses: [.error(.conflict, "The path_name is taken")], use: update)
        routes.delete(
            "/{id}", "Delete a media source (soft)", .permission("media:source:delete"), parameters: [.uuid("id")],
            responses: [.noContent("Deleted"), .error(.conflict, "Assets reference the source")], use: delete)
        routes.post(
            "/{id}/probe", "Probe a pull source with ffprobe (time-limited) and keep what it found", .permission("media:source:probe"),
            parameters: [.uuid("id")], bodyRequired: false, responses: [.error(.conflict, "A push source has nothing to probe")], use: probe)
    }

    func find(_ id: UUID, _ context: AuthenticatedContext, in tx: DatabaseTransaction) async throws -> StoredSource {
        guard let source = try await store.find(id, tenantID: context.principal.tenantID, in: tx) else { throw APIError.sourceNotFound }
        return source
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Created<SourceView> {
        let input = try await request.decode(as: SourceInput.self, context: context)
        var fields = try await SourceValidation.fields(input, merging: nil, principal: context.principal, targets: targets)
        let tenantID = context.principal.tenantID
        let source = try await database.withTenant(context.tenant) { tx -> StoredSource in
            if input.pathName == nil {
                var candidate = fields.pathName
                var suffix = 2
                while try await store.pathNameTaken(candidate, except: nil, tenantID: tenantID, in: tx) {
                    candidate = String(fields.pathName.prefix(90)) + "-\(suffix)"
                    suffix += 1
                }
                fields.pathName = candidate
            }
            guard let source = try await store.insert(fields, id: UUID.v7(), tenantID: tenantID, ownerID: context.principal.userID, in: tx) else {
                throw APIError.sourcePathTaken
            }
            return source
        }
        return Created(SourceView(source))
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<SourceView> {
        let query = try request.query(SourceListQuery.self)
        let filter = SourceFilter(
            tenantID: context.principal.tenantID, type: query.type, protocol: query.protocol, enabled: query.enabled,
            search: query.search.flatMap { $0.isEmpty ? nil : $0 })
        return try await database.withTenant(context.tenant) { tx in
            let total = try await store.count(filter, in: tx)
            let sources = try await store.list(filter, limit: query.paging.limit, offset: query.paging.offset, in: tx)
            return Page(items: sources.map(SourceView.init), total: total, request: query.paging)
        }
    }

    func get(_ request: Request, _ context: AuthenticatedContext) async throws -> SourceView {
        let id = try context.pathUUID("id", or: .sourceNotFound)
        return SourceView(try await database.withTenant(context.tenant) { tx in try await find(id, context, in: tx) })
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> SourceView {
        let id = try context.pathUUID("id", or: .sourceNotFound)
        let input = try await request.decode(as: SourceInput.self, context: context)
        let tenantID = context.principal.tenantID
        let current = try await database.withTenant(context.tenant) { tx in try await find(id, context, in: tx) }
        let fields = try await SourceValidation.fields(input, merging: current, principal: context.principal, targets: targets)
        return SourceView(try await database.withTenant(context.tenant) { tx in
            _ = try await find(id, context, in: tx)
            if try await store.pathNameTaken(fields.pathName, except: id, tenantID: tenantID, in: tx) { throw APIError.sourcePathTaken }
            guard let updated = try await store.update(id, tenantID: tenantID, fields, in: tx) else { throw APIError.sourceNotFound }
            return updated
        })
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let id = try context.pathUUID("id", or: .sourceNotFound)
        let tenantID = context.principal.tenantID
        try await database.withTenant(context.tenant) { tx in
            _ = try await find(id, context, in: tx)
            if try await assets.sourceInUse(id, tenantID: tenantID, in: tx) { throw APIError.sourceInUse }
            try await store.softDelete(id, tenantID: tenantID, in: tx)
        }
        return NoContent()
    }

    func probe(_ request: Request, _ context: AuthenticatedContext) async throws -> SourceView {
        let id = try context.pathUUID("id", or: .sourceNotFound)
        let source = try await database.withTenant(context.tenant) { tx in try await find(id, context, in: tx) }
        guard source.type == .pull, let url = source.url else { throw APIError.sourceNotProbeable }
        let found: JSONValue
        do {
            // The host is checked again: what it resolves to may have changed since it was saved.
            try await SourceValidation.checkTarget(url, targets: targets)
            found = try await StreamProbe.probe(url, timeout: probeTimeout)
        } catch let refused as SourceValidation.Refused {
            found = ["ok": false, "error": .string(refused.reason)]
        }
        guard let updated = try await database.withTenant(context.tenant, { tx in
            try await store.recordProbe(id, tenantID: context.principal.tenantID, probe: found, in: tx)
        }) else { throw APIError.sourceNotFound }
        return SourceView(updated)
    }
}

/// ffprobe against a stream URL, with a time limit; failures are part of the answer.
enum StreamProbe {
    static func probe(_ url: String, timeout: Duration) async throws -> JSONValue {
        let output: Subprocess.Output
        do {
            output = try await Subprocess.run(
                "ffprobe", ["-v", "error", "-rw_timeout", "5000000", "-print_format", "json", "-show_format", "-show_streams", url], timeout: timeout)
        } catch let error as MediaError {
            return ["ok": false, "error": .string(AssetProbeHandler.describe(error))]
        }
        guard output.status == 0, let found = try? PlatformJSON.makeDecoder().decode(JSONValue.self, from: output.stdout) else {
            let message = String(decoding: output.stderr, as: UTF8.self).split(separator: "\n").suffix(3).joined(separator: " | ")
            return ["ok": false, "error": .string(message.isEmpty ? "ffprobe could not read the stream" : String(message.prefix(500)))]
        }
        var result: [String: JSONValue] = ["ok": true]
        if let format = found["format"] {
            result["container"] = format["format_name"]
            if let text = format["duration"]?.stringValue, let seconds = Double(text) { result["duration"] = .double(seconds) }
        }
        if case .array(let streams) = found["streams"] ?? .null {
            result["streams"] = .array(streams.map { stream in
                var entry: [String: JSONValue] = [:]
                for key in ["index", "codec_type", "codec_name", "width", "height", "channels", "sample_rate", "avg_frame_rate"] {
                    if let value = stream[key] { entry[key] = value }
                }
                return .object(entry)
            })
        }
        return .object(result)
    }
}
