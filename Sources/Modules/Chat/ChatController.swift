import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PlatformDatabase
import PlatformHTTP
import PlatformSupport
import Providers

/// `/api/v1/chat`: a user's conversations with models, plain or streamed over SSE.
struct ChatController: Sendable {
    let database: Database
    let service: ChatService
    let providers: ProviderRegistry
    let store = ChatStore()
    let aiModels = AIModelStore()

    func register(in routes: RouteGroup) {
        routes.post(
            "", "Send a message (a new conversation when conversation_id is null)", .permission("chat:conversation:use"),
            description: """
                The conversation so far goes to the model, trimmed to its context window (oldest turns first, the system prompt kept). \
                With `stream: true` or `Accept: text/event-stream` the answer is a stream of `token` events ending with a `done` event \
                carrying the same object as the plain answer (or an `error` event). A provider's failure answers 502/503/504 naming it; \
                the message is kept, marked failed, and re-sending the same text answers it without a duplicate.
                """,
            body: ChatInput.self,
            responses: [
                .json(.ok, ChatAnswer.self, "The answer"),
                RouteResponse(
                    .ok, "With stream: start, token events, then done (or error); each event's data is JSON", contentType: "text/event-stream",
                    schema: .schema(["type": "object", "properties": [
                        "event": ["type": "string", "enum": ["start", "token", "done", "error"]], "data": ["type": "string"], "id": ["type": "string"],
                    ]])),
                .error(.notFound, "No such conversation of yours"),
            ] + ProviderFailure.documented, use: send)
        routes.get(
            "/conversations", "Your conversations, latest activity first", .permission("chat:conversation:use"), query: PagingQuery.self,
            use: conversations)
        routes.get(
            "/history/{conversation_id}", "A conversation's messages", .permission("chat:conversation:use"), parameters: [.uuid("conversation_id")],
            responses: [.error(.notFound, "No such conversation of yours")], use: history)
        routes.delete(
            "/history/{conversation_id}", "Delete a conversation and its messages", .permission("chat:conversation:use"),
            parameters: [.uuid("conversation_id")], responses: [.noContent("Deleted"), .error(.notFound, "No such conversation of yours")], use: clear)
        routes.get("/models", "The models you can chat with now", .permission("chat:conversation:use"), use: available)
    }

