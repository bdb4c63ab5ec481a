import Configuration
import Foundation
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import PlatformSupport
import Testing

@Suite("Paging parameters")
struct PagingTests {
    @Test func defaults() throws {
        #expect(try PageRequest(query: [:]) == PageRequest(limit: 20, offset: 0))
    }

    @Test func aliases() throws {
        #expect(try PageRequest(query: ["skip": "40", "limit": "10"]) == PageRequest(limit: 10, offset: 40))
        #expect(try PageRequest(query: ["page": "3", "per_page": "25"]) == PageRequest(limit: 25, offset: 50))
    }

    @Test(arguments: [
        (["limit": "0"], "limit"), (["limit": "101"], "limit"), (["limit": "abc"], "limit"),
        (["offset": "-1"], "offset"), (["offset": "1.5"], "offset"), (["skip": "-3"], "skip"),
        (["page": "0"], "page"), (["per_page": "500"], "per_page"),
    ])
    func rejectsBadValues(query: [String: String], field: String) throws {
        let error = #expect(throws: APIError.self) { try PageRequest(query: query) }
        #expect(error?.status == .unprocessableContent)
        #expect(error?.code == "VALIDATION_ERROR")
        #expect(error?.details?["fields"]?[field] != nil)
    }

    @Test func everyBadFieldIsNamed() throws {
        let error = #expect(throws: APIError.self) { try PageRequest(query: ["limit": "x", "offset": "-2"]) }
        #expect(error?.details?["fields"]?["limit"] != nil)
        #expect(error?.details?["fields"]?["offset"] != nil)
    }

    @Test func envelope() {
        let page = Page(items: [1, 2, 3], total: 10, request: PageRequest(limit: 3, offset: 6))
        #expect(page.hasMore)
        let last = Page(items: [10], total: 10, request: PageRequest(limit: 3, offset: 9))
        #expect(!last.hasMore)
    }
}

@Suite("Configuration")
struct ConfigurationTests {
    func load(_ environment: [String: String]) async throws -> PlatformConfig {
        try await PlatformConfig.load(environment: environment)
    }

    @Test func defaults() async throws {
        let config = try await load([:])
        #expect(config.http.port == 8080)
        #expect(config.database.url == nil)
        #expect(config.database.poolSize == 20)
        #expect(config.jwt.accessTokenTTL == 900)
    }

    @Test func readsDatabaseURL() async throws {
        let config = try await load(["DATABASE_URL": "postgres://app:s%40cret@db.example:6543/main?sslmode=require", "HTTP_PORT": "9000"])
        #expect(config.database.url == DatabaseURL(host: "db.example", port: 6543, username: "app", password: "s@cret", database: "main", sslMode: .require))
        #expect(config.http.port == 9000)
    }

    @Test(arguments: [
        (["HTTP_PORT": "eighty"], "HTTP_PORT"),
        (["HTTP_PORT": "70000"], "HTTP_PORT"),
        (["DATABASE_URL": "mysql://x@y/z"], "DATABASE_URL"),
        (["DATABASE_URL": "postgres://user@host"], "DATABASE_URL"),
        (["DATABASE_URL": "postgres://user@host/db?sslmode=sometimes"], "DATABASE_URL"),
        (["DATABASE_POOL_SIZE": "0"], "DATABASE_POOL_SIZE"),
        (["JWT_SECRET": "short"], "JWT_SECRET"),
        (["LOG_LEVEL": "loud"], "LOG_LEVEL"),
    ])
    func wrongValueNamesTheVariable(environment: [String: String], variable: String) async throws {
        do {
            _ = try await load(environment)
            Issue.record("expected a configuration error for \(environment)")
        } catch let error as ConfigurationError {
            #expect(error.message.hasPrefix(variable), "\(error.message)")
            #expect(!error.message.contains("\n"))
        }
    }

    @Test func fileValuesAreOverriddenByEnvironment() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("platform-config-\(UUID().uuidString).json")
        try #"{"http": {"port": 7001, "host": "0.0.0.0"}}"#.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let fromFile = try await load(["PLATFORM_CONFIG_FILE": file.path])
        #expect(fromFile.http.port == 7001)
        #expect(fromFile.http.host == "0.0.0.0")
        let overridden = try await load(["PLATFORM_CONFIG_FILE": file.path, "HTTP_PORT": "7002"])
        #expect(overridden.http.port == 7002)
    }
}

@Suite("JSON conventions")
struct JSONConventionTests {
    struct Sample: Codable, Equatable {
        var userId: UUID
        var createdAt: Date
        var displayName: String?
    }

    @Test func snakeCaseAndRFC3339() throws {
        let sample = Sample(userId: UUID.v7(), createdAt: Date(timeIntervalSince1970: 1_700_000_000.25), displayName: "A")
        let data = try PlatformJSON.makeEncoder().encode(sample)
        let object = try JSONDecoder().decode(JSONValue.self, from: data)
        #expect(object["created_at"] == "2023-11-14T22:13:20.250Z")
        #expect(object["user_id"]?.stringValue == sample.userId.uuidString)
        #expect(object["display_name"] == "A")
        #expect(try PlatformJSON.makeDecoder().decode(Sample.self, from: data) == sample)
    }

    @Test func uuidV7IsTimeOrdered() {
        let first = UUID.v7(now: Date(timeIntervalSince1970: 1_000))
        let second = UUID.v7(now: Date(timeIntervalSince1970: 1_001))
        #expect(first.uuidString < second.uuidString)
        #expect(Array(first.uuidString)[14] == "7")
    }

    @Test func decodeErrorsNameTheField() throws {
        struct Input: Decodable { var name: String; var maxItems: Int }
        let missing = #expect(throws: APIError.self) { try PlatformRequestDecoder.decode(Input.self, from: Data(#"{"name": "x"}"#.utf8)) }
        #expect(missing?.details?["fields"]?["max_items"] == "is required")
        let mistyped = #expect(throws: APIError.self) { try PlatformRequestDecoder.decode(Input.self, from: Data(#"{"name": 3, "max_items": 1}"#.utf8)) }
        #expect(mistyped?.details?["fields"]?["name"] == "must be a string")
        let broken = #expect(throws: APIError.self) { try PlatformRequestDecoder.decode(Input.self, from: Data("{".utf8)) }
        #expect(broken?.status == .badRequest)
        #expect(broken?.code == "INVALID_JSON")
    }
}

@Suite("Schema inference")
struct SchemaInferenceTests {
    enum Color: String, Codable, CaseIterable, SchemaEnum { case red, green }
    struct Node: Codable {
        var name: String
        var color: Color
        var weight: Double?
        var children: [Node]
        var attributes: [String: JSONValue]
        var createdAt: Date
    }

    @Test func objectSchemaWithRequiredOptionalEnumsAndRecursion() throws {
        let builder = SchemaBuilder()
        let reference = builder.schema(for: Node.self)
        guard case .string(let ref)? = reference["$ref"] else {
            Issue.record("expected a reference")
            return
        }
        let name = String(ref.split(separator: "/").last ?? "")
        let schema = try #require(builder.components[name])
        let properties = try #require(schema["properties"])
        #expect(properties["name"] == ["type": "string"])
        #expect(properties["color"] == ["type": "string", "enum": ["red", "green"]])
        #expect(properties["weight"] == ["type": ["number", "null"]])
        #expect(properties["children"] == ["type": "array", "items": reference])
        #expect(properties["created_at"] == ["type": "string", "format": "date-time"])
        #expect(schema["required"] == ["name", "color", "children", "attributes", "created_at"])
    }
}
