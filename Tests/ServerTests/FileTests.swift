import AsyncHTTPClient
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PlatformServices
import PlatformSupport
import PlatformTesting
@testable import Server
import Testing


/// A `multipart/form-data` body.
func multipart(_ parts: [(name: String, filename: String?, contentType: String?, data: [UInt8])], boundary: String = "----platform-test-boundary") -> ByteBuffer {
    var buffer = ByteBuffer()
    for part in parts {
        buffer.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"")
        if let filename = part.filename { buffer.writeString("; filename=\"\(filename)\"") }
        buffer.writeString("\r\n")
        if let type = part.contentType { buffer.writeString("Content-Type: \(type)\r\n") }
        buffer.writeString("\r\n")
        buffer.writeBytes(part.data)
        buffer.writeString("\r\n")
    }
    buffer.writeString("--\(boundary)--\r\n")
    return buffer
}

func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}

func hex(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}

func temporaryDirectory(_ label: String) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("platform-\(label)-\(UUID().uuidString.prefix(8))").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

extension TestClientProtocol {
    func upload(_ body: ByteBuffer, headers: HTTPFields, boundary: String = "----platform-test-boundary") async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "multipart/form-data; boundary=\(boundary)"
        return try await execute(uri: "/api/v1/files", method: .post, headers: headers, body: body)
    }
}

