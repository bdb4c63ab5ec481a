import Configuration
import Foundation
import Logging
import PlatformDatabase
import PlatformSupport
import SystemPackage
import TaskEngine

/// Everything the platform reads from its environment (and the optional JSON file named by
/// `PLATFORM_CONFIG_FILE`; environment variables win).
public struct PlatformConfig: Sendable {
    public struct HTTP: Sendable {
        public var host: String
        public var port: Int
        /// Swagger UI's and Redoc's files for `/docs` and `/redoc` (offline); nil: a CDN.
        public var docsAssetsDirectory: String? = nil
    }

    public struct DatabaseSettings: Sendable {
        /// The runtime role's connection. Nil means: run a private local cluster.
        public var url: DatabaseURL?
        /// The owner role's connection, for migrations. Nil means `serve` does not migrate.
        public var migrationURL: DatabaseURL?
        public var poolSize: Int
    }

    public struct JWT: Sendable {
        public var secret: String?
        /// PEM file of an EC P-256 private key: tokens are then ES256 and the JWKS is published.
        public var privateKeyFile: String?
        public var issuer: String
        public var audience: String
        public var accessTokenTTL: Int
        public var refreshTokenTTL: Int
        public var leewaySeconds: Int
    }

    public struct Passwords: Sendable {
        public var argon2MemoryKiB: Int
        public var argon2Iterations: Int
        public var argon2Parallelism: Int
    }

    public struct Login: Sendable {
        public var maxAccountFailures: Int
        public var maxAddressFailures: Int
        public var lockoutSeconds: Int
    }

    public struct GitHubOAuth: Sendable {
        public var clientID: String?
        public var clientSecret: String?
        public var authorizeURL: String
        public var tokenURL: String
        public var apiURL: String
        /// Tenant code new users signing in through GitHub join, when the request names none.
        public var defaultTenant: String?
    }

    public struct RateLimit: Sendable {
        public var requestsPerMinute: Int
        public var authRequestsPerMinute: Int
        /// Per-minute limits by tenant plan (`RATE_LIMIT_PLANS=free=60,enterprise=6000`).
        public var planRequestsPerMinute: [String: Int]
    }

    public struct Tasks: Sendable {
        /// Handler slots of the worker inside `serve` (0: `serve` runs no worker).
        public var serveWorkerConcurrency: Int
        /// Handler slots of `platform worker`.
        public var workerConcurrency: Int
        public var leaseSeconds: Int
        public var pollIntervalMilliseconds: Int
        public var retryBaseMilliseconds: Int
        public var drainGraceSeconds: Int

        public var engine: TaskEngineSettings {
            TaskEngineSettings(leaseSeconds: leaseSeconds, retryBase: .milliseconds(retryBaseMilliseconds))
        }

        public func worker(concurrency: Int) -> TaskWorker.Settings {
            TaskWorker.Settings(
                concurrency: concurrency, pollInterval: .milliseconds(pollIntervalMilliseconds),
                drainGrace: .seconds(drainGraceSeconds), engine: engine)
        }
    }

    public struct Webhooks: Sendable {
        /// Hosts, IPs or CIDR blocks endpoints may use although they are internal (tests, on-premise receivers).
        public var allowedHosts: [String]
        public var timeoutSeconds: Int
        /// Seconds to wait before each attempt (the first is usually 0); its length is the number of attempts.
        public var retrySchedule: [Double]
        /// An endpoint is disabled after this many failed attempts in a row...
        public var disableAfterFailures: Int
        /// ...spanning at least this long.
        public var disableAfterSeconds: Int
        /// How long the previous secret keeps signing after a rotation.
        public var secretOverlapSeconds: Int
    }

    public struct Files: Sendable {
        public var maxUploadBytes: Int64
        public var tenantQuotaBytes: Int64
        /// How often the blob sweep runs, and how long unreferenced content is kept first.
        public var sweepIntervalSeconds: Int = 3600
        public var sweepGraceSeconds: Int = 86_400
    }

