import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MediaToolkit
import PlatformSupport
import PlatformTesting
@testable import Server
import Testing

extension TestClientProtocol {
    /// Uploads `bytes` as a file and returns its id.
    func uploadFile(_ bytes: [UInt8], name: String, type: String = "application/octet-stream", headers: HTTPFields) async throws -> String {
        let uploaded = try await upload(multipart([("file", name, type, bytes)]), headers: headers)
        #expect(uploaded.status == .created, "\(uploaded.text)")
        return uploaded.jsonBody.id
    }
}

/// A clip made with ffmpeg (two seconds of test pattern with a tone).
func generatedClip() async throws -> [UInt8] {
    let path = temporaryDirectory("media-clip") + "/clip.mp4"
    let result = try await Subprocess.run(
        "ffmpeg",
        ["-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=duration=2:size=320x240:rate=25",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:v", "mpeg4", "-c:a", "aac", "-shortest", path],
        timeout: .seconds(120))
    #expect(result.status == 0, "ffmpeg: \(String(decoding: result.stderr, as: UTF8.self))")
    return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

@Suite("Media: assets, sources, artifacts")
struct MediaTests {
    @Test("both seeds' fields round-trip; dedup by hash; filters, by-hash, by-type, children, tags; integer visibility")
    func assets() async throws {
        let storage = temporaryDirectory("media")
        try await withTestDatabase("media_assets", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, ["STORAGE_DIR": storage])
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await fixtures.setup("med")
                _ = try await fixtures.setup("oth")
                let root = bearer(try await client.login("med-root")["access_token"])
                let other = bearer(try await client.login("oth-root")["access_token"])
                let bytes = randomBytes(50_000)
                let fileID = try await client.uploadFile(bytes, name: "doc.pdf", type: "application/pdf", headers: root)

                // Short-video fields, referencing an uploaded file.
                let created = try await client.post("/api/v1/assets", [
                    "name": "Brief", "description": "Product brief", "asset_type": "document", "file_id": .string(fileID),
                    "asset_metadata": ["lang": "en"], "source": "crawler-7", "visibility": "private",
                ], headers: root)
                #expect(created.status == .created, "\(created.text)")
                let asset = created.jsonBody
                #expect(asset["asset_type"] == "document")
                #expect(asset["type"] == "document")
                #expect(asset["file_hash"]?.stringValue == hex(bytes))
                #expect(asset["size"] == 50_000)
                #expect(asset["asset_metadata"] == ["lang": "en"])
                #expect(asset["metadata"] == ["lang": "en"])
                #expect(asset["source"] == "crawler-7")
                #expect(asset["visibility"] == "private")
                #expect(asset["status"] == "ready")
                #expect(asset["original_filename"] == "doc.pdf")
                #expect(asset["deduplicated"] == false)
                #expect(asset["download_url"]?.stringValue == "/api/v1/files/\(fileID)/download")

                // The same bytes again (a second file): the existing asset, deduplicated.
                let again = try await client.uploadFile(bytes, name: "copy.pdf", type: "application/pdf", headers: root)
                let duplicate = try await client.post("/api/v1/assets", ["name": "Copy", "type": "document", "file_id": .string(again)], headers: root)
                #expect(duplicate.status == .ok)
                #expect(duplicate.jsonBody.id == asset.id)
                #expect(duplicate.jsonBody["deduplicated"] == true)
                // Another tenant with the same bytes gets an asset of its own.
                let theirFile = try await client.uploadFile(bytes, name: "doc.pdf", type: "application/pdf", headers: other)
                let theirs = try await client.post("/api/v1/assets", ["name": "Theirs", "type": "document", "file_id": .string(theirFile)], headers: other)
                #expect(theirs.status == .created)
                #expect(theirs.jsonBody.id != asset.id)
                // Someone else's file is not a file here.
                let foreign = try await client.post("/api/v1/assets", ["name": "X", "type": "document", "file_id": .string(theirFile)], headers: root)
                #expect(foreign.status == .unprocessableContent)
                #expect(foreign.jsonBody["error"]?["details"]?["fields"]?["file_id"] != nil)

                // GoyaVision's fields, with a path and integer visibility.
                let hash = String(repeating: "ab", count: 32)
                let goya = try await client.post("/api/v1/assets", [
                    "type": "video", "source_type": "generated", "name": "Cam clip", "path": "s3://bucket/clip.mp4", "duration": 12.5,
                    "size": 1024, "format": "mp4", "metadata": ["fps": 25], "tags": ["cam", "night", "cam"], "visibility": 2, "file_hash": .string(hash.uppercased()),
                ], headers: root)
                #expect(goya.status == .created, "\(goya.text)")
                let parent = goya.jsonBody
                #expect(parent["visibility"] == 2)
                #expect(parent["tags"] == ["cam", "night"])
                #expect(parent["duration"] == 12.5)
                #expect(parent["duration_seconds"] == 12.5)
                #expect(parent["path"] == "s3://bucket/clip.mp4")
                #expect(parent["storage_path"] == "s3://bucket/clip.mp4")
                #expect(parent["status"] == "pending")
                #expect(parent["file_hash"]?.stringValue == hash)
                let child = try await client.post("/api/v1/assets", [
                    "type": "image", "source_type": "operator_output", "name": "Frame", "path": "s3://bucket/frame.jpg",
                    "parent_id": .string(parent.id), "tags": ["cam"], "visibility": 1,
                ], headers: root)
                #expect(child.status == .created)
                #expect(child.jsonBody["visibility"] == 1)
                // `role` without role ids means the creator's roles.
                #expect(child.jsonBody["visible_role_ids"]?.arrayValues?.isEmpty == false)

                // Bad input: every field named.
                let bad = try await client.post("/api/v1/assets", ["type": "hologram", "name": ""], headers: root)
                #expect(bad.status == .unprocessableContent)
                let invalid = try await client.post("/api/v1/assets", ["type": "video", "name": "", "file_hash": "xyz", "size": -1, "tags": [""]], headers: root)
                #expect(invalid.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["file_hash", "file_id", "name", "size", "tags"])
                let orphan = try await client.post("/api/v1/assets", ["type": "image", "name": "O", "path": "x", "parent_id": "0193c6a0-0000-7000-8000-000000000009"], headers: root)
                #expect(orphan.jsonBody["error"]?["details"]?["fields"]?.objectKeys == ["parent_id"])

                // Lists and filters.
                let all = try await client.get("/api/v1/assets", headers: root).jsonBody
                #expect(all["total"] == 3)
                #expect(try await client.get("/api/v1/assets?type=video", headers: root).jsonBody["total"] == 1)
                #expect(try await client.get("/api/v1/assets?asset_type=document&status=ready", headers: root).jsonBody["total"] == 1)
                #expect(try await client.get("/api/v1/assets?tags=cam", headers: root).jsonBody["total"] == 2)
                #expect(try await client.get("/api/v1/assets?tags=cam,night", headers: root).jsonBody["total"] == 1)
                #expect(try await client.get("/api/v1/assets?parent_id=\(parent.id)", headers: root).jsonBody["total"] == 1)
                #expect(try await client.get("/api/v1/assets?source_type=operator_output", headers: root).jsonBody["total"] == 1)
                #expect(try await client.get("/api/v1/assets?search=brief", headers: root).jsonBody["total"] == 1)
                #expect(try await client.get("/api/v1/assets?from=4102444800", headers: root).jsonBody["total"] == 0)
                #expect(try await client.get("/api/v1/assets?from=2000-01-01T00:00:00Z", headers: root).jsonBody["total"] == 3)
                #expect(try await client.get("/api/v1/assets?from=yesterday", headers: root).status == .unprocessableContent)
                #expect(try await client.get("/api/v1/assets?type=hologram", headers: root).status == .unprocessableContent)
                #expect(try await client.get("/api/v1/assets?limit=500", headers: root).status == .unprocessableContent)

                let byHash = try await client.get("/api/v1/assets/by-hash/\(hex(bytes))", headers: root)
                #expect(byHash.jsonBody.id == asset.id)
                #expect(try await client.get("/api/v1/assets/by-hash/\(String(repeating: "0", count: 64))", headers: root).status == .notFound)
                #expect(try await client.get("/api/v1/assets/by-hash/nothex", headers: root).status == .unprocessableContent)
                let videos = try await client.get("/api/v1/assets/by-type/video", headers: root).jsonBody
                #expect(videos.arrayValues?.map(\.id) == [parent.id])
                #expect(try await client.get("/api/v1/assets/by-type/hologram", headers: root).status == .unprocessableContent)
                let children = try await client.get("/api/v1/assets/\(parent.id)/children", headers: root).jsonBody
                #expect(children.arrayValues?.map(\.id) == [child.jsonBody.id])
                let tags = try await client.get("/api/v1/assets/tags", headers: root).jsonBody
                #expect(tags == ["tags": [["tag": "cam", "count": 2], ["tag": "night", "count": 1]]])

                // Update, with the integer form echoed.
                let updated = try await client.put("/api/v1/assets/\(asset.id)", ["name": "Brief v2", "tags": ["docs"], "status": "ready", "visibility": 0], headers: root)
                #expect(updated.status == .ok)
                #expect(updated.jsonBody["name"] == "Brief v2")
                #expect(updated.jsonBody["visibility"] == 0)
                #expect(try await client.put("/api/v1/assets/\(asset.id)", ["visibility": 7], headers: root).status == .unprocessableContent)
                #expect(try await client.put("/api/v1/assets/\(asset.id)", ["metadata": [1]], headers: root).status == .unprocessableContent)

                // Delete: 409 while it has children.
                let blocked = try await client.delete("/api/v1/assets/\(parent.id)", headers: root)
                #expect(blocked.status == .conflict)
                #expect(blocked.jsonBody["error"]?["code"] == "ASSET_HAS_CHILDREN")
                #expect(try await client.delete("/api/v1/assets/\(child.jsonBody.id)", headers: root).status == .noContent)
                #expect(try await client.delete("/api/v1/assets/\(parent.id)", headers: root).status == .noContent)
                #expect(try await client.get("/api/v1/assets/\(parent.id)", headers: root).status == .notFound)
                #expect(try await client.get("/api/v1/assets", headers: root).jsonBody["total"] == 1)
                // With the asset gone, its hash may be used again.
                let reused = try await client.post("/api/v1/assets", ["type": "video", "name": "Again", "path": "s3://b/c.mp4", "file_hash": .string(hash)], headers: root)
                #expect(reused.status == .created)
            }
        }
    }

    @Test("public assets: read by other tenants and anonymously, never changed by them; other tenants' ids answer 404")
    func visibilityAndIsolation() async throws {
        try await withTestDatabase("media_isolation", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database)
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.router) { client in
                _ = try await fixtures.setup("mia")
                _ = try await fixtures.setup("mib")
                let a = bearer(try await client.login("mia-root")["access_token"])
                let b = bearer(try await client.login("mib-root")["access_token"])
                let open = try await client.post("/api/v1/assets", ["type": "video", "name": "Open", "path": "s3://x/open.mp4", "visibility": "public"], headers: a).jsonBody
                let closed = try await client.post("/api/v1/assets", ["type": "video", "name": "Closed", "path": "s3://x/closed.mp4", "visibility": 0], headers: a).jsonBody
                let child = try await client.post("/api/v1/assets", ["type": "image", "name": "C", "path": "s3://x/c.jpg", "parent_id": .string(closed.id)], headers: a).jsonBody

                // The public one: anyone reads it, nobody else changes it.
                #expect(try await client.get("/api/v1/assets/\(open.id)", headers: b).jsonBody["name"] == "Open")
                #expect(try await client.get("/api/v1/assets/\(open.id)").jsonBody["name"] == "Open")
                #expect(try await client.put("/api/v1/assets/\(open.id)", ["name": "Mine"], headers: b).status == .notFound)
                #expect(try await client.delete("/api/v1/assets/\(open.id)", headers: b).status == .notFound)
                #expect(try await client.get("/api/v1/assets/\(open.id)", headers: a).jsonBody["name"] == "Open")
                // It is not in the other tenant's lists.
                #expect(try await client.get("/api/v1/assets", headers: b).jsonBody["total"] == 0)

                // The private one: 404 on every id route, for the other tenant and anonymously.
                #expect(try await client.get("/api/v1/assets/\(closed.id)").status == .notFound)
                for path in ["/api/v1/assets/\(closed.id)", "/api/v1/assets/\(closed.id)/children"] {
                    #expect(try await client.get(path, headers: b).status == .notFound, "\(path)")
                }
                #expect(try await client.put("/api/v1/assets/\(closed.id)", ["name": "x"], headers: b).status == .notFound)
                #expect(try await client.delete("/api/v1/assets/\(child.id)", headers: b).status == .notFound)
                #expect(try await client.get("/api/v1/assets/by-hash/\(String(repeating: "1", count: 64))", headers: b).status == .notFound)
                #expect(try await client.post("/api/v1/assets", ["type": "image", "name": "Mine", "path": "p", "parent_id": .string(closed.id)], headers: b).status == .unprocessableContent)
                #expect(try await client.get("/api/v1/assets/not-a-uuid", headers: a).status == .notFound)
                // Signed out, the protected routes answer 401.
                #expect(try await client.get("/api/v1/assets").status == .unauthorized)
            }
        }
    }

    @Test("ffprobe fills a generated clip's metadata in the background; a corrupt file ends failed with the reason")
    func probing() async throws {
        let storage = temporaryDirectory("media-probe")
        let clip = try await generatedClip()
        try await withTestDatabase("media_probe", runPool: false) { database, _ in
            let dependencies = try await makeDependencies(database, fastTasks.merging(["STORAGE_DIR": storage]) { _, new in new })
            let fixtures = Fixtures(dependencies)
            try await buildApplication(dependencies).test(.live) { client in
                _ = try await fixtures.setup("mpr")
                let root = bearer(try await client.login("mpr-root")["access_token"])
                let subscription = dependencies.events.subscribe(tenantID: nil, typePrefixes: ["asset."])
                defer { dependencies.events.unsubscribe(subscription.id) }
                let clipFile = try await client.uploadFile(clip, name: "clip.mp4", type: "video/mp4", headers: root)
                let created = try await client.post("/api/v1/assets", ["name": "Clip", "file_id": .string(clipFile)], headers: root)
                #expect(created.status == .created)
                #expect(created.jsonBody["type"] == "video")
                #expect(created.jsonBody["status"] == "pending")
                let id = created.jsonBody.id
                var asset: JSONValue = [:]
                #expect(try await eventually(within: 60) {
                    asset = try await client.get("/api/v1/assets/\(id)", headers: root).jsonBody
                    return asset["status"] == "ready"
                }, "\(asset)")
                #expect(asset["metadata"]?["width"] == 320)
                #expect(asset["metadata"]?["height"] == 240)
                #expect(asset["metadata"]?["video_codec"] == "mpeg4")
                #expect(asset["metadata"]?["audio_codec"] == "aac")
                let duration: Double = if case .double(let d) = asset["duration_seconds"] ?? .null { d } else { 0 }
                #expect(abs(duration - 2) < 0.2, "\(duration)")

                let junk = try await client.uploadFile(Array("this is not a video".utf8), name: "broken.mp4", type: "video/mp4", headers: root)
                let broken = try await client.post("/api/v1/assets", ["name": "Broken", "type": "video", "file_id": .string(junk)], headers: root).jsonBody
                #expect(try await eventually(within: 60) {
                    asset = try await client.get("/api/v1/assets/\(broken.id)", headers: root).jsonBody
                    return asset["status"] == "failed"
                }, "\(asset)")
                #expect(asset["status_reason"]?.stringValue?.isEmpty == false)

                // The bus saw it all.
                var seen: [String] = []
                for await event in subscription.events {
                    seen.append(event.type)
                    if seen.contains("asset.ready") && seen.contains("asset.failed") { break }
                }
                #expect(seen.filter { $0 == "asset.created" }.count == 2)
            }
        }
    }
}