@Suite("Files: streaming uploads, dedup, ranges")
struct FileTests {
    @Test("upload, dedup by hash, metadata, byte-exact range downloads, ETag, delete")
    func lifecycle() async throws {
        let storage = temporaryDirectory("files")
        try await withTestDatabase("files_life", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, ["STORAGE_DIR": storage])
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await fixtures.setup("fil")
                let root = bearer(try await client.login("fil-root")["access_token"])
                let content = randomBytes(300_000)
                let body = multipart([
                    ("description", nil, nil, Array("Quarterly numbers".utf8)),
                    ("file", "report ü.bin", "application/octet-stream", content),
                ])
                let uploaded = try await client.upload(body, headers: root)
                #expect(uploaded.status == .created)
                #expect(uploaded.jsonBody["sha256"]?.stringValue == hex(content))
                #expect(uploaded.jsonBody["size"] == 300_000)
                #expect(uploaded.jsonBody["name"] == "report ü.bin")
                #expect(uploaded.jsonBody["description"] == "Quarterly numbers")
                #expect(uploaded.jsonBody["deduplicated"] == false)
                let id = uploaded.jsonBody.id

                // The same bytes again: a second file, the content stored once.
                let again = try await client.upload(multipart([("file", "copy.bin", nil, content)]), headers: root)
                #expect(again.jsonBody["deduplicated"] == true)
                #expect(again.jsonBody.id != id)
                // One name in the tenant's folder and the shared copy: two links to one file.
                let blobs = FileManager.default.enumerator(atPath: storage + "/blobs")?.allObjects.compactMap { $0 as? String }.filter { $0.hasSuffix(hex(content)) } ?? []
                #expect(blobs.count == 2)
                let inodes = Set(blobs.compactMap { (try? FileManager.default.attributesOfItem(atPath: storage + "/blobs/" + $0))?[.systemFileNumber] as? UInt64 })
                #expect(inodes.count == 1)

                #expect(try await client.get("/api/v1/files?sha256=\(hex(content))", headers: root).jsonBody["total"] == 2)
                #expect(try await client.get("/api/v1/files?search=copy", headers: root).jsonBody["total"] == 1)
                let renamed = try await client.put("/api/v1/files/\(id)", ["name": "q3.bin", "metadata": ["quarter": 3]], headers: root)
                #expect(renamed.jsonBody["name"] == "q3.bin")
                #expect(try await client.put("/api/v1/files/\(id)", ["name": "a/b"], headers: root).status == .unprocessableContent)

                let whole = try await client.get("/api/v1/files/\(id)/download", headers: root)
                #expect(whole.status == .ok)
                #expect(Array(whole.body.readableBytesView) == content)
                #expect(whole.headers[.eTag] == "\"\(hex(content))\"")
                #expect(whole.headers[.acceptRanges] == "bytes")
                #expect(whole.headers[.contentDisposition]?.contains("filename=\"q3.bin\"") == true)
                for (header, range) in [("bytes=0-99", 0...99), ("bytes=299990-", 299_990...299_999), ("bytes=-10", 299_990...299_999), ("bytes=1000-1000", 1000...1000), ("bytes=299000-999999", 299_000...299_999)] {
                    var headers = root
                    headers[.range] = header
                    let part = try await client.get("/api/v1/files/\(id)/download", headers: headers)
                    #expect(part.status == .partialContent, "\(header)")
                    #expect(Array(part.body.readableBytesView) == Array(content[range]), "\(header)")
                    #expect(part.headers[.contentRange] == "bytes \(range.lowerBound)-\(range.upperBound)/300000")
                }
                var outside = root
                outside[.range] = "bytes=400000-"
                let unsatisfiable = try await client.get("/api/v1/files/\(id)/download", headers: outside)
                #expect(unsatisfiable.status == .rangeNotSatisfiable)
                #expect(unsatisfiable.headers[.contentRange] == "bytes */300000")
                var cached = root
                cached[.ifNoneMatch] = "\"\(hex(content))\""
                #expect(try await client.get("/api/v1/files/\(id)/download", headers: cached).status == .notModified)

                #expect(try await client.delete("/api/v1/files/\(id)", headers: root).status == .noContent)
                #expect(try await client.get("/api/v1/files/\(id)", headers: root).status == .notFound)
                #expect(try await client.get("/api/v1/files/\(again.jsonBody.id)/download", headers: root).status == .ok)

                // Not multipart, no file part, a broken body: 4xx.
                #expect(try await client.post("/api/v1/files", ["file": "x"], headers: root).status == .unsupportedMediaType)
                #expect(try await client.upload(multipart([("name", nil, nil, Array("x".utf8))]), headers: root).status == .unprocessableContent)
                #expect(try await client.upload(ByteBuffer(string: "------platform-test-boundary\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc"), headers: root).status == .badRequest)
            }
        }
        try? FileManager.default.removeItem(atPath: storage)
    }

    @Test("past the size limit or the tenant's quota: 413, and nothing is left behind")
    func limits() async throws {
        let storage = temporaryDirectory("limits")
        try await withTestDatabase("files_limits", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, ["STORAGE_DIR": storage, "FILES_MAX_UPLOAD_BYTES": "200000", "FILES_TENANT_QUOTA_BYTES": "250000"])
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await fixtures.setup("lim")
                let root = bearer(try await client.login("lim-root")["access_token"])
                let tooBig = try await client.upload(multipart([("file", "big.bin", nil, randomBytes(200_001))]), headers: root)
                #expect(tooBig.status == .contentTooLarge)
                #expect(tooBig.jsonBody["error"]?["code"] == "FILE_TOO_LARGE")
                #expect(try await client.upload(multipart([("file", "a.bin", nil, randomBytes(150_000))]), headers: root).status == .created)
                let over = try await client.upload(multipart([("file", "b.bin", nil, randomBytes(150_000))]), headers: root)
                #expect(over.status == .contentTooLarge)
                #expect(over.jsonBody["error"]?["code"] == "STORAGE_QUOTA_EXCEEDED")
                #expect(try await client.get("/api/v1/files", headers: root).jsonBody["total"] == 1)
                let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: storage + "/tmp")) ?? []
                #expect(leftovers.isEmpty)
            }
        }
        try? FileManager.default.removeItem(atPath: storage)
    }

    @Test("an upload cut off mid-way leaves no file and no bytes behind")
    func interruptedUpload() async throws {
        let storage = temporaryDirectory("interrupted")
        try await withTestDatabase("files_cut", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, ["STORAGE_DIR": storage])
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.live) { client in
                let port = try #require(client.port)
                _ = try await fixtures.setup("cut")
                let token = try await client.login("cut-root")["access_token"]?.stringValue ?? ""
                let boundary = "----platform-test-boundary"
                let head = ByteBuffer(string: "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.bin\"\r\n\r\n")
                struct Cut: Error {}
                let (stream, source) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
                source.yield(head)
                for _ in 0..<8 { source.yield(ByteBuffer(bytes: randomBytes(256 * 1024))) }
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/files")
                request.method = .POST
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
                request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
                request.body = .stream(stream, length: .known(Int64(100 << 20)))
                let sending = Task { try await HTTPClient.shared.execute(request, timeout: .seconds(30)) }
                try await Task.sleep(for: .milliseconds(500))
                source.finish(throwing: Cut())
                _ = try? await sending.value
                // The server notices the broken body and cleans up.
                #expect(try await eventually(within: 10) {
                    ((try? FileManager.default.contentsOfDirectory(atPath: storage + "/tmp")) ?? []).isEmpty
                })
                let files = try await client.get("/api/v1/files", headers: bearer(.string(token)))
                #expect(files.jsonBody["total"] == 0)
                #expect(FileManager.default.enumerator(atPath: storage + "/blobs")?.allObjects.compactMap { $0 as? String }.filter { $0.count == 64 }.isEmpty ?? true)
            }
        }
        try? FileManager.default.removeItem(atPath: storage)
    }

    @Test("another tenant's file ids answer 404")
    func crossTenant() async throws {
        let storage = temporaryDirectory("bola")
        try await withTestDatabase("files_bola", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, ["STORAGE_DIR": storage])
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                let tenantA = try await fixtures.setup("fa")
                let tenantB = try await fixtures.setup("fb")
                let alpha = bearer(try await client.login("fa-root")["access_token"])
                let beta = bearer(try await client.login("fb-root")["access_token"])
                let content = randomBytes(1000)
                let id = try await client.upload(multipart([("file", "secret.bin", nil, content)]), headers: alpha).jsonBody.id
                #expect(try await client.get("/api/v1/files/\(id)", headers: beta).status == .notFound)
                #expect(try await client.get("/api/v1/files/\(id)/download", headers: beta).status == .notFound)
                #expect(try await client.put("/api/v1/files/\(id)", ["name": "mine"], headers: beta).status == .notFound)
                #expect(try await client.delete("/api/v1/files/\(id)", headers: beta).status == .notFound)
                #expect(try await client.get("/api/v1/files?sha256=\(hex(content))", headers: beta).jsonBody["total"] == 0)
                // The same bytes uploaded by the other tenant are not a dedup hit for it (nothing
                // tells it that another tenant holds them), yet they are stored once: both
                // tenants' names are links to one shared copy.
                #expect(try await client.upload(multipart([("file", "guess.bin", nil, content)]), headers: beta).jsonBody["deduplicated"] == false)
                let local = LocalDiskBlobStorage(root: storage)
                func inode(_ path: String) throws -> UInt64 {
                    try #require((try FileManager.default.attributesOfItem(atPath: path))[.systemFileNumber] as? UInt64)
                }
                let pathA = local.localPath(namespace: tenantA.id.uuidString.lowercased(), sha256: hex(content))
                let pathB = local.localPath(namespace: tenantB.id.uuidString.lowercased(), sha256: hex(content))
                #expect(try inode(pathA) == inode(pathB))
                #expect(try inode(local.sharedPath(sha256: hex(content))) == inode(pathA))
            }
        }
        try? FileManager.default.removeItem(atPath: storage)
    }
}

