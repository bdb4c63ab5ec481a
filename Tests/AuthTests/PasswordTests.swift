import Foundation
import Testing

@testable import Auth

@Suite("Passwords")
struct PasswordTests {
    @Test("Argon2id with the default parameters, in PHC format")
    func defaultParameters() async throws {
        let hasher = try PasswordHasher(parameters: .init())
        let hash = try await hasher.hash("correct horse battery staple")
        #expect(hash.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        #expect(try await hasher.verify("correct horse battery staple", against: hash))
        #expect(try await !hasher.verify("correct horse battery stable", against: hash))
        #expect(!hasher.needsRehash(hash))
    }

    @Test("an unknown user never verifies, and a hash of other parameters asks for a rehash")
    func unknownUserAndRehash() async throws {
        let hasher = try PasswordHasher(parameters: .init(memoryKiB: 1024, iterations: 1))
        #expect(try await !hasher.verify("anything at all", against: nil))
        #expect(try await !hasher.verify("anything at all", against: "not a hash"))
        let old = try await PasswordHasher(parameters: .init(memoryKiB: 2048, iterations: 1)).hash("some long password")
        #expect(hasher.needsRehash(old))
        #expect(try await hasher.verify("some long password", against: old))
    }

    @Test("hashing is bounded: more callers than permits still all finish")
    func boundedConcurrency() async throws {
        let hasher = try PasswordHasher(parameters: .init(memoryKiB: 1024, iterations: 1), maxConcurrent: 2)
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<12 {
                group.addTask {
                    let hash = try await hasher.hash("password number \(index)")
                    return try await hasher.verify("password number \(index)", against: hash)
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: true, count: 12))
    }

    @Test func policy() {
        let policy = PasswordPolicy.bundled()
        #expect(policy.commonPasswordCount > 1000)
        #expect(policy.problems(password: "short", username: "alice", email: nil).contains { $0.contains("at least 12") })
        #expect(policy.problems(password: "password1234", username: "alice", email: nil).contains { $0.contains("too common") })
        #expect(policy.problems(password: "aaaaaaaaaaaaaaaa", username: "alice", email: nil).contains { $0.contains("too common") })
        #expect(policy.problems(password: "alice.wonderland", username: "alice.wonderland", email: nil).contains { $0.contains("username") })
        #expect(policy.problems(password: "Tr1cky-Kangaroo-Lantern", username: "alice", email: "alice@example.com").isEmpty)
    }
}
