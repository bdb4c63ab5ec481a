import Foundation
import Hummingbird
import PlatformDatabase
import PlatformSupport

struct SystemSettings: Codable, Sendable, ResponseEncodable {
    var debugMode: Bool
    var logLevel: String
    var maxWorkers: Int
    var workerLeaseSeconds: Int
    var rateLimitPerMinute: Int
    var maxUploadBytes: Int64
    var webhookTimeoutSeconds: Int
    var version: String
}

struct ConfigView: Codable, Sendable, ResponseEncodable {
    var settings: [String: JSONValue]
    var definitions: [RuntimeSettings.Definition]
    /// Settings fixed at start-up (environment or config file); secrets are never shown.
    var startup: SystemSettings
}

struct PublicConfig: Codable, Sendable, ResponseEncodable {
    var appName: String
    var announcement: String
    var supportEmail: String
    var authMethods: [String]
    var featureFlags: JSONValue
    var version: String
}

/// The body of `PUT /api/v1/system/config`: an object of setting keys to values, each checked
/// against its definition, so the schema says no more than "an object".
struct RuntimeSettingChanges: Decodable, Sendable, SchemaDescribing {
    var body: JSONValue

    init(from decoder: any Decoder) throws {
        body = try JSONValue(from: decoder)
    }

    static var jsonSchema: JSONValue { ["type": "object"] }
}