/// A TCP port nothing listens on right now.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    struct NoPort: Error {}
    guard bound else { throw NoPort() }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// `platform serve` in its own process under a data-segment limit (`prlimit --data`), for tests
/// that prove memory stays flat; `token` is `username`'s access token.
struct MemoryLimitedServer {
    let process: Process
    let base: String
    let token: String

    static func start(database: String, storage: String, dataLimit: Int, username: String) async throws -> MemoryLimitedServer {
        let port = try freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
        server.arguments = ["--data=\(dataLimit)", try platformExecutable().path, "serve", "--no-migrate"]
        server.environment = [
            "DATABASE_URL": database, "HTTP_PORT": String(port), "STORAGE_DIR": storage + "/store",
            "JWT_SECRET": "test-secret-test-secret-test-secret-0123456789", "LOG_LEVEL": "error", "TASKS_SERVE_CONCURRENCY": "0",
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        let base = "http://127.0.0.1:\(port)"
        let started = MemoryLimitedServer(process: server, base: base, token: "")
        do {
            return try await started.signIn(username)
        } catch {
            await started.stop()
            throw error
        }
    }

    func signIn(_ username: String) async throws -> MemoryLimitedServer {
        #expect(try await eventually(within: 60) {
            (try? await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/health"), timeout: .seconds(2)).status) == .ok
        })
        var login = HTTPClientRequest(url: base + "/api/v1/auth/login")
        login.method = .POST
        login.headers.add(name: "Content-Type", value: "application/json")
        login.body = .bytes(ByteBuffer(string: #"{"username": "\#(username)", "password": "Sturdy-Password-42"}"#))
        let answer = try await HTTPClient.shared.execute(login, timeout: .seconds(10)).body.collect(upTo: 1 << 20)
        let token = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: answer))["access_token"]?.stringValue ?? ""
        #expect(!token.isEmpty, "login: \(String(buffer: answer))")
        return MemoryLimitedServer(process: process, base: base, token: token)
    }

