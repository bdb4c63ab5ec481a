import AsyncHTTPClient
import Foundation
import Synchronization
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix

/// Per-provider connection settings.
public struct ProviderSettings: Sendable {
    public var baseURL: String
    public var apiKey: String?
    /// Until the response head arrives (covers a slow first byte).
    public var firstByteTimeout: Duration
    /// The whole call, stream included.
    public var totalTimeout: Duration
    public var maxRetries: Int
    public var retryBase: Duration

    public init(baseURL: String, apiKey: String? = nil, firstByteTimeout: Duration = .seconds(30), totalTimeout: Duration = .seconds(300), maxRetries: Int = 2, retryBase: Duration = .milliseconds(500)) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.apiKey = apiKey
        self.firstByteTimeout = firstByteTimeout
        self.totalTimeout = totalTimeout
        self.maxRetries = maxRetries
        self.retryBase = retryBase
    }
}

/// Requests with retries (429 and 5xx, honouring `Retry-After`) and timeouts; streams bodies.
struct ProviderHTTP: Sendable {
    let settings: ProviderSettings
    let client: HTTPClient
    let headers: [(String, String)]

    /// Sends `body` to `path` and returns the response once its head is in (retrying before
    /// any byte of a successful answer is read).
    func send(_ method: HTTPMethod, _ path: String, json body: Data?) async throws -> HTTPClientResponse {
        var attempt = 0
        while true {
            var request = HTTPClientRequest(url: settings.baseURL + path)
            request.method = method
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            let response: HTTPClientResponse
            let prepared = request
            do {
                response = try await withDeadline(settings.firstByteTimeout, "no response within \(settings.firstByteTimeout)") {
                    try await client.execute(prepared, timeout: .seconds(Int64(settings.totalTimeout.components.seconds)))
                }
            } catch let error as HTTPClientError where attempt < settings.maxRetries && Self.isTransient(error) {
                attempt += 1
                try await Task.sleep(for: backoff(attempt))
                continue
            } catch ProviderError.timeout(let message) {
                // The client keeps retrying a refused connection until the deadline: tell a
                // provider that is down from one that is slow.
                if await !Self.acceptsConnections(settings.baseURL) {
                    throw ProviderError.unavailable("nothing accepts connections at the provider's address")
                }
                throw ProviderError.timeout(message)
            }
            let status = Int(response.status.code)
            if status == 429 || (500...599).contains(status) {
                if attempt < settings.maxRetries {
                    attempt += 1
                    let wait = Self.retryAfter(response.headers.first(name: "Retry-After")) ?? backoff(attempt)
                    // Drain and drop the error body before waiting.
                    _ = try? await response.body.collect(upTo: 64 * 1024)
                    try await Task.sleep(for: min(wait, .seconds(60)))
                    continue
                }
            }
            guard (200..<300).contains(status) else {
                let text = (try? await response.body.collect(upTo: 64 * 1024)).map { String(buffer: $0) } ?? ""
                throw ProviderError.http(status: status, message: Self.errorMessage(text) ?? "HTTP \(status)")
            }
            return response
        }
    }

    /// Whether a TCP connection to the URL's host and port opens within two seconds.
    static func acceptsConnections(_ url: String) async -> Bool {
        guard let parsed = URL(string: url), let host = parsed.host else { return false }
        let port = parsed.port ?? (parsed.scheme?.lowercased() == "https" ? 443 : 80)
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(2)).connect(host: host, port: port).get()
            try? await channel.close().get()
            return true
        } catch {
            return false
        }
    }

    func backoff(_ attempt: Int) -> Duration {
        settings.retryBase * (1 << min(attempt - 1, 10)) * Double.random(in: 0.8...1.2)
    }

    static func isTransient(_ error: HTTPClientError) -> Bool {
        switch error {
        case .connectTimeout, .remoteConnectionClosed, .readTimeout: true
        default: false
        }
    }

    static func retryAfter(_ value: String?) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), let seconds = Double(value), seconds >= 0 else { return nil }
        return .milliseconds(Int(seconds * 1000))
    }

    /// The `error.message` (OpenAI) or `error` (Ollama) of an error body.
    static func errorMessage(_ text: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return text.isEmpty ? nil : String(text.prefix(500)) }
        if let error = object["error"] as? [String: Any], let message = error["message"] as? String { return message }
        if let error = object["error"] as? String { return error }
        return String(text.prefix(500))
    }

    /// Reads a whole JSON body (up to 16 MiB).
    func json(_ response: HTTPClientResponse) async throws -> Data {
        let buffer = try await withDeadline(settings.totalTimeout, "the answer took longer than \(settings.totalTimeout)") {
            try await response.body.collect(upTo: 16 << 20)
        }
        return Data(buffer: buffer)
    }
}

