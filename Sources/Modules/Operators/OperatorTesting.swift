import Foundation
import Hummingbird
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport

/// `POST /operators/{id}/test`: `{asset_id?, params?, version_id?}`.
struct TestInput: Codable, Sendable {
    var assetId: UUID?
    var params: JSONValue?
    var versionId: UUID?
}

/// `{success, message, output, diagnostics: {duration_ms, exec_mode, version, ...}}`.
struct TestResult: Codable, Sendable, ResponseEncodable {
    var success: Bool
    var message: String
    var output: JSONValue
    var diagnostics: JSONValue
}

extension OperatorController {
    func test(_ request: Request, _ context: AuthenticatedContext) async throws -> TestResult {
        let id = try context.pathUUID("id", or: .operatorNotFound)
        let input = try await request.decodeIfPresent(as: TestInput.self, context: context) ?? TestInput()
        let params = input.params ?? [:]
        guard case .object = params else { throw APIError.validation(["params": "must be an object"]) }
        let tenantID = context.principal.tenantID
        let (version, asset) = try await database.withTenant(context.tenant) { tx -> (StoredVersion, MediaAssetFile?) in
            let stored = try await find(id, context, in: tx)
            let version: StoredVersion
            if let versionID = input.versionId {
                guard let named = try await store.version(versionID, operatorID: id, tenantID: tenantID, in: tx) else { throw APIError.versionNotFound }
                version = named
            } else {
                guard let activeID = stored.activeVersionId, let active = try await store.version(activeID, operatorID: id, tenantID: tenantID, in: tx) else {
                    throw APIError.operatorHasNoActiveVersion
                }
                version = active
            }
            var asset: MediaAssetFile?
            if let assetID = input.assetId {
                guard let found = try await assets.asset(assetID, tenantID: tenantID, in: tx) else {
                    throw APIError.validation(["asset_id": "names no asset of this tenant"])
                }
                asset = found
            }
            return (version, asset)
        }
        if version.execMode == .builtin && asset == nil { throw APIError.validation(["asset_id": "is required: builtin operators run on an asset"]) }
        let report: OperatorRunReport
        do {
            report = try await runner.run(OperatorCall(version: version, input: params, asset: asset, tenantID: tenantID))
        } catch OperatorRunFailure.invalidInput(let fields) {
            throw APIError.validation(fields, message: "The params do not match the operator's input_schema")
        }
        if let directory = report.outcome?.workDirectory { try? FileManager.default.removeItem(atPath: directory) }
        if report.success {
            try await database.withTenant(context.tenant) { tx in try await store.markTested(version.id, tenantID: tenantID, in: tx) }
        }
        return TestResult(success: report.success, message: report.message, output: report.output, diagnostics: .object(report.diagnostics))
    }
}
