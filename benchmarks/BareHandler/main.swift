// The driver's floor for benchmarks/http-rls.sh: a bare Hummingbird handler that runs one
// plain, unscoped 20-row SELECT through PostgresNIO and returns it as JSON. No middleware,
// no authentication, no row-level security, no transaction.
import Foundation
import Hummingbird
import Logging
import PostgresNIO

struct Row: Codable, Sendable {
    var id: UUID
    var name: String
    var prefix: String
    var scopes: [String]
    var expiresAt: Date?
    var lastUsedAt: Date?
    var revokedAt: Date?
    var createdAt: Date
}

struct Rows: Codable, Sendable, ResponseEncodable {
    var items: [Row]
}

let environment = ProcessInfo.processInfo.environment
guard let url = environment["BENCH_DATABASE_URL"].flatMap(URLComponents.init(string:)),
    let host = url.host, let user = url.user, let tenant = environment["BENCH_TENANT_ID"].flatMap(UUID.init(uuidString:)),
    let owner = environment["BENCH_USER_ID"].flatMap(UUID.init(uuidString:))
else {
    print("set BENCH_DATABASE_URL, BENCH_TENANT_ID and BENCH_USER_ID")
    exit(2)
}
var configuration = PostgresClient.Configuration(
    host: host, port: url.port ?? 5432, username: user, password: url.password,
    database: String(url.path.dropFirst()), tls: .disable)
configuration.options.maximumConnections = Int(environment["BENCH_POOL_SIZE"] ?? "") ?? 20
let logger = Logger(label: "bare-handler")
let client = PostgresClient(configuration: configuration, backgroundLogger: logger)

let router = Router()
router.get("/rows") { _, _ -> Rows in
    let rows = try await client.query(
        """
        SELECT id, name, prefix, scopes, expires_at, last_used_at, revoked_at, created_at FROM bench_plain_api_keys
        WHERE tenant_id = \(tenant) AND user_id = \(owner) ORDER BY created_at DESC, id DESC LIMIT 20
        """)
    var items: [Row] = []
    for try await (id, name, prefix, scopes, expires, used, revoked, created) in rows.decode((UUID, String, String, [String], Date?, Date?, Date?, Date).self) {
        items.append(Row(id: id, name: name, prefix: prefix, scopes: scopes, expiresAt: expires, lastUsedAt: used, revokedAt: revoked, createdAt: created))
    }
    return Rows(items: items)
}
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: Int(environment["BENCH_PORT"] ?? "") ?? 8090)),
    services: [client], logger: logger)
try await app.runService()