    /// The annotation module (VideoAnnotator's jobs).
    public struct Annotation: Sendable {
        /// Jobs of one tenant running at once; more wait in the queue.
        public var maxConcurrentJobsPerTenant: Int
        public var maxUploadBytes: Int64
        /// `GET /api/v1/debug/mock-events` is served only when this is on.
        public var debugMockEvents: Bool
    }

    public struct Workflows: Sendable {
        /// How long `POST /flows/{id}/execute` waits for a run before answering 202.
        public var syncWaitSeconds: Int
        /// How often each instance looks for due schedules.
        public var schedulerIntervalMilliseconds: Int
        /// Where outside services reach this platform (n8n callbacks); nil: no callbacks.
        public var publicBaseURL: String?
    }

    /// The operator center: what a platform administrator lets operators and MCP servers run.
    public struct Operators: Sendable {
        /// Absolute paths of the executables `cli` operators may run (arguments as a list, no shell).
        public var cliExecutables: [String]
        /// Absolute paths of the executables tenants may start as stdio MCP servers.
        public var mcpStdioCommands: [String]
        /// Upper bound of a `cli` operator's run time.
        public var cliMaxSeconds: Int
        /// A `cli` operator writing more standard output than this is stopped.
        public var cliMaxOutputBytes: Int
    }

    public var http: HTTP
    public var workflows: Workflows
    public var operators: Operators
    public var database: DatabaseSettings
    public var tasks: Tasks
    public var webhooks: Webhooks
    public var files: Files
    public var annotation: Annotation
    public var metrics: Metrics
    public var analysis: Analysis
    /// The social networks' API addresses and publishing settings (SocialConfig.swift).
    public var social = Social()
    /// The key tenant secrets are sealed with (`SECRETS_KEY`, 32 bytes in base64); without it,
    /// one is derived from `JWT_SECRET`.
    public var secretsKey: String?
    /// Days dispatched events stay in `event_log` (SSE resume and task histories reach back this far).
    public var eventLogRetentionDays: Int
    /// The model providers' variables (`OLLAMA_*`, `OPENAI_*`, `ANTHROPIC_*`, `MODEL_*`), read by the Providers library.
    public var providerEnvironment: [String: String] = [:]
    public var jwt: JWT
    public var rateLimit: RateLimit
    public var passwords: Passwords
    public var login: Login
    public var github: GitHubOAuth
    /// The `<env>` in API keys `sk_<env>_...`.
    public var apiKeyEnvironment: String
    public var dataDirectory: String
    public var storageDirectory: String
    public var logLevel: Logger.Level
    public var logFormat: LogFormat

    public typealias LogFormat = PlatformSupport.LogFormat

