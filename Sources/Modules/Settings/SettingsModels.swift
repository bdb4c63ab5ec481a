import Foundation
import Hummingbird
import PlatformHTTP
import PlatformServices
import PlatformSupport

enum SettingType: String, Codable, Sendable, SchemaEnum, CaseIterable { case string, int, bool, json }

/// A typed tenant setting as served, and as a row: `SettingsStore.columns`.
struct Setting: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var key: String
    var type: SettingType
    var value: JSONValue
    var description: String?
    var createdAt: Date
    var updatedAt: Date
}

struct CreateSetting: Codable, Sendable {
    var key: String
    var value: JSONValue
    var type: SettingType?
    var description: String?
}

struct UpdateSetting: Codable, Sendable {
    var value: JSONValue?
    var type: SettingType?
    var description: String?
}

struct General: Codable, Sendable, ResponseEncodable {
    var appName: String
    var language: String
    var timezone: String
}

enum Theme: String, Codable, Sendable, SchemaEnum, CaseIterable { case light, dark, auto }

struct ThemeInput: Codable, Sendable {
    var theme: Theme?
    var accentColor: String?
}

/// A member's theme as served, and as a row of `user_preferences`.
struct ThemeView: Codable, Sendable, ResponseEncodable {
    var theme: Theme
    var accentColor: String?
    var updatedAt: Date?
}

struct Integrations: Codable, Sendable, ResponseEncodable {
    var integrations: [IntegrationState]
}

/// What a setting's value may be, by its type and, for the general settings, by its key.
enum SettingRules {
    /// Why `value` is not a `type` (or not acceptable for a well-known key); nil when it is.
    static func problem(key: String, type: SettingType, value: JSONValue) -> String? {
        switch (type, value) {
        case (.string, .string(let text)):
            if text.count > 10_000 { return "must be at most 10000 characters" }
        case (.int, .int): break
        case (.int, .double(let number)) where number.rounded() == number && abs(number) < 9e15: break
        case (.bool, .bool): break
        case (.json, _):
            if let data = try? JSONEncoder().encode(value), data.count > 100_000 { return "must be at most 100 KB of JSON" }
        case (.string, _): return "must be a string for type string"
        case (.int, _): return "must be an integer for type int"
        case (.bool, _): return "must be true or false for type bool"
        }
        switch key {
        case "app_name":
            guard type == .string, case .string(let text) = value, (1...100).contains(text.count) else { return "app_name is a string of 1-100 characters" }
        case "language":
            guard type == .string, case .string(let text) = value, text.wholeMatch(of: /[a-z]{2,3}(-[A-Za-z0-9]{2,8})*/) != nil else {
                return "language is a language tag such as en or pt-BR"
            }
        case "timezone":
            guard type == .string, case .string(let text) = value, TimeZone(identifier: text) != nil else { return "timezone is an IANA time zone such as Europe/Berlin" }
        default: break
        }
        return nil
    }

    static func normalized(_ type: SettingType, _ value: JSONValue) -> JSONValue {
        if type == .int, case .double(let number) = value { return .int(Int64(number)) }
        return value
    }

    static func inferred(_ value: JSONValue) -> SettingType {
        switch value {
        case .string: .string
        case .int: .int
        case .bool: .bool
        default: .json
        }
    }
}

extension APIError {
    static var settingNotFound: APIError { .notFound("Setting", code: "SETTING_NOT_FOUND") }
    static func settingExists(_ key: String) -> APIError {
        .conflict("A setting '\(key)' exists; change it with PUT /api/v1/settings/{id}", code: "SETTING_EXISTS")
    }
}
