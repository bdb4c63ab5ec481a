import Foundation
import PlatformDatabase
import PlatformSupport

/// One completion's accounting, as `model_usage` keeps it.
struct UsageRecord: Sendable {
    var userID: UUID?
    var provider: String
    var model: String
    var source: String = "chat"
    var promptTokens: Int
    var completionTokens: Int
    var latencyMs: Int
    var costUSD: Double?
    var success: Bool
}

/// Every statement on `chat_conversations`, `chat_messages`, `model_usage` and
/// `chat_tenant_models`. Conversations are read by owner as well as tenant (RLS says the same).
struct ChatStore: Sendable {
    static let conversationColumns = "c.id, c.title, c.model, c.system_prompt, c.created_at, c.updated_at"
    static let messageColumns = "m.id, m.role, m.content, m.status, m.error, m.provider, m.model, m.created_at"

    func conversation(_ id: UUID, tenantID: UUID, ownerID: UUID, in tx: DatabaseTransaction) async throws -> StoredConversation? {
        try await tx.row(
            "SELECT \(unescaped: Self.conversationColumns) FROM chat_conversations c WHERE c.tenant_id = \(tenantID) AND c.id = \(id) AND c.owner_id = \(ownerID)",
            decoding: StoredConversation.self)
    }

    func createConversation(
        id: UUID, title: String, model: String, system: String?, tenantID: UUID, ownerID: UUID, in tx: DatabaseTransaction
    ) async throws -> StoredConversation? {
        try await tx.row(
            """
            INSERT INTO chat_conversations AS c (tenant_id, id, owner_id, title, model, system_prompt)
            VALUES (\(tenantID), \(id), \(ownerID), \(title), \(model), \(system))
            RETURNING \(unescaped: Self.conversationColumns)
            """, decoding: StoredConversation.self)
    }

    /// Marks activity; a new system prompt or model replaces the stored one.
    func touch(_ id: UUID, model: String, system: String?, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            UPDATE chat_conversations SET updated_at = now(), model = \(model), system_prompt = coalesce(\(system), system_prompt)
            WHERE tenant_id = \(tenantID) AND id = \(id)
            """)
    }

    func messages(_ conversationID: UUID, tenantID: UUID, in tx: DatabaseTransaction) async throws -> [StoredMessage] {
        try await tx.rows(
            "SELECT \(unescaped: Self.messageColumns) FROM chat_messages m WHERE m.tenant_id = \(tenantID) AND m.conversation_id = \(conversationID) ORDER BY m.id",
            decoding: StoredMessage.self)
    }

    func addMessage(
        id: UUID, conversationID: UUID, role: String, content: String, status: String = "ok", provider: String? = nil, model: String? = nil,
        promptTokens: Int? = nil, completionTokens: Int? = nil, tenantID: UUID, ownerID: UUID, in tx: DatabaseTransaction
    ) async throws {
        try await tx.run(
            """
            INSERT INTO chat_messages (tenant_id, id, conversation_id, owner_id, role, content, status, provider, model, prompt_tokens, completion_tokens)
            VALUES (\(tenantID), \(id), \(conversationID), \(ownerID), \(role), \(content), \(status), \(provider), \(model), \(promptTokens), \(completionTokens))
            """)
    }

    /// A user message's outcome: `ok` once answered, `failed` (with why) otherwise.
    func mark(_ id: UUID, status: String, error: String?, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run("UPDATE chat_messages SET status = \(status), error = \(error) WHERE tenant_id = \(tenantID) AND id = \(id)")
    }

    func deleteConversation(_ id: UUID, tenantID: UUID, ownerID: UUID, in tx: DatabaseTransaction) async throws -> Bool {
        try await tx.run("DELETE FROM chat_conversations WHERE tenant_id = \(tenantID) AND id = \(id) AND owner_id = \(ownerID) RETURNING 1") > 0
    }

    func conversations(tenantID: UUID, ownerID: UUID, page: PageRequest, in tx: DatabaseTransaction) async throws -> [ConversationSummary] {
        try await tx.rows(
            """
            SELECT c.id, c.id AS conversation_id, c.title, c.model, c.created_at, c.updated_at,
                   (SELECT count(*)::int FROM chat_messages m WHERE m.tenant_id = c.tenant_id AND m.conversation_id = c.id) AS message_count,
                   (SELECT left(m.content, 200) FROM chat_messages m WHERE m.tenant_id = c.tenant_id AND m.conversation_id = c.id
                    ORDER BY m.id DESC LIMIT 1) AS last_message
            FROM chat_conversations c WHERE c.tenant_id = \(tenantID) AND c.owner_id = \(ownerID)
            ORDER BY c.updated_at DESC, c.id DESC LIMIT \(page.limit) OFFSET \(page.offset)
            """, decoding: ConversationSummary.self)
    }

    func conversationCount(tenantID: UUID, ownerID: UUID, in tx: DatabaseTransaction) async throws -> Int {
        try await tx.value("SELECT count(*)::int FROM chat_conversations WHERE tenant_id = \(tenantID) AND owner_id = \(ownerID)", as: Int.self) ?? 0
    }

    func recordUsage(_ usage: UsageRecord, tenantID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            INSERT INTO model_usage (tenant_id, id, user_id, provider, model, source, prompt_tokens, completion_tokens, latency_ms, cost_usd, success)
            VALUES (\(tenantID), \(UUID.v7()), \(usage.userID), \(usage.provider), \(usage.model), \(usage.source), \(usage.promptTokens),
                    \(usage.completionTokens), \(usage.latencyMs), \(usage.costUSD), \(usage.success))
            """)
    }

    func selectedOllamaModel(tenantID: UUID, in tx: DatabaseTransaction) async throws -> String? {
        try await tx.value("SELECT ollama_model FROM chat_tenant_models WHERE tenant_id = \(tenantID)", as: String.self)
    }

    func selectOllamaModel(_ model: String, tenantID: UUID, by userID: UUID, in tx: DatabaseTransaction) async throws {
        try await tx.run(
            """
            INSERT INTO chat_tenant_models (tenant_id, ollama_model, selected_by) VALUES (\(tenantID), \(model), \(userID))
            ON CONFLICT (tenant_id) DO UPDATE SET ollama_model = EXCLUDED.ollama_model, selected_by = EXCLUDED.selected_by, updated_at = now()
            """)
    }
}