    /// Reads the configuration from the environment and the optional file.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> PlatformConfig {
        var providers: [any ConfigProvider] = [EnvironmentVariablesProvider(environmentVariables: environment)]
        if let path = environment["PLATFORM_CONFIG_FILE"], !path.isEmpty {
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(path)))
            } catch {
                throw ConfigurationError("PLATFORM_CONFIG_FILE: cannot read \(path) as a JSON configuration file (\(error))")
            }
        }
        var config = try PlatformConfig(reader: ConfigReader(providers: providers))
        config.providerEnvironment = environment.filter { key, _ in
            key.hasPrefix("OLLAMA_") || key.hasPrefix("OPENAI_") || key.hasPrefix("ANTHROPIC_") || key.hasPrefix("MODEL_")
        }
        return config
    }

    public init(reader: ConfigReader) throws {
        let values = Values(reader: reader)
        http = HTTP(
            host: values.string("http.host", env: "HTTP_HOST") ?? "127.0.0.1",
            port: try values.int("http.port", env: "HTTP_PORT", default: 8080, range: 0...65535),
            docsAssetsDirectory: values.string("docs.assets.dir", env: "DOCS_ASSETS_DIR"))
        let url = try values.string("database.url", env: "DATABASE_URL").map { text in
            do { return try DatabaseURL(parsing: text) } catch let error as ConfigurationError { throw ConfigurationError("DATABASE_URL \(error.message)") }
        }
        let migrationURL = try values.string("database.migration.url", env: "DATABASE_MIGRATION_URL").map { text in
            do { return try DatabaseURL(parsing: text) } catch let error as ConfigurationError { throw ConfigurationError("DATABASE_MIGRATION_URL \(error.message)") }
        }
        database = DatabaseSettings(
            url: url, migrationURL: migrationURL,
            poolSize: try values.int("database.pool.size", env: "DATABASE_POOL_SIZE", default: 20, range: 1...1000))
        tasks = Tasks(
            serveWorkerConcurrency: try values.int("tasks.serve.concurrency", env: "TASKS_SERVE_CONCURRENCY", default: 4, range: 0...256),
            workerConcurrency: try values.int("tasks.worker.concurrency", env: "TASKS_WORKER_CONCURRENCY", default: 8, range: 1...256),
            leaseSeconds: try values.int("tasks.lease.seconds", env: "TASKS_LEASE_SECONDS", default: 30, range: 2...3600),
            pollIntervalMilliseconds: try values.int("tasks.poll.ms", env: "TASKS_POLL_MS", default: 2000, range: 10...60_000),
            retryBaseMilliseconds: try values.int("tasks.retry.base.ms", env: "TASKS_RETRY_BASE_MS", default: 2000, range: 1...3_600_000),
            drainGraceSeconds: try values.int("tasks.drain.grace.seconds", env: "TASKS_DRAIN_GRACE_SECONDS", default: 10, range: 0...3600))
        let schedule = values.string("webhook.retry.schedule", env: "WEBHOOK_RETRY_SCHEDULE") ?? "0,5,300,1800,7200,18000,36000,50400,72000,86400"
        let delays = schedule.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !delays.isEmpty, delays.count <= 20, delays.allSatisfy({ $0 != nil && (0...604_800).contains($0 ?? -1) }) else {
            throw ConfigurationError("WEBHOOK_RETRY_SCHEDULE must list 1-20 delays in seconds, e.g. 0,5,300 (got '\(schedule)')")
        }
        webhooks = Webhooks(
            allowedHosts: (values.string("webhook.allowed.hosts", env: "WEBHOOK_ALLOWED_HOSTS") ?? "").split(separator: ",").map(String.init),
            timeoutSeconds: try values.int("webhook.timeout.seconds", env: "WEBHOOK_TIMEOUT_SECONDS", default: 15, range: 1...120),
            retrySchedule: delays.compactMap { $0 },
            disableAfterFailures: try values.int("webhook.disable.after.failures", env: "WEBHOOK_DISABLE_AFTER_FAILURES", default: 50, range: 1...100_000),
            disableAfterSeconds: try values.int("webhook.disable.after.seconds", env: "WEBHOOK_DISABLE_AFTER_SECONDS", default: 5 * 86_400, range: 0...365 * 86_400),
            secretOverlapSeconds: try values.int("webhook.secret.overlap.seconds", env: "WEBHOOK_SECRET_OVERLAP_SECONDS", default: 86_400, range: 0...30 * 86_400))
        files = Files(
            maxUploadBytes: Int64(try values.int("files.max.upload.bytes", env: "FILES_MAX_UPLOAD_BYTES", default: 5 << 30, range: 1...(1 << 42))),
            tenantQuotaBytes: Int64(try values.int("files.tenant.quota.bytes", env: "FILES_TENANT_QUOTA_BYTES", default: 50 << 30, range: 1...(1 << 50))),
            sweepIntervalSeconds: try values.int("storage.sweep.interval.seconds", env: "STORAGE_SWEEP_INTERVAL_SECONDS", default: 3600, range: 10...604_800),
            sweepGraceSeconds: try values.int("storage.sweep.grace.seconds", env: "STORAGE_SWEEP_GRACE_SECONDS", default: 86_400, range: 0...31_536_000))
        annotation = Annotation(
            maxConcurrentJobsPerTenant: try values.int("annotation.max.concurrent.jobs", env: "ANNOTATION_MAX_CONCURRENT_JOBS", default: 2, range: 1...256),
            maxUploadBytes: Int64(try values.int("annotation.max.upload.bytes", env: "ANNOTATION_MAX_UPLOAD_BYTES", default: 5 << 30, range: 1...(1 << 42))),
            debugMockEvents: (values.string("annotation.debug.mock.events", env: "ANNOTATION_DEBUG_MOCK_EVENTS") ?? "false").lowercased() == "true")
        workflows = Workflows(
            syncWaitSeconds: try values.int("flows.sync.wait.seconds", env: "FLOWS_SYNC_WAIT_SECONDS", default: 30, range: 1...300),
            schedulerIntervalMilliseconds: try values.int("workflows.scheduler.ms", env: "WORKFLOW_SCHEDULER_MS", default: 5000, range: 100...600_000),
            publicBaseURL: try Self.publicBaseURL(values.string("public.base.url", env: "PUBLIC_BASE_URL")))
        metrics = try Self.metrics(values)
        analysis = try Self.analysis(values)
        operators = Operators(
            cliExecutables: try Self.executables(values.string("operator.cli.executables", env: "OPERATOR_CLI_EXECUTABLES"), env: "OPERATOR_CLI_EXECUTABLES"),
            mcpStdioCommands: try Self.executables(
                values.string("operator.mcp.stdio.commands", env: "OPERATOR_MCP_STDIO_COMMANDS"), env: "OPERATOR_MCP_STDIO_COMMANDS"),
            cliMaxSeconds: try values.int("operator.cli.max.seconds", env: "OPERATOR_CLI_MAX_SECONDS", default: 60, range: 1...3600),
            cliMaxOutputBytes: try values.int("operator.cli.max.output.bytes", env: "OPERATOR_CLI_MAX_OUTPUT_BYTES", default: 1 << 20, range: 1024...(64 << 20)))
        social = try Self.social(values)
        eventLogRetentionDays = try values.int("event.log.retention.days", env: "EVENT_LOG_RETENTION_DAYS", default: 30, range: 1...3650)
        secretsKey = values.string("secrets.key", env: "SECRETS_KEY", secret: true)
        if let key = secretsKey, Data(base64Encoded: key)?.count != 32 {
            throw ConfigurationError("SECRETS_KEY must be 32 bytes in base64 (e.g. openssl rand -base64 32)")
        }
        let secret = values.string("jwt.secret", env: "JWT_SECRET", secret: true)
        if let secret, secret.utf8.count < 32 {
            throw ConfigurationError("JWT_SECRET must be at least 32 bytes long (got \(secret.utf8.count))")
        }
        jwt = JWT(
            secret: secret,
            privateKeyFile: values.string("jwt.private.key.file", env: "JWT_PRIVATE_KEY_FILE"),
            issuer: values.string("jwt.issuer", env: "JWT_ISSUER") ?? "platform",
            audience: values.string("jwt.audience", env: "JWT_AUDIENCE") ?? "platform-api",
            accessTokenTTL: try values.int("jwt.access.ttl", env: "JWT_ACCESS_TTL", default: 900, range: 30...86_400),
            refreshTokenTTL: try values.int("jwt.refresh.ttl", env: "JWT_REFRESH_TTL", default: 30 * 86_400, range: 300...365 * 86_400),
            leewaySeconds: try values.int("jwt.leeway", env: "JWT_LEEWAY", default: 30, range: 0...300))
        rateLimit = RateLimit(
            requestsPerMinute: try values.int("rate.limit.default", env: "RATE_LIMIT_DEFAULT", default: 600, range: 1...1_000_000),
            authRequestsPerMinute: try values.int("rate.limit.auth", env: "RATE_LIMIT_AUTH", default: 20, range: 1...1_000_000),
            planRequestsPerMinute: try Self.plans(values.string("rate.limit.plans", env: "RATE_LIMIT_PLANS") ?? "free=120,enterprise=6000"))
        passwords = Passwords(
            argon2MemoryKiB: try values.int("argon2.memory.kib", env: "ARGON2_MEMORY_KIB", default: 19_456, range: 1_024...4_194_304),
            argon2Iterations: try values.int("argon2.iterations", env: "ARGON2_ITERATIONS", default: 2, range: 1...64),
            argon2Parallelism: try values.int("argon2.parallelism", env: "ARGON2_PARALLELISM", default: 1, range: 1...64))
        login = Login(
            maxAccountFailures: try values.int("login.max.account.failures", env: "LOGIN_MAX_ACCOUNT_FAILURES", default: 5, range: 1...1000),
            maxAddressFailures: try values.int("login.max.address.failures", env: "LOGIN_MAX_ADDRESS_FAILURES", default: 50, range: 1...100_000),
            lockoutSeconds: try values.int("login.lockout.seconds", env: "LOGIN_LOCKOUT_SECONDS", default: 60, range: 1...86_400))
        github = GitHubOAuth(
            clientID: values.string("github.client.id", env: "GITHUB_CLIENT_ID"),
            clientSecret: values.string("github.client.secret", env: "GITHUB_CLIENT_SECRET", secret: true),
            authorizeURL: values.string("github.authorize.url", env: "GITHUB_AUTHORIZE_URL") ?? "https://github.com/login/oauth/authorize",
            tokenURL: values.string("github.token.url", env: "GITHUB_TOKEN_URL") ?? "https://github.com/login/oauth/access_token",
            apiURL: values.string("github.api.url", env: "GITHUB_API_URL") ?? "https://api.github.com",
            defaultTenant: values.string("oauth.default.tenant", env: "OAUTH_DEFAULT_TENANT"))
        let environmentName = values.string("api.key.environment", env: "API_KEY_ENVIRONMENT") ?? "live"
        guard environmentName.wholeMatch(of: /[a-z0-9]{1,16}/) != nil else {
            throw ConfigurationError("API_KEY_ENVIRONMENT must be 1-16 lowercase letters or digits (got '\(environmentName)')")
        }
        apiKeyEnvironment = environmentName
        dataDirectory = values.string("platform.data.dir", env: "PLATFORM_DATA_DIR") ?? "data"
        storageDirectory = values.string("storage.dir", env: "STORAGE_DIR") ?? "\(dataDirectory)/storage"
        let level = values.string("log.level", env: "LOG_LEVEL") ?? "info"
        guard let parsedLevel = Logger.Level(rawValue: level.lowercased()) else {
            throw ConfigurationError("LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical (got '\(level)')")
        }
        logLevel = parsedLevel
        let format = values.string("log.format", env: "LOG_FORMAT") ?? "text"
        guard let parsedFormat = LogFormat(rawValue: format.lowercased()) else {
            throw ConfigurationError("LOG_FORMAT must be text or json (got '\(format)')")
        }
        logFormat = parsedFormat
    }

    /// An absolute http(s) URL without a trailing slash.
    static func publicBaseURL(_ text: String?) throws -> String? {
        guard let text, !text.isEmpty else { return nil }
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
            throw ConfigurationError("PUBLIC_BASE_URL must be an absolute http(s) URL, such as https://api.example.com")
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    /// A comma-separated list of absolute executable paths.
    static func executables(_ text: String?, env: String) throws -> [String] {
        let entries = (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for entry in entries where !entry.hasPrefix("/") || entry.contains("..") {
            throw ConfigurationError("\(env) must list absolute paths of executables, separated by commas (got '\(entry)')")
        }
        return entries
    }

    static func plans(_ text: String) throws -> [String: Int] {
        var plans: [String: Int] = [:]
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: "=").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, let limit = Int(parts[1]), limit > 0 else {
                throw ConfigurationError("RATE_LIMIT_PLANS must look like free=120,standard=600 (got '\(text)')")
            }
            plans[parts[0]] = limit
        }
        return plans
    }

    /// Typed reads that name the environment variable in every error.
    struct Values {
        let reader: ConfigReader

        func string(_ key: String, env: String, secret: Bool = false) -> String? {
            let configKey = ConfigKey(key.split(separator: ".").map(String.init))
            // A JSON file holds typed values; the environment holds text. Accept either.
            let value = reader.string(forKey: configKey, isSecret: secret)
                ?? reader.int(forKey: configKey).map(String.init)
                ?? reader.double(forKey: configKey).map { String($0) }
                ?? reader.bool(forKey: configKey).map(String.init)
            guard let value, !value.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
            return value
        }

        func int(_ key: String, env: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
            guard let text = string(key, env: env) else { return fallback }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
                throw ConfigurationError("\(env) must be a whole number from \(range.lowerBound) to \(range.upperBound) (got '\(text)')")
            }
            return value
        }
    }
}
