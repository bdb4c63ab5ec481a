import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlatformArtifacts
import PlatformDatabase
import PlatformServices
import PlatformSupport
import PlatformTesting
@testable import Server
import Testing

@Suite("Media: artifacts, sources, multipart, blob sweep")
struct MediaLibraryTests {
    @Test("artifacts: recorded through the platform store and the routes, filtered, a task's bare array, other tenants' ids 404")
    func artifacts() async throws {
        try await withTestDatabase("media_artifacts", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                let tenant = try await fixtures.setup("mar")
                _ = try await fixtures.setup("mbr")
                let root = bearer(try await client.login("mar-root")["access_token"])
                let other = bearer(try await client.login("mbr-root")["access_token"])
                let task = try await client.post("/api/v1/tasks", ["task_type": "wait", "task_input": ["seconds": 0.1]], headers: root).jsonBody.id
                let theirTask = try await client.post("/api/v1/tasks", ["task_type": "wait", "task_input": ["seconds": 0.1]], headers: other).jsonBody.id
                let asset = try await client.post("/api/v1/assets", ["type": "video", "name": "V", "path": "s3://x/v.mp4"], headers: root).jsonBody.id

                let created = try await client.post("/api/v1/artifacts", [
                    "task_id": .string(task), "type": "timeline", "asset_id": .string(asset), "data": ["timeline": [["t": 1]]], "node_key": "detect",
                ], headers: root)
                #expect(created.status == .created, "\(created.text)")
                #expect(created.jsonBody["node_key"] == "detect")
                #expect(created.jsonBody["data"] == ["timeline": [["t": 1]]])
                // Another module records through the platform store, in a tenant transaction.
                let recorded = try await database.withTenant(TenantScope(tenantID: tenant.id)) { tx in
                    try await dependencies.artifacts.record(
                        NewArtifact(taskID: try #require(UUID(uuidString: task)), type: .report, data: ["summary": "ok"]), tenantID: tenant.id, in: tx)
                }
                #expect(recorded.type == .report)
                await #expect(throws: ArtifactRecorderError.taskNotFound(try #require(UUID(uuidString: theirTask)))) {
                    try await database.withTenant(TenantScope(tenantID: tenant.id)) { tx in
                        try await dependencies.artifacts.record(
                            NewArtifact(taskID: try #require(UUID(uuidString: theirTask)), type: .result), tenantID: tenant.id, in: tx)
                    }
                }

                let ofTask = try await client.get("/api/v1/tasks/\(task)/artifacts", headers: root).jsonBody
                #expect(ofTask.arrayValues?.map { $0["type"]?.stringValue ?? "" } == ["timeline", "report"])
                #expect(try await client.get("/api/v1/tasks/\(task)/artifacts?type=report", headers: root).jsonBody.arrayValues?.count == 1)
                #expect(try await client.get("/api/v1/artifacts", headers: root).jsonBody["total"] == 2)
                #expect(try await client.get("/api/v1/artifacts?node_key=detect", headers: root).jsonBody["total"] == 1)
                #expect(try await client.get("/api/v1/artifacts?asset_id=\(asset)&type=timeline", headers: root).jsonBody["total"] == 1)
                #expect(try await client.get("/api/v1/artifacts?task_id=\(task)&to=946684800", headers: root).jsonBody["total"] == 0)
                #expect(try await client.get("/api/v1/artifacts?type=movie", headers: root).status == .unprocessableContent)

                // Bad references: 422 naming them; other tenants' ids: 404.
                let bad = try await client.post("/api/v1/artifacts", ["task_id": .string(theirTask), "type": "result", "data": [1]], headers: root)
                #expect(bad.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["data"])
                let foreignTask = try await client.post("/api/v1/artifacts", ["task_id": .string(theirTask), "type": "result"], headers: root)
                #expect(foreignTask.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["task_id"])
                let foreignAsset = try await client.post("/api/v1/artifacts", ["task_id": .string(theirTask), "type": "asset", "asset_id": .string(asset)], headers: other)
                #expect(foreignAsset.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["asset_id"])
                let id = created.jsonBody.id
                #expect(try await client.get("/api/v1/artifacts/\(id)", headers: other).status == .notFound)
                #expect(try await client.delete("/api/v1/artifacts/\(id)", headers: other).status == .notFound)
                #expect(try await client.get("/api/v1/tasks/\(task)/artifacts", headers: other).status == .notFound)
                #expect(try await client.get("/api/v1/artifacts", headers: other).jsonBody["total"] == 0)

                #expect(try await client.get("/api/v1/artifacts/\(id)", headers: root).jsonBody["type"] == "timeline")
                #expect(try await client.delete("/api/v1/artifacts/\(id)", headers: root).status == .noContent)
                #expect(try await client.get("/api/v1/artifacts/\(id)", headers: root).status == .notFound)
            }
        }
    }

    @Test("media sources: URL checks, integer visibility, 409 while assets use them, other tenants' ids 404, probe of a refused target")
    func sources() async throws {
        try await withTestDatabase("media_sources", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await fixtures.setup("msa")
                _ = try await fixtures.setup("msb")
                let root = bearer(try await client.login("msa-root")["access_token"])
                let other = bearer(try await client.login("msb-root")["access_token"])
                let camera = try await client.post("/api/v1/sources", [
                    "name": "Gate Camera", "type": "pull", "url": "rtsp://8.8.8.8:554/live", "visibility": 1, "record_enabled": true,
                ], headers: root)
                #expect(camera.status == .created, "\(camera.text)")
                #expect(camera.jsonBody["protocol"] == "rtsp")
                #expect(camera.jsonBody["path_name"] == "gate-camera")
                #expect(camera.jsonBody["visibility"] == 1)
                #expect(camera.jsonBody["enabled"] == true)
                #expect(camera.jsonBody["record_enabled"] == true)
                let push = try await client.post("/api/v1/sources", ["name": "Gate Camera", "type": "push", "protocol": "rtmp"], headers: root)
                #expect(push.status == .created)
                #expect(push.jsonBody["path_name"] == "gate-camera-2")

                // Pull sources need a URL of their protocol, pointing outside.
                let missing = try await client.post("/api/v1/sources", ["name": "A", "type": "pull"], headers: root)
                #expect(missing.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["url"])
                let mismatch = try await client.post("/api/v1/sources", ["name": "A", "type": "pull", "protocol": "rtmp", "url": "rtsp://8.8.8.8/x"], headers: root)
                #expect(mismatch.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["url"])
                let loopback = try await client.post("/api/v1/sources", ["name": "A", "type": "pull", "url": "rtsp://127.0.0.1/x"], headers: root)
                #expect(loopback.status == .unprocessableContent)
                let file = try await client.post("/api/v1/sources", ["name": "A", "type": "pull", "protocol": "file", "url": "file://localhost/etc/passwd"], headers: root)
                #expect(file.status == .unprocessableContent)
                #expect(try await client.post("/api/v1/sources", ["name": "", "type": "sideways"], headers: root).status == .unprocessableContent)
                let taken = try await client.post("/api/v1/sources", ["name": "B", "type": "push", "path_name": "gate-camera"], headers: root)
                #expect(taken.status == .conflict)

                let list = try await client.get("/api/v1/sources?type=pull", headers: root).jsonBody
                #expect(list["total"] == 1)
                #expect(try await client.get("/api/v1/sources", headers: root).jsonBody["total"] == 2)
                let id = camera.jsonBody.id
                let renamed = try await client.put("/api/v1/sources/\(id)", ["name": "Front gate", "enabled": false], headers: root)
                #expect(renamed.jsonBody["name"] == "Front gate")
                #expect(renamed.jsonBody["enabled"] == false)
                #expect(renamed.jsonBody["url"] == "rtsp://8.8.8.8:554/live")
                #expect(try await client.put("/api/v1/sources/\(id)", ["url": "rtsp://10.0.0.1/x"], headers: root).status == .unprocessableContent)

                // A push source has nothing to probe.
                #expect(try await client.post("/api/v1/sources/\(push.jsonBody.id)/probe", [:], headers: root).status == .conflict)

                // Other tenants: 404 on every id route.
                #expect(try await client.get("/api/v1/sources/\(id)", headers: other).status == .notFound)
                #expect(try await client.put("/api/v1/sources/\(id)", ["name": "x"], headers: other).status == .notFound)
                #expect(try await client.delete("/api/v1/sources/\(id)", headers: other).status == .notFound)
                #expect(try await client.post("/api/v1/sources/\(id)/probe", [:], headers: other).status == .notFound)
                #expect(try await client.post("/api/v1/assets", ["type": "video", "name": "x", "path": "p", "source_id": .string(id)], headers: other).status == .unprocessableContent)

                // In use: 409; free again: 204.
                let recording = try await client.post("/api/v1/assets", ["type": "video", "name": "Rec", "path": "s3://r.mp4", "source_id": .string(id)], headers: root).jsonBody
                #expect(try await client.get("/api/v1/assets?source_id=\(id)", headers: root).jsonBody["total"] == 1)
                let busy = try await client.delete("/api/v1/sources/\(id)", headers: root)
                #expect(busy.status == .conflict)
                #expect(busy.jsonBody["error"]?["code"] == "SOURCE_IN_USE")
                #expect(try await client.delete("/api/v1/assets/\(recording.id)", headers: root).status == .noContent)
                #expect(try await client.delete("/api/v1/sources/\(id)", headers: root).status == .noContent)
                #expect(try await client.get("/api/v1/sources/\(id)", headers: root).status == .notFound)
            }
        }
    }

    @Test("a pull source over HTTP is probed for real: ffprobe reads the stream and its findings are kept")
    func probeRealStream() async throws {
        let folder = temporaryDirectory("media-probe")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let made = try await Tools.run("ffmpeg", [
            "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10:duration=2",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "\(folder)/clip.mp4",
        ])
        #expect(made.status == 0)
        // A plain HTTP server on loopback plays the camera.
        let port = try freePort()
        let server = Process()
        server.executableURL = testPython
        server.arguments = ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", folder]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { kill(server.processIdentifier, SIGKILL) }
        try await withTestDatabase("media_probe", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, ["WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"])
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await Fixtures(dependencies).setup("mpr")
                let root = bearer(try await client.login("mpr-root")["access_token"])
                let url = "http://127.0.0.1:\(port)/clip.mp4"
                #expect(try await eventually(within: 30) {
                    (try? await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(2)).status) == .ok
                })
                let source = try await client.post("/api/v1/sources", ["name": "Lobby", "type": "pull", "url": .string(url)], headers: root)
                #expect(source.status == .created, "\(source.text)")
                #expect(source.jsonBody["protocol"] == "http")
                let probed = try await client.post("/api/v1/sources/\(source.jsonBody.id)/probe", [:], headers: root)
                #expect(probed.status == .ok)
                let probe = probed.jsonBody["probe"]
                #expect(probe?["ok"] == true, "\(probed.text)")
                #expect(probe?["container"]?.stringValue?.contains("mp4") == true)
                let video = probe?["streams"]?.arrayValues?.first { $0["codec_type"] == "video" }
                #expect(video?["codec_name"] == "h264")
                #expect(video?["width"] == 320)
                #expect((probe?["duration"]?.doubleValue ?? 0) > 1.5)
                #expect(probed.jsonBody["probed_at"] != nil)
                // Kept: reading the source again shows what was found.
                #expect(try await client.get("/api/v1/sources/\(source.jsonBody.id)", headers: root).jsonBody["probe"] == probe)
                // A stream that is gone is an answer, not an error.
                let gone = try await client.post("/api/v1/sources", ["name": "Gone", "type": "pull", "url": .string("http://127.0.0.1:\(port)/missing.mp4")], headers: root)
                let missing = try await client.post("/api/v1/sources/\(gone.jsonBody.id)/probe", [:], headers: root)
                #expect(missing.status == .ok)
                #expect(missing.jsonBody["probe"]?["ok"] == false)
                #expect(missing.jsonBody["probe"]?["error"]?.stringValue?.isEmpty == false)
            }
        }
    }

    @Test("multipart create uploads and creates in one request, deduplicated by hash; the sweep removes an unreferenced blob and keeps a referenced one")
    func multipartAndSweep() async throws {
        let storage = temporaryDirectory("media-sweep")
        try await withTestDatabase("media_sweep", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, ["STORAGE_DIR": storage])
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                let tenant = try await fixtures.setup("msw")
                let root = bearer(try await client.login("msw-root")["access_token"])
                var headers = root
                headers[.contentType] = "multipart/form-data; boundary=----platform-test-boundary"
                let kept = randomBytes(20_000)
                let body = multipart([
                    ("name", nil, nil, Array("Notes".utf8)), ("type", nil, nil, Array("document".utf8)),
                    ("tags", nil, nil, Array(#"["a","b"]"#.utf8)), ("visibility", nil, nil, Array("2".utf8)),
                    ("file", "notes.txt", "text/plain", kept),
                ])
                let created = try await client.execute(uri: "/api/v1/assets", method: .post, headers: headers, body: body)
                #expect(created.status == .created, "\(created.text)")
                #expect(created.jsonBody["file_hash"]?.stringValue == hex(kept))
                #expect(created.jsonBody["tags"] == ["a", "b"])
                #expect(created.jsonBody["visibility"] == 2)
                #expect(created.jsonBody["size"] == 20_000)
                let fileID = try #require(created.jsonBody["file_id"]?.stringValue)
                // The bytes come through the files download.
                let download = try await client.get("/api/v1/files/\(fileID)/download", headers: root)
                #expect(Array(download.body.readableBytesView) == kept)
                let again = try await client.execute(uri: "/api/v1/assets", method: .post, headers: headers, body: multipart([("file", "n2.txt", "text/plain", kept)]))
                #expect(again.status == .ok)
                #expect(again.jsonBody.id == created.jsonBody.id)
                let badForm = try await client.execute(
                    uri: "/api/v1/assets", method: .post, headers: headers, body: multipart([("type", nil, nil, Array("hologram".utf8)), ("file", "x", nil, [1, 2])]))
                #expect(badForm.status == .unprocessableContent)
                #expect(badForm.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["type"])

                // An artifact holds a blob; deleting it leaves the blob unreferenced.
                let gone = randomBytes(10_000)
                let goneFile = try await client.uploadFile(gone, name: "out.json", headers: root)
                let namespace = tenant.id.uuidString.lowercased()
                let local = LocalDiskBlobStorage(root: storage)
                let task = try await client.post("/api/v1/tasks", ["task_type": "wait", "task_input": ["seconds": 0.1]], headers: root).jsonBody.id
                let artifact = try await database.withTenant(TenantScope(tenantID: tenant.id)) { tx in
                    try await dependencies.artifacts.record(
                        NewArtifact(taskID: try #require(UUID(uuidString: task)), type: .result, blob: ArtifactBlob(sha256: hex(gone), size: 10_000)),
                        tenantID: tenant.id, in: tx)
                }
                let counts = StoredBlobStore()
                func count(_ bytes: [UInt8]) async throws -> Int? {
                    try await database.withPlatformScope { tx in try await counts.referenceCount(tenantID: tenant.id, sha256: hex(bytes), in: tx) }
                }
                #expect(try await count(gone) == 2)
                // The file and the asset made from it both hold the uploaded bytes.
                #expect(try await count(kept) == 2)
                #expect(try await client.delete("/api/v1/files/\(goneFile)", headers: root).status == .noContent)
                #expect(try await count(gone) == 1)
                // The artifact still holds it: the sweep keeps it.
                let sweeper = BlobSweeper(database: database, storage: local, logger: .init(label: "tests.sweep"))
                _ = try await sweeper.sweep(graceSeconds: 0)
                #expect(FileManager.default.fileExists(atPath: local.localPath(namespace: namespace, sha256: hex(gone))))
                #expect(try await client.delete("/api/v1/artifacts/\(artifact.id.uuidString)", headers: root).status == .noContent)
                #expect(try await count(gone) == 0)
                // Within the grace period it stays; past it, it goes. The referenced one stays.
                #expect(try await sweeper.sweep(graceSeconds: 3600).unreferenced == 0)
                #expect(FileManager.default.fileExists(atPath: local.localPath(namespace: namespace, sha256: hex(gone))))
                try FileManager.default.setAttributes(
                    [.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: local.localPath(namespace: namespace, sha256: hex(gone)))
                try await Task.sleep(for: .milliseconds(50))
                let report = try await sweeper.sweep(graceSeconds: 0)
                #expect(report.unreferenced == 1)
                #expect(!FileManager.default.fileExists(atPath: local.localPath(namespace: namespace, sha256: hex(gone))))
                #expect(FileManager.default.fileExists(atPath: local.localPath(namespace: namespace, sha256: hex(kept))))
                #expect(try await count(gone) == nil)
                // A blob no row knows (an upload that failed after storing) goes once old.
                let orphan = String(repeating: "c", count: 64)
                let orphanPath = local.localPath(namespace: namespace, sha256: orphan)
                try FileManager.default.createDirectory(atPath: (orphanPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                FileManager.default.createFile(atPath: orphanPath, contents: Data([1, 2, 3]))
                #expect(try await sweeper.sweep(graceSeconds: 3600).orphans == 0)
                try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: orphanPath)
                #expect(try await sweeper.sweep(graceSeconds: 3600).orphans == 1)
                #expect(!FileManager.default.fileExists(atPath: orphanPath))
                #expect(FileManager.default.fileExists(atPath: local.localPath(namespace: namespace, sha256: hex(kept))))
                #expect(try await client.get("/api/v1/files/\(fileID)/download", headers: root).status == .ok)
                // Deleting the file leaves the asset's reference: the bytes stay.
                #expect(try await client.delete("/api/v1/files/\(fileID)", headers: root).status == .noContent)
                #expect(try await count(kept) == 1)
                try FileManager.default.setAttributes(
                    [.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: local.localPath(namespace: namespace, sha256: hex(kept)))
                _ = try await sweeper.sweep(graceSeconds: 0)
                #expect(FileManager.default.fileExists(atPath: local.localPath(namespace: namespace, sha256: hex(kept))))
                // Deleting the asset too makes them unreferenced.
                #expect(try await client.delete("/api/v1/assets/\(created.jsonBody.id)", headers: root).status == .noContent)
                #expect(try await count(kept) == 0)
            }
        }
    }
}
