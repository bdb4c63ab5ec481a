import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PlatformSupport
import Synchronization

/// A stand-in for the YouTube Data API v3 (its JSON shapes: string counts, `items` left out when
/// nothing matches, `nextPageToken` paging, the error envelope with `reason`s) and a file server
/// for the clips yt-dlp downloads with its generic extractor.
final class YouTubeStub: Sendable {
    struct State: Sendable {
        var subscribers: Int64 = 1000
        var channelViews: Int64 = 50_000
        var videoViews: [String: Int64] = ["vidAAAAAAA1": 100, "vidAAAAAAA2": 900, "vidAAAAAAA3": 300]
        /// `channels.list` answers 403 quotaExceeded this many more times.
        var quotaFailures = 0
        /// `channels.list` answers 429 this many more times.
        var rateLimits = 0
        /// Clips answer 404 while this is on.
        var clipsMissing = false
        /// Every API request: resource and its query.
        var requests: [(String, [String: String])] = []
    }

    static let key = "yt-test-key"
    static let channelID = "UC" + String(repeating: "a", count: 22)
    static let uploads = "UU" + String(repeating: "a", count: 22)
    static let handle = "stubchannel"
    static let videoIDs = ["vidAAAAAAA1", "vidAAAAAAA2", "vidAAAAAAA3"]

    let state = Mutex(State())
    let clip: Data

    init(clip: Data = Data()) {
        self.clip = clip
    }

    func update(_ change: @Sendable (inout State) -> Void) { state.withLock { change(&$0) } }
    func requests(_ resource: String) -> [[String: String]] { state.withLock { $0.requests.filter { $0.0 == resource }.map(\.1) } }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=UTF-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: (try? JSONEncoder().encode(value)) ?? Data())))
    }

    static func apiError(_ status: HTTPResponse.Status, reason: String, message: String, headers: HTTPFields = [:]) -> Response {
        json(
            ["error": ["code": .int(Int64(status.code)), "message": .string(message), "errors": [["message": .string(message), "domain": "youtube.quota", "reason": .string(reason)]]]],
            status: status, headers: headers)
    }

    /// The request's query, recorded; nil (and the error to answer) when the key is wrong.
    func accept(_ resource: String, _ request: Request) -> ([String: String], Response?) {
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        state.withLock { $0.requests.append((resource, query)) }
        guard query["key"] == Self.key else { return (query, Self.apiError(.badRequest, reason: "keyInvalid", message: "API key not valid. Please pass a valid API key.")) }
        return (query, nil)
    }

    var router: Router<BasicRequestContext> {
        let router = Router()
        router.get("/youtube/v3/channels") { request, _ in self.channels(request) }
        router.get("/youtube/v3/playlistItems") { request, _ in self.playlistItems(request) }
        router.get("/youtube/v3/videos") { request, _ in self.videos(request) }
        router.get("/youtube/v3/search") { request, _ -> Response in
            let (_, refused) = self.accept("search", request)
            return refused ?? Self.json(["kind": "youtube#searchListResponse", "pageInfo": ["totalResults": 0, "resultsPerPage": 1], "items": []])
        }
        router.get("/clips/{name}") { _, _ -> Response in
            if self.state.withLock({ $0.clipsMissing }) { return Response(status: .notFound) }
            return Response(
                status: .ok, headers: [.contentType: "video/mp4", .contentLength: String(self.clip.count)],
                body: .init(byteBuffer: ByteBuffer(bytes: self.clip)))
        }
        return router
    }

    func channels(_ request: Request) -> Response {
        let (query, refused) = accept("channels", request)
        if let refused { return refused }
        let failure = state.withLock { state -> Response? in
            if state.quotaFailures > 0 {
                state.quotaFailures -= 1
                return Self.apiError(
                    .forbidden, reason: "quotaExceeded",
                    message: "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.")
            }
            if state.rateLimits > 0 {
                state.rateLimits -= 1
                return Self.apiError(.tooManyRequests, reason: "rateLimitExceeded", message: "Too many requests", headers: [.retryAfter: "0"])
            }
            return nil
        }
        if let failure { return failure }
        let matches = query["id"] == Self.channelID || query["forHandle"]?.lowercased() == "@" + Self.handle || query["forUsername"] == "stubuser"
        guard matches else { return Self.json(["kind": "youtube#channelListResponse", "etag": "e0", "pageInfo": ["totalResults": 0, "resultsPerPage": 5]]) }
        let (subscribers, views) = state.withLock { ($0.subscribers, $0.channelViews) }
        return Self.json([
            "kind": "youtube#channelListResponse", "etag": "e1", "pageInfo": ["totalResults": 1, "resultsPerPage": 5],
            "items": [[
                "kind": "youtube#channel", "etag": "c1", "id": .string(Self.channelID),
                "snippet": [
                    "title": "Stub Channel", "description": "Videos made for tests", "customUrl": .string("@" + Self.handle),
                    "publishedAt": "2015-03-01T10:00:00Z", "country": "US",
                    "thumbnails": ["default": ["url": "https://yt3.example/default.jpg", "width": 88, "height": 88], "high": ["url": "https://yt3.example/high.jpg"]],
                ],
                "statistics": [
                    "viewCount": .string(String(views)), "subscriberCount": .string(String(subscribers)), "hiddenSubscriberCount": false,
                    "videoCount": .string(String(Self.videoIDs.count)),
                ],
                "contentDetails": ["relatedPlaylists": ["likes": "", "uploads": .string(Self.uploads)]],
            ]],
        ])
    }

    /// Two items a page whatever `maxResults` asks (so paging is exercised), tokens `page-N`.
    func playlistItems(_ request: Request) -> Response {
        let (query, refused) = accept("playlistItems", request)
        if let refused { return refused }
        guard query["playlistId"] == Self.uploads else {
            return Self.apiError(.notFound, reason: "playlistNotFound", message: "The playlist identified with the request's playlistId parameter cannot be found.")
        }
        let start = query["pageToken"].flatMap { Int($0.replacingOccurrences(of: "page-", with: "")) } ?? 0
        let size = min(Int(query["maxResults"] ?? "5") ?? 5, 2)
        let page = Array(Self.videoIDs.dropFirst(start).prefix(size))
        var answer: [String: JSONValue] = [
            "kind": "youtube#playlistItemListResponse", "pageInfo": ["totalResults": .int(Int64(Self.videoIDs.count)), "resultsPerPage": .int(Int64(size))],
            "items": .array(page.map { id in
                ["kind": "youtube#playlistItem", "snippet": ["title": .string("Video \(id)"), "resourceId": ["kind": "youtube#video", "videoId": .string(id)]],
                 "contentDetails": ["videoId": .string(id), "videoPublishedAt": "2024-01-01T00:00:00Z"]]
            }),
        ]
        if start + size < Self.videoIDs.count { answer["nextPageToken"] = .string("page-\(start + size)") }
        return Self.json(.object(answer))
    }

    func videos(_ request: Request) -> Response {
        let (query, refused) = accept("videos", request)
        if let refused { return refused }
        let ids = (query["id"] ?? "").split(separator: ",").map(String.init)
        let views = state.withLock { $0.videoViews }
        let items: [JSONValue] = ids.compactMap { id in
            guard let index = Self.videoIDs.firstIndex(of: id) else { return nil }
            var statistics: [String: JSONValue] = [
                "viewCount": .string(String(views[id] ?? 0)), "commentCount": .string(String(index * 2)), "favoriteCount": "0",
            ]
            // The second video hides its likes (the API then leaves likeCount out).
            if index != 1 { statistics["likeCount"] = .string(String((views[id] ?? 0) / 10)) }
            return [
                "kind": "youtube#video", "id": .string(id),
                "snippet": [
                    "publishedAt": .string("2024-0\(index + 1)-15T12:00:00Z"), "channelId": .string(Self.channelID), "title": .string("Video \(index + 1)"),
                    "description": "A clip", "categoryId": "22", "defaultAudioLanguage": "en",
                    "thumbnails": ["medium": ["url": .string("https://i.example/\(id)/mq.jpg")]],
                ],
                "statistics": .object(statistics),
                "contentDetails": ["duration": index == 2 ? "PT1M5S" : "PT6S", "dimension": "2d", "definition": "hd"],
            ]
        }
        return Self.json(["kind": "youtube#videoListResponse", "pageInfo": ["totalResults": .int(Int64(items.count)), "resultsPerPage": .int(Int64(items.count))], "items": .array(items)])
    }
}