/// Runs `body`, or fails with `ProviderError.timeout` once `limit` passes. The caller gets
/// control back at the deadline even if `body` ignores cancellation (a read blocked on a
/// pipe): `body` is cancelled and left to finish on its own.
func withDeadline<T: Sendable>(_ limit: Duration, _ message: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let race = DeadlineRace<T>()
    do {
        return try await raceDeadline(race, limit, message, body)
    } catch {
        // A cancelled caller hears of its cancellation, whichever of the deadline, the body's
        // own error and the cancellation was recorded first.
        if Task.isCancelled { throw CancellationError() }
        throw error
    }
}

private func raceDeadline<T: Sendable>(
    _ race: DeadlineRace<T>, _ limit: Duration, _ message: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.start(continuation)
            let worker = Task {
                do { race.finish(.success(try await body())) } catch { race.finish(.failure(error)) }
            }
            let timer = Task {
                try? await Task.sleep(for: limit)
                if !Task.isCancelled { race.finish(.failure(ProviderError.timeout(message))) }
            }
            race.track(worker: worker, timer: timer)
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// The shared state of one `withDeadline`: the continuation, resumed exactly once.
final class DeadlineRace<T: Sendable>: Sendable {
    private let waiting = Mutex<CheckedContinuation<T, any Error>?>(nil)
    private let tasks = Mutex<(worker: Task<Void, Never>?, timer: Task<Void, Never>?, finished: Bool)>((nil, nil, false))

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        waiting.withLock { $0 = continuation }
    }

    func track(worker: Task<Void, Never>, timer: Task<Void, Never>) {
        let finished = tasks.withLock { state -> Bool in
            state.worker = worker
            state.timer = timer
            return state.finished
        }
        if finished { timer.cancel() }
    }

    func finish(_ result: Result<T, any Error>) {
        guard let continuation = waiting.withLock({ current -> CheckedContinuation<T, any Error>? in
            defer { current = nil }
            return current
        }) else { return }
        let (worker, timer) = tasks.withLock { state -> (Task<Void, Never>?, Task<Void, Never>?) in
            state.finished = true
            return (state.worker, state.timer)
        }
        timer?.cancel()
        if case .failure = result { worker?.cancel() }
        continuation.resume(with: result)
    }
}

/// Splits a byte stream into lines, whatever the chunk boundaries (mid-line, mid-UTF-8).
struct LineSplitter {
    private var pending: [UInt8] = []

    /// Complete lines in `chunk` (without their `\n` or `\r\n`).
    mutating func lines(_ chunk: ByteBuffer) -> [String] {
        pending.append(contentsOf: chunk.readableBytesView)
        var lines: [String] = []
        var start = 0
        for index in pending.indices where pending[index] == UInt8(ascii: "\n") {
            var end = index
            if end > start && pending[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            lines.append(String(decoding: pending[start..<end], as: UTF8.self))
            start = index + 1
        }
        pending.removeFirst(start)
        return lines
    }

    /// What is left when the stream ends.
    mutating func finish() -> String? {
        defer { pending.removeAll() }
        return pending.isEmpty ? nil : String(decoding: pending, as: UTF8.self)
    }
}
