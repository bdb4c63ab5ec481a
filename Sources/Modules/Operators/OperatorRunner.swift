import AsyncHTTPClient
import Foundation
import PlatformDatabase
import PlatformServices
import PlatformSupport
import Providers

/// What a platform administrator lets operators run (from `PlatformConfig.Operators`).
public struct OperatorSettings: Sendable {
    public var cliExecutables: [String]
    public var mcpStdioCommands: [String]
    public var cliMaxSeconds: Int
    public var cliMaxOutputBytes: Int

    public init(cliExecutables: [String] = [], mcpStdioCommands: [String] = [], cliMaxSeconds: Int = 60, cliMaxOutputBytes: Int = 1 << 20) {
        self.cliExecutables = cliExecutables
        self.mcpStdioCommands = mcpStdioCommands
        self.cliMaxSeconds = cliMaxSeconds
        self.cliMaxOutputBytes = cliMaxOutputBytes
    }
}

/// One run of an operator version.
struct OperatorCall: Sendable {
    var version: StoredVersion
    /// The input (an object): the test call's `params`, a node's rendered `params`.
    var input: JSONValue
    var asset: MediaAssetFile?
    var tenantID: UUID
}

/// A file a run produced (frames, keyframes), in `OperatorOutcome.workDirectory`.
struct ProducedFile: Sendable {
    var path: String
    var filename: String
    var contentType: String
    /// What is known about it (a frame's timestamp).
    var info: JSONValue
}

struct OperatorOutcome: Sendable {
    var output: JSONValue
    var files: [ProducedFile] = []
    /// A temporary folder the caller removes once it has kept what it wants.
    var workDirectory: String?
    var diagnostics: [String: JSONValue] = [:]
}

/// Why a run did not produce an output.
enum OperatorRunFailure: Error, CustomStringConvertible {
    /// The input does not match the version's `input_schema` (by field path).
    case invalidInput([String: String])
    /// The execution failed (the mode's message).
    case failed(String)

    var description: String {
        switch self {
        case .invalidInput(let fields): "the input does not match the input_schema: " + fields.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "; ")
        case .failed(let message): message
        }
    }
}

/// The result `POST /operators/{id}/test` answers and a node reports.
struct OperatorRunReport: Sendable {
    var success: Bool
    var message: String
    var output: JSONValue
    var diagnostics: [String: JSONValue]
    var outcome: OperatorOutcome?
}

/// Runs operator versions in each execution mode: input checked against `input_schema`,
/// output against `output_spec`.
struct OperatorRunner: Sendable {
    let database: Database
    let targets: OutboundTargetPolicy
    let client: HTTPClient
    let providers: ProviderRegistry
    let settings: OperatorSettings
    let storage: any BlobStorage
    let mcp: MCPServers

    /// Problems with `input` under the version's `input_schema`, by `params.<path>`.
    static func inputProblems(_ version: StoredVersion, _ input: JSONValue) -> [String: String] {
        guard let schema = version.inputSchema else { return [:] }
        return Dictionary(
            JSONSchema(schema).validate(input).map { ("params" + ($0.path.isEmpty ? "" : ".\($0.path)"), $0.message) }, uniquingKeysWith: { a, _ in a })
    }

    /// Runs the call; a bad input throws `invalidInput`, anything else becomes the report.
    func run(_ call: OperatorCall) async throws -> OperatorRunReport {
        let problems = Self.inputProblems(call.version, call.input)
        if !problems.isEmpty { throw OperatorRunFailure.invalidInput(problems) }
        let started = ContinuousClock.now
        var diagnostics: [String: JSONValue] = [
            "exec_mode": .string(call.version.execMode.rawValue), "version": .string(call.version.version),
            "version_id": .string(call.version.id.uuidString.lowercased()),
        ]
        func elapsed() -> JSONValue { .int(Int64(Self.milliseconds(ContinuousClock.now - started))) }
        let outcome: OperatorOutcome
        do {
            outcome = try await execute(call)
        } catch is CancellationError {
            throw CancellationError()
        } catch let failure as OperatorRunFailure {
            diagnostics["duration_ms"] = elapsed()
            return OperatorRunReport(success: false, message: failure.description, output: .null, diagnostics: diagnostics)
        } catch {
            diagnostics["duration_ms"] = elapsed()
            return OperatorRunReport(success: false, message: "the operator failed: \(error)", output: .null, diagnostics: diagnostics)
        }
        diagnostics["duration_ms"] = elapsed()
        for (key, value) in outcome.diagnostics { diagnostics[key] = value }
        if !outcome.files.isEmpty { diagnostics["files"] = .int(Int64(outcome.files.count)) }
        if let spec = call.version.outputSpec {
            let wrong = JSONSchema(spec).validate(outcome.output)
            if !wrong.isEmpty {
                diagnostics["output_problems"] = .array(wrong.prefix(50).map { .string($0.description) })
                return OperatorRunReport(
                    success: false, message: "the output does not match the output_spec: \(wrong.prefix(3).map(\.description).joined(separator: "; "))",
                    output: outcome.output, diagnostics: diagnostics, outcome: outcome)
            }
        }
        return OperatorRunReport(success: true, message: "ok", output: outcome.output, diagnostics: diagnostics, outcome: outcome)
    }

    func execute(_ call: OperatorCall) async throws -> OperatorOutcome {
        let settings = ExecConfigRules.settings(call.version.execConfig, call.version.execMode)
        switch call.version.execMode {
        case .http: return try await runHTTP(settings, call)
        case .mcp: return try await runMCP(settings, call)
        case .aiModel: return try await runModel(settings, call)
        case .cli: return try await runCLI(settings, call)
        case .builtin: return try await runBuiltin(settings, call)
        }
    }

    /// What templates see: `params` and `input` (the input), `asset` (id, name, type).
    static func scope(_ call: OperatorCall) -> [String: JSONValue] {
        var scope: [String: JSONValue] = ["params": call.input, "input": call.input]
        if let asset = call.asset {
            scope["asset"] = ["id": .string(asset.id.uuidString.lowercased()), "name": .string(asset.name), "type": .string(asset.assetType)]
        }
        return scope
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }

    /// A tool's or a program's text as JSON when it is JSON, else as `{"text": ...}`.
    static func parsed(_ text: String) -> JSONValue {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let first = trimmed.first, first == "{" || first == "[", let value = try? JSONDecoder().decode(JSONValue.self, from: Data(trimmed.utf8)) {
            return value
        }
        return ["text": .string(text)]
    }
}