/// A 6 s clip with two hard cuts (test pattern, red, colour bars) and a tone: three shots.
func analysisClip() async throws -> Data {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("analysis-clip-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("clip.mp4").path
    let result = try await AnnotationMedia.run("ffmpeg", [
        "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
        "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=2", "-f", "lavfi", "-i", "color=c=red:size=160x120:rate=10:duration=2",
        "-f", "lavfi", "-i", "smptebars=size=160x120:rate=10:duration=2", "-f", "lavfi", "-i", "sine=frequency=440:duration=6",
        "-filter_complex", "[0:v][1:v][2:v]concat=n=3:v=1:a=0,format=yuv420p[v]", "-map", "[v]", "-map", "3:a",
        "-c:v", "libx264", "-g", "10", "-c:a", "aac", "-shortest", path,
    ])
    guard result.status == 0 else { throw StubClipError() }
    return try Data(contentsOf: URL(fileURLWithPath: path))
}

struct StubClipError: Error {}

/// The configuration of an analysis test against the stub at `base`.
func analysisEnvironment(_ base: String, storage: String, extra: [String: String] = [:]) -> [String: String] {
    [
        "YOUTUBE_API_BASE_URL": base + "/youtube/v3", "ANALYSIS_VIDEO_URL_TEMPLATE": base + "/clips/{video_id}.mp4", "STORAGE_DIR": storage,
        "TASKS_POLL_MS": "100", "TASKS_RETRY_BASE_MS": "100", "YOUTUBE_API_RETRY_BASE_MS": "10", "ANALYSIS_SCHEDULER_MS": "200",
    ].merging(extra) { $1 }
}
