import Foundation
import PlatformDatabase
import PlatformServices
import PlatformSupport

/// What creating operators and versions shares across the routes that do it (create, template
/// install, MCP install, new versions): the checks of a version and the writes.
struct OperatorService: Sendable {
    let targets: OutboundTargetPolicy
    let settings: OperatorSettings
    let store = OperatorStore()
    let mcpStore = MCPServerStore()

    /// The checked version, or a 422 naming every bad field. `checkTargets`: the endpoint of an
    /// `http` version must pass the outbound target policy now (it is checked again at each call).
    func version(_ input: VersionInput, fallbackVersion: String? = nil, checkTargets: Bool = true, tenantID: UUID, in tx: DatabaseTransaction) async throws -> NewVersion {
        var problems: [String: String] = [:]
        let text = input.version ?? fallbackVersion ?? ""
        if SemanticVersion(text) == nil { problems["version"] = input.version == nil && fallbackVersion == nil ? "is required" : "must be a semantic version such as 1.2.0" }
        guard let mode = input.execMode else { throw APIError.validation(problems.merging(["exec_mode": "is required"]) { a, _ in a }) }
        let execConfig = input.execConfig ?? [:]
        for (key, message) in ExecConfigRules.problems(execConfig, mode: mode) { problems[key] = message }
        for (field, schema) in [("input_schema", input.inputSchema), ("output_spec", input.outputSpec)] {
            guard let schema, schema != .null else { continue }
            for problem in JSONSchema.problems(inSchema: schema) { problems[field + (problem.path.isEmpty ? "" : ".\(problem.path)")] = problem.message }
        }
        if let config = input.config, case .object = config {} else if input.config != nil { problems["config"] = "must be an object" }
        if let changelog = input.changelog, changelog.count > 10_000 { problems["changelog"] = "must be at most 10000 characters" }
        if let status = input.status, status != .draft && status != .testing { problems["status"] = "a new version is draft or testing; activate it to make it active" }
        if problems.isEmpty {
            for (key, message) in try await worldProblems(execConfig, mode: mode, checkTargets: checkTargets, tenantID: tenantID, in: tx) { problems[key] = message }
        }
        if !problems.isEmpty { throw APIError.validation(problems) }
        return NewVersion(
            version: text, execMode: mode, execConfig: execConfig, inputSchema: input.inputSchema == .null ? nil : input.inputSchema,
            outputSpec: input.outputSpec == .null ? nil : input.outputSpec, config: input.config ?? [:], changelog: input.changelog ?? "",
            status: input.status ?? .draft)
    }

    /// What needs the world: the endpoint against the outbound policy, the command against the
    /// allow-list, the MCP server in the tenant.
    func worldProblems(_ execConfig: JSONValue, mode: ExecMode, checkTargets: Bool, tenantID: UUID, in tx: DatabaseTransaction) async throws -> [String: String] {
        let settings = ExecConfigRules.settings(execConfig, mode)
        switch mode {
        case .http:
            guard checkTargets, let endpoint = settings["endpoint"]?.stringValue else { return [:] }
            do { _ = try await targets.check(endpoint) } catch let refused as OutboundTargetPolicy.Refused {
                return ["exec_config.http.endpoint": refused.reason]
            }
        case .cli:
            if let command = settings["command"]?.stringValue, !self.settings.cliExecutables.contains(command) {
                return ["exec_config.cli.command": "is not on the administrator's allow-list of executables (OPERATOR_CLI_EXECUTABLES)"]
            }
            if let timeout = settings["timeout_sec"].flatMap(JSONSchema.integer), timeout > self.settings.cliMaxSeconds {
                return ["exec_config.cli.timeout_sec": "must be at most \(self.settings.cliMaxSeconds) (OPERATOR_CLI_MAX_SECONDS)"]
            }
        case .mcp:
            if let server = settings["server_id"]?.stringValue.flatMap(UUID.init(uuidString:)), try await mcpStore.find(server, tenantID: tenantID, in: tx) == nil {
                return ["exec_config.mcp.server_id": "names no MCP server of this tenant"]
            }
        case .aiModel, .builtin:
            break
        }
        return [:]
    }

    /// Writes a new operator (409 when the code is taken) and, when given, its first version,
    /// activated at once.
    func create(
        _ fields: OperatorFields, firstVersion: NewVersion?, tenantID: UUID, ownerID: UUID?, in tx: DatabaseTransaction
    ) async throws -> (StoredOperator, StoredVersion?) {
        guard var stored = try await store.insert(id: UUID.v7(), fields, tenantID: tenantID, ownerID: ownerID, in: tx) else { throw APIError.operatorCodeTaken }
        guard let firstVersion else { return (stored, nil) }
        guard let version = try await store.insertVersion(firstVersion, operatorID: stored.id, tenantID: tenantID, in: tx) else { throw APIError.internalError }
        try await store.activate(version, tenantID: tenantID, in: tx)
        guard let reloaded = try await store.find(stored.id, tenantID: tenantID, in: tx),
              let active = try await store.version(version.id, operatorID: stored.id, tenantID: tenantID, in: tx) else { throw APIError.internalError }
        stored = reloaded
        return (stored, active)
    }

    func view(_ stored: StoredOperator, tenantID: UUID, in tx: DatabaseTransaction) async throws -> OperatorView {
        guard let activeID = stored.activeVersionId else { return OperatorView(stored, active: nil) }
        return OperatorView(stored, active: try await store.version(activeID, operatorID: stored.id, tenantID: tenantID, in: tx))
    }

    func views(_ operators: [StoredOperator], tenantID: UUID, in tx: DatabaseTransaction) async throws -> [OperatorView] {
        let active = try await store.activeVersions(of: operators.map(\.id), tenantID: tenantID, in: tx)
        let byOperator = Dictionary(active.map { ($0.operatorId, $0) }, uniquingKeysWith: { a, _ in a })
        return operators.map { OperatorView($0, active: byOperator[$0.id]) }
    }

    /// `exec_config` with `override`'s top-level mode objects merged key by key.
    static func merged(_ base: JSONValue, _ override: JSONValue?) -> JSONValue {
        guard case .object(var object) = base, case .object(let changes)? = override else { return base }
        for (key, value) in changes {
            if case .object(var inner)? = object[key], case .object(let given) = value {
                for (name, item) in given { inner[name] = item }
                object[key] = .object(inner)
            } else {
                object[key] = value
            }
        }
        return .object(object)
    }
}