    /// For a `defer`: no waiting, so it never blocks a thread; `stop()` is the orderly way.
    func forceStop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    func stop() async {
        await Tools.stop(process)
    }
}

@Suite("Files: memory stays flat")
struct LargeUploadTests {
    @Test("a file larger than the server's memory limit uploads and hashes correctly")
    func largerThanMemory() async throws {
        let storage = temporaryDirectory("large")
        defer { try? FileManager.default.removeItem(atPath: storage) }
        try await withTestDatabase("files_large") { database, handle in
            let fixtures = Fixtures(try await makeDependencies(database))
            _ = try await fixtures.setup("large")
            // 512 MiB of random bytes against a server whose data segment may not pass 256 MiB (the server links
            // OpenCV for the annotation pipelines and sits near 160 MiB at rest).
            let file = storage + "/input.bin"
            #expect(try await Tools.run("/bin/sh", ["-c", "head -c \(512 << 20) /dev/urandom > '\(file)'"]).status == 0)
            let running = try await MemoryLimitedServer.start(
                database: handle.runtime.connectionString, storage: storage, dataLimit: 256 << 20, username: "large-root")
            defer { running.forceStop() }
            let (server, base, token) = (running.process, running.base, running.token)

            let curl = try await Tools.run("/usr/bin/curl", ["-s", "-H", "Authorization: Bearer \(token)", "-F", "file=@\(file)", base + "/api/v1/files"])
            let uploaded = try JSONDecoder().decode(JSONValue.self, from: curl.data)
            let expected = try await Tools.run("/usr/bin/sha256sum", [file]).output.prefix(64)
            #expect(uploaded["size"] == .int(Int64(512 << 20)))
            #expect(uploaded["sha256"]?.stringValue == String(expected))
            #expect(server.isRunning)
            // Peak resident memory of the server stayed far below the file's size.
            let status = (try? String(contentsOfFile: "/proc/\(server.processIdentifier)/status", encoding: .utf8)) ?? ""
            let peak = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") } ?? Int.max
            #expect(peak < 256 * 1024, "peak RSS \(peak) kB")
            await running.stop()
        }
    }
}
