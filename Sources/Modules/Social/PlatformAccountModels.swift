import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

enum PlatformAccountStatus: String, Codable, Sendable, SchemaEnum, CaseIterable {
    case active, inactive, suspended, banned, expired
}

/// A platform account as stored (`PlatformAccountStore.columns`): `used_today` is already the
/// count of the tenant's current day (0 when the last use was on an earlier day).
struct StoredPlatformAccount: Decodable, Sendable {
    var id: UUID
    var platform: String
    var name: String
    var credentialsMasked: JSONValue
    var proxy: String?
    var status: PlatformAccountStatus
    var dailyLimit: Int?
    var usedToday: Int
    var lastUsedAt: Date?
    var createdAt: Date
    var updatedAt: Date
}

/// The short-video seed's `PlatformAccount`: credentials masked, with the computed
/// `is_available` and `remaining_quota` (null when the account has no daily limit).
struct PlatformAccountView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var platform: String
    var name: String
    var credentials: JSONValue
    var proxy: String?
    var status: PlatformAccountStatus
    var dailyLimit: Int?
    var usedToday: Int
    var lastUsedAt: Date?
    var createdAt: Date
    var updatedAt: Date
    var isAvailable: Bool
    var remainingQuota: Int?

    init(_ account: StoredPlatformAccount) {
        id = account.id
        platform = account.platform
        name = account.name
        credentials = account.credentialsMasked
        proxy = account.proxy.map(CredentialMask.proxy)
        status = account.status
        dailyLimit = account.dailyLimit
        usedToday = account.usedToday
        lastUsedAt = account.lastUsedAt
        createdAt = account.createdAt
        updatedAt = account.updatedAt
        remainingQuota = account.dailyLimit.map { max($0 - account.usedToday, 0) }
        isAvailable = account.status == .active && (remainingQuota ?? 1) > 0
    }

    enum CodingKeys: String, CodingKey {
        case id, platform, name, credentials, proxy, status, dailyLimit, usedToday, lastUsedAt, createdAt, updatedAt, isAvailable, remainingQuota
    }

    /// The seed's optional fields are answered as null rather than left out.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(platform, forKey: .platform)
        try container.encode(name, forKey: .name)
        try container.encode(credentials, forKey: .credentials)
        try container.encode(proxy, forKey: .proxy)
        try container.encode(status, forKey: .status)
        try container.encode(dailyLimit, forKey: .dailyLimit)
        try container.encode(usedToday, forKey: .usedToday)
        try container.encode(lastUsedAt, forKey: .lastUsedAt)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(isAvailable, forKey: .isAvailable)
        try container.encode(remainingQuota, forKey: .remainingQuota)
    }
}

/// `PlatformAccountCreate` / `PlatformAccountUpdate`. On update a missing field keeps its value;
/// `daily_limit: null` removes the limit and `proxy: null` the proxy. `credentials` replaces the
/// stored object, except that a value equal to its stored mask keeps the stored value (so an
/// answer can be sent back unchanged).
struct PlatformAccountInput: Codable, Sendable {
    var platform: String?
    var name: String?
    var credentials: JSONValue?
    var proxy: String?
    var proxyGiven = false
    var status: PlatformAccountStatus?
    var dailyLimit: Int?
    var dailyLimitGiven = false

    enum CodingKeys: String, CodingKey {
        case platform, name, credentials, proxy, status, dailyLimit
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        platform = try container.decodeIfPresent(String.self, forKey: .platform)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        credentials = try container.decodeIfPresent(JSONValue.self, forKey: .credentials)
        status = try container.decodeIfPresent(PlatformAccountStatus.self, forKey: .status)
        if container.contains(.proxy) {
            proxyGiven = true
            proxy = try container.decodeIfPresent(String.self, forKey: .proxy)
        }
        if container.contains(.dailyLimit) {
            dailyLimitGiven = true
            dailyLimit = try container.decodeIfPresent(Int.self, forKey: .dailyLimit)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(platform, forKey: .platform)
        try container.encodeIfPresent(name, forKey: .name)
        try container.encodeIfPresent(credentials, forKey: .credentials)
        try container.encodeIfPresent(status, forKey: .status)
        if proxyGiven { try container.encode(proxy, forKey: .proxy) }
        if dailyLimitGiven { try container.encode(dailyLimit, forKey: .dailyLimit) }
    }