    func send(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let input = try await request.decode(as: ChatInput.self, context: context)
        let problems = input.problems
        if !problems.isEmpty { throw APIError.validation(problems) }
        let scope = context.tenant
        let userID = context.principal.userID
        let turn = try await service.prepare(input, scope: scope, userID: userID)
        let streaming = input.stream ?? (request.headers[.accept]?.contains("text/event-stream") ?? false)
        let started = ContinuousClock.now
        if !streaming {
            let answer: ChatResponse
            do {
                answer = try await turn.resolved.provider.complete(turn.request)
            } catch {
                let failure = ProviderFailure.apiError(error, provider: turn.resolved.providerName)
                await service.fail(turn, error: failure, latency: ContinuousClock.now - started, scope: scope, userID: userID)
                throw failure
            }
            let result = try await service.succeed(
                turn, content: answer.content, usage: answer.usage, latency: ContinuousClock.now - started, scope: scope, userID: userID)
            return try result.response(from: request, context: context)
        }
        // The first piece is awaited before answering, so a provider that fails at once gets
        // its status code instead of a stream that only says so.
        let source = ChunkSource(turn.resolved.provider.stream(turn.request))
        let first: ChatChunk?
        do {
            first = try await source.next()
        } catch {
            let failure = ProviderFailure.apiError(error, provider: turn.resolved.providerName)
            await service.fail(turn, error: failure, latency: ContinuousClock.now - started, scope: scope, userID: userID)
            throw failure
        }
        let service = self.service
        let body = ResponseBody { writer in
            var text = ""
            var usage: TokenUsage?
            do {
                try await writer.write(ByteBuffer(string: ": connected\n\n" + EventStreamResponse.frame(event: "start", data: StreamStart(
                    conversationId: turn.conversationID, userMessageId: turn.userMessageID, model: turn.resolved.model, provider: turn.resolved.providerName))))
                var next = first
                while let chunk = next {
                    if !chunk.content.isEmpty {
                        text += chunk.content
                        try await writer.write(ByteBuffer(string: EventStreamResponse.frame(event: "token", data: StreamToken(content: chunk.content))))
                    }
                    if let counted = chunk.usage { usage = counted }
                    next = try await source.next()
                }
            } catch {
                let failure = ProviderFailure.apiError(error, provider: turn.resolved.providerName)
                await service.fail(turn, error: failure, latency: ContinuousClock.now - started, scope: scope, userID: userID)
                try? await writer.write(ByteBuffer(string: EventStreamResponse.frame(event: "error", data: StreamFailure(failure, requestID: nil))))
                try await writer.finish(nil)
                return
            }
            let answer = try await service.succeed(turn, content: text, usage: usage, latency: ContinuousClock.now - started, scope: scope, userID: userID)
            try await writer.write(ByteBuffer(string: EventStreamResponse.frame(event: "done", data: answer)))
            try await writer.finish(nil)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no"], body: body)
    }

    func conversations(_ request: Request, _ context: AuthenticatedContext) async throws -> Page<ConversationSummary> {
        let query = try request.query(PagingQuery.self)
        let tenantID = context.principal.tenantID
        let userID = context.principal.userID
        return try await database.withTenant(context.tenant) { tx in
            let total = try await store.conversationCount(tenantID: tenantID, ownerID: userID, in: tx)
            let items = try await store.conversations(tenantID: tenantID, ownerID: userID, page: query.paging, in: tx)
            return Page(items: items, total: total, request: query.paging)
        }
    }

    func history(_ request: Request, _ context: AuthenticatedContext) async throws -> ChatHistory {
        let id = try context.pathUUID("conversation_id", or: .conversationNotFound)
        let tenantID = context.principal.tenantID
        let userID = context.principal.userID
        return try await database.withTenant(context.tenant) { tx in
            guard let conversation = try await store.conversation(id, tenantID: tenantID, ownerID: userID, in: tx) else { throw APIError.conversationNotFound }
            let messages = try await store.messages(id, tenantID: tenantID, in: tx).map { message in
                HistoryMessage(
                    id: message.id, role: message.role, content: message.content, timestamp: message.createdAt, status: message.status,
                    error: message.error, model: message.model, provider: message.provider)
            }
            return ChatHistory(conversationId: id, title: conversation.title, model: conversation.model, messages: messages)
        }
    }

    func clear(_ request: Request, _ context: AuthenticatedContext) async throws -> NoContent {
        let id = try context.pathUUID("conversation_id", or: .conversationNotFound)
        let tenantID = context.principal.tenantID
        let userID = context.principal.userID
        let deleted = try await database.withTenant(context.tenant) { tx in try await store.deleteConversation(id, tenantID: tenantID, ownerID: userID, in: tx) }
        guard deleted else { throw APIError.conversationNotFound }
        return NoContent()
    }

    /// Models the providers report now (those that do not answer are left out), the built-in
    /// responder, and the tenant's active AI models the caller can see that answer a probe now
    /// (their model list, else a one-token completion), probed concurrently within a few seconds.
    func available(_ request: Request, _ context: AuthenticatedContext) async throws -> ChatModelList {
        var models: [ChatModelView] = []
        for entry in await providers.catalog() where entry.available {
            let local = entry.provider == "local"
            models.append(ChatModelView(
                id: local ? "local" : "\(entry.provider)/\(entry.name)", name: entry.name, provider: entry.provider,
                capabilities: local ? ["chat", "streaming"] : ["chat", "streaming", "tools"], contextWindow: entry.contextWindow))
        }
        let tenantID = context.principal.tenantID
        let scope = context.tenant
        let registered = try await database.withTenant(scope) { tx in try await aiModels.active(tenantID: tenantID, in: tx) }
        let answering = await withTaskGroup(of: String?.self) { group in
            for model in registered {
                group.addTask { await self.answers(model.name, scope: scope) ? model.name : nil }
            }
            var names: Set<String> = []
            for await name in group { if let name { names.insert(name) } }
            return names
        }
        for model in registered where answering.contains(model.name) {
            models.append(ChatModelView(
                id: model.name, name: model.name, provider: model.provider,
                capabilities: model.provider == "local" ? ["chat", "streaming"] : ["chat", "streaming", "tools"],
                contextWindow: model.config["context_window"].flatMap(JSONSchema.integer)))
        }
        return ChatModelList(models: models)
    }

    /// Whether a registered model answers a probe within `probeTimeout`.
    func answers(_ name: String, scope: TenantScope) async -> Bool {
        do {
            return try await withDeadline(Self.probeTimeout) {
                guard let resolved = try await self.service.resolver.directory.resolve(named: name, scope: scope, registry: self.providers)
                else { return false }
                _ = try await resolved.probe()
                return true
            }
        } catch {
            return false
        }
    }

    static let probeTimeout: Duration = .seconds(5)
}

struct StreamStart: Codable, Sendable {
    var conversationId: UUID
    var userMessageId: UUID
    var model: String
    var provider: String
}

struct StreamToken: Codable, Sendable {
    var content: String
}

/// The `error` event: the standard envelope's fields.
struct StreamFailure: Codable, Sendable {
    struct Body: Codable, Sendable {
        var code: String
        var message: String
        var status: Int
        var details: [String: JSONValue]?
    }

    var error: Body

    init(_ failure: APIError, requestID: String?) {
        error = Body(code: failure.code, message: failure.message, status: Int(failure.status.code), details: failure.details)
    }
}

/// A provider's stream read from one place at a time (the handler, then the response body).
actor ChunkSource {
    var iterator: AsyncThrowingStream<ChatChunk, any Error>.AsyncIterator

    init(_ stream: AsyncThrowingStream<ChatChunk, any Error>) {
        iterator = stream.makeAsyncIterator()
    }

    func next() async throws -> ChatChunk? {
        // The iterator shares its state with the stream; the copy reads the same elements.
        var current = iterator
        defer { iterator = current }
        return try await current.next(isolation: self)
    }
}
