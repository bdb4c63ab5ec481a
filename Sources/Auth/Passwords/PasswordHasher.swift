import CArgon2
import Crypto
import Foundation
import NIOPosix

/// Argon2id password hashing (libargon2), PHC string format. Hashing runs on NIO's blocking
/// thread pool, never on an event loop, and at most `maxConcurrent` at once so that a login
/// flood queues instead of eating every core and all memory.
public final class PasswordHasher: Sendable {
    public struct Parameters: Sendable, Equatable {
        public var memoryKiB: Int
        public var iterations: Int
        public var parallelism: Int

        public init(memoryKiB: Int = 19_456, iterations: Int = 2, parallelism: Int = 1) {
            self.memoryKiB = memoryKiB
            self.iterations = iterations
            self.parallelism = parallelism
        }
    }

    public struct HashingError: Error, CustomStringConvertible {
        public var description: String
    }

    public let parameters: Parameters
    private let limiter: ConcurrencyLimiter
    private let threadPool: NIOThreadPool
    /// Verified against when the user does not exist, so that costs what a wrong password costs.
    private let decoyHash: String

    public init(parameters: Parameters, maxConcurrent: Int = max(1, ProcessInfo.processInfo.activeProcessorCount), threadPool: NIOThreadPool = .singleton) throws {
        self.parameters = parameters
        self.limiter = ConcurrencyLimiter(limit: maxConcurrent)
        self.threadPool = threadPool
        self.decoyHash = try Self.hashNow(Array(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }), parameters: parameters)
    }

    public func hash(_ password: String) async throws -> String {
        let parameters = self.parameters
        return try await run { try Self.hashNow(Array(password.utf8), parameters: parameters) }
    }

    /// True when `password` matches `encoded`. With `encoded == nil` (no such user) a decoy hash
    /// is verified, so the answer takes as long and is always false.
    public func verify(_ password: String, against encoded: String?) async throws -> Bool {
        let target = encoded ?? decoyHash
        let matches = try await run { Self.verifyNow(Array(password.utf8), encoded: target) }
        return encoded != nil && matches
    }

    /// Whether a stored hash was made with weaker parameters than the current ones.
    public func needsRehash(_ encoded: String) -> Bool {
        !encoded.hasPrefix("$argon2id$v=19$m=\(parameters.memoryKiB),t=\(parameters.iterations),p=\(parameters.parallelism)$")
    }

    private func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await limiter.withPermit {
            try await threadPool.runIfActive(work)
        }
    }

    static func hashNow(_ password: [UInt8], parameters: Parameters) throws -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in salt.indices { salt[index] = UInt8.random(in: 0...255, using: &generator) }
        let hashLength = 32
        let length = argon2_encodedlen(
            UInt32(parameters.iterations), UInt32(parameters.memoryKiB), UInt32(parameters.parallelism),
            UInt32(salt.count), UInt32(hashLength), Argon2_id)
        var encoded = [CChar](repeating: 0, count: length)
        let status = password.withUnsafeBytes { passwordBytes in
            salt.withUnsafeBytes { saltBytes in
                argon2id_hash_encoded(
                    UInt32(parameters.iterations), UInt32(parameters.memoryKiB), UInt32(parameters.parallelism),
                    passwordBytes.baseAddress, passwordBytes.count, saltBytes.baseAddress, saltBytes.count,
                    hashLength, &encoded, length)
            }
        }
        guard status == ARGON2_OK.rawValue else {
            throw HashingError(description: String(cString: argon2_error_message(status)))
        }
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func verifyNow(_ password: [UInt8], encoded: String) -> Bool {
        guard encoded.hasPrefix("$argon2id$") else { return false }
        return password.withUnsafeBytes { bytes in
            argon2id_verify(encoded, bytes.baseAddress, bytes.count) == ARGON2_OK.rawValue
        }
    }
}

/// At most `limit` bodies run at once; the rest wait in arrival order.
actor ConcurrencyLimiter {
    private let limit: Int
    private var running = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) {
        self.limit = limit
    }

    func withPermit<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        if running < limit {
            running += 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            running -= 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