    /// Every problem of the input, by field.
    func problems(creating: Bool) -> [String: String] {
        var problems: [String: String] = [:]
        if creating || platform != nil {
            let text = PlatformAccountInput.normalizedPlatform(platform ?? "")
            if text.wholeMatch(of: /[a-z0-9][a-z0-9_.-]{0,49}/) == nil { problems["platform"] = "must be 1-50 letters, digits or _ . - (e.g. youtube)" }
        }
        if creating || name != nil {
            let text = (name ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if !(1...200).contains(text.count) { problems["name"] = "must be 1-200 characters" }
        }
        if let credentials {
            if case .object = credentials {
                if let data = try? JSONEncoder().encode(credentials), data.count > 64 * 1024 { problems["credentials"] = "must be at most 64 KB of JSON" }
            } else {
                problems["credentials"] = "must be an object"
            }
        }
        if let proxy {
            guard proxy.count <= 2000, let url = URL(string: proxy), let scheme = url.scheme?.lowercased(),
                ["http", "https", "socks5", "socks5h", "socks4"].contains(scheme), url.host != nil
            else {
                problems["proxy"] = "must be a proxy URL such as http://host:3128 or socks5://user:password@host:1080"
                return problems
            }
        }
        if let dailyLimit, !(0...10_000_000).contains(dailyLimit) { problems["daily_limit"] = "must be from 0 to 10000000, or null for no limit" }
        return problems
    }

    static func normalizedPlatform(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }
}

/// `PlatformAccountUsageReset`: the count to set (0 when absent).
struct UsageResetInput: Codable, Sendable {
    var usedToday: Int?
}

struct PlatformAccountQuery: QueryInput {
    var skip: Int?
    var limit: Int?
    var platform: String?
    var status: PlatformAccountStatus?
    static let parameterDocs: [String: QueryParameterDoc] = [
        "skip": .init("Accounts to skip", minimum: 0, maximum: 1_000_000, default: 0),
        "limit": .init("Accounts to return", minimum: 1, maximum: 1000, default: 100),
        "platform": .init("Only accounts of this platform (e.g. youtube)", maxLength: 50),
        "status": .init("Only accounts in this status"),
    ]
}

struct DeletedPlatformAccount: Codable, Sendable, ResponseEncodable {
    var message: String
    var id: UUID
}

/// Masking of what answers show of secrets.
enum CredentialMask {
    /// Keys kept at every level; each value becomes `****` and, when it has at least 8
    /// characters, its last 4 (shorter values would be given away by their last 4).
    static func mask(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let fields): .object(fields.mapValues(mask))
        case .array(let items): .array(items.map(mask))
        case .null: .null
        case .string(let value): .string(maskedText(value))
        case .bool(let flag): .string(maskedText(String(flag)))
        case .int(let number): .string(maskedText(String(number)))
        case .double(let number): .string(maskedText(String(number)))
        }
    }

    static func maskedText(_ value: String) -> String {
        value.count >= 8 ? "****" + value.suffix(4) : "****"
    }

    /// A proxy URL with its password masked.
    static func proxy(_ text: String) -> String {
        guard var parts = URLComponents(string: text), parts.password != nil else { return text }
        parts.password = "****"
        return parts.string ?? "****"
    }

    /// `given` with every value that equals the mask of the stored value at the same place
    /// replaced by the stored value.
    static func restore(_ given: JSONValue, stored: JSONValue?) -> JSONValue {
        guard let stored else { return given }
        switch (given, stored) {
        case (.object(let fields), .object(let old)):
            return .object(Dictionary(uniqueKeysWithValues: fields.map { key, value in (key, restore(value, stored: old[key])) }))
        case (.array(let items), .array(let old)):
            return .array(items.enumerated().map { index, item in restore(item, stored: index < old.count ? old[index] : nil) })
        case (.string(let text), _) where stored != .null && mask(stored) == .string(text):
            return stored
        default:
            return given
        }
    }
}

extension APIError {
    static var platformAccountNotFound: APIError { .notFound("Platform account", code: "PLATFORM_ACCOUNT_NOT_FOUND") }
    static var platformAccountNameTaken: APIError {
        .conflict("This platform already has an account of that name in this tenant", code: "PLATFORM_ACCOUNT_EXISTS")
    }
    static var socialSecretsNotConfigured: APIError {
        APIError(
            .serviceUnavailable, code: "SECRETS_NOT_CONFIGURED", message: "No secrets key is configured, so credentials cannot be stored",
            hint: "Set SECRETS_KEY (32 bytes, base64) or JWT_SECRET")
    }
}
