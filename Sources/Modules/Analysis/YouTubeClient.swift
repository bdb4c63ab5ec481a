import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import PlatformSupport

/// What went wrong talking to the YouTube Data API.
enum YouTubeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The project's daily quota is spent (403 `quotaExceeded`): nothing works until it resets.
    case quotaExceeded(String)
    /// Still rate limited (429, 403 `rateLimitExceeded`) after every retry.
    case rateLimited(String)
    /// The key is missing, invalid or not allowed to call the API.
    case unauthorized(String)
    case notFound(String)
    case failed(String)

    var description: String {
        switch self {
        case .quotaExceeded(let message): "YouTube Data API quota exceeded: \(message)"
        case .rateLimited(let message): "YouTube Data API rate limit: \(message)"
        case .unauthorized(let message): "YouTube Data API refused the key: \(message)"
        case .notFound(let message): "not found on YouTube: \(message)"
        case .failed(let message): "YouTube Data API call failed: \(message)"
        }
    }
}

/// A YouTube Data API v3 client over AsyncHTTPClient: `channels.list`, `playlistItems.list`,
/// `videos.list` and `search.list`, authenticated with an API key. Rate limiting (429, 403
/// `rateLimitExceeded`/`userRateLimitExceeded`), 5xx and transport errors are retried with
/// exponential backoff (honouring `Retry-After`); a spent daily quota is reported at once.
struct YouTubeClient: Sendable {
    struct Settings: Sendable {
        var baseURL: String
        var apiKey: String
        var timeout: Duration
        var retries: Int
        var retryBase: Duration
    }

    static let channelParts = "snippet,statistics,contentDetails"
    let settings: Settings
    let client: HTTPClient

    /// The channel `locator` names (by `knownID`, the channel id a crawl found, when there is one).
    func channel(_ locator: ChannelLocator, knownID: String?) async throws -> YouTubeAPI.Channel? {
        if let knownID { return try await channels(["id": knownID]).first }
        switch locator.kind {
        case .channelId: return try await channels(["id": locator.value]).first
        case .handle: return try await channels(["forHandle": "@" + locator.value]).first
        case .username: return try await channels(["forUsername": locator.value]).first
        case .custom:
            // Legacy custom URLs have no look-up of their own: most equal the channel's handle;
            // otherwise the best channel match of a search (100 quota units).
            if let channel = try await channels(["forHandle": "@" + locator.value]).first { return channel }
            let found: YouTubeAPI.List<YouTubeAPI.SearchResult> = try await get(
                "search", ["part": "snippet", "type": "channel", "q": locator.value, "maxResults": "1"])
            guard let id = found.items?.first?.id?.channelId else { return nil }
            return try await channels(["id": id]).first
        }
    }

    func channels(_ selector: [String: String]) async throws -> [YouTubeAPI.Channel] {
        let list: YouTubeAPI.List<YouTubeAPI.Channel> = try await get("channels", selector.merging(["part": Self.channelParts]) { $1 })
        return list.items ?? []
    }

    /// Up to `limit` video ids of an uploads playlist, newest first, page by page.
    func uploads(playlistID: String, limit: Int) async throws -> [String] {
        var ids: [String] = []
        var token: String?
        var seen: Set<String> = []
        repeat {
            var query = ["part": "contentDetails,snippet", "playlistId": playlistID, "maxResults": String(min(50, limit - ids.count))]
            if let token { query["pageToken"] = token }
            let page: YouTubeAPI.List<YouTubeAPI.PlaylistItem>
            do {
                page = try await get("playlistItems", query)
            } catch YouTubeError.notFound {
                // A channel without uploads has no uploads playlist.
                return ids
            }
            for item in page.items ?? [] {
                guard let id = item.videoId, !ids.contains(id), ids.count < limit else { continue }
                ids.append(id)
            }
            token = page.nextPageToken
            // A token seen before would page forever.
            if let next = token, !seen.insert(next).inserted { break }
        } while token != nil && ids.count < limit
        return ids
    }

    /// The videos' details, in batches of 50 (the API's maximum per call).
    func videos(_ ids: [String]) async throws -> [YouTubeAPI.Video] {
        var videos: [YouTubeAPI.Video] = []
        var start = 0
        while start < ids.count {
            let batch = ids[start..<min(start + 50, ids.count)]
            let list: YouTubeAPI.List<YouTubeAPI.Video> = try await get(
                "videos", ["part": "snippet,statistics,contentDetails", "id": batch.joined(separator: ","), "maxResults": "50"])
            videos += list.items ?? []
            start += 50
        }
        return videos
    }

    // MARK: Wire

    func url(_ resource: String, _ query: [String: String]) throws -> String {
        guard var components = URLComponents(string: settings.baseURL + "/" + resource) else { throw YouTubeError.failed("bad base URL") }
        components.queryItems = (query.sorted { $0.key < $1.key } + [("key", settings.apiKey)]).map { URLQueryItem(name: $0.0, value: $0.1) }
        guard let text = components.string else { throw YouTubeError.failed("bad request URL") }
        return text
    }

    func get<T: Decodable>(_ resource: String, _ query: [String: String]) async throws -> T {
        let address = try url(resource, query)
        var attempt = 0
        while true {
            try Task.checkCancellation()
            var request = HTTPClientRequest(url: address)
            request.headers.add(name: "Accept", value: "application/json")
            let status: Int
            let body: ByteBuffer
            let retryAfter: String?
            do {
                let response = try await client.execute(request, timeout: .seconds(Int64(settings.timeout.components.seconds)))
                status = Int(response.status.code)
                retryAfter = response.headers.first(name: "Retry-After")
                body = try await response.body.collect(upTo: 16 << 20)
            } catch let error as HTTPClientError {
                if Task.isCancelled { throw CancellationError() }
                guard attempt < settings.retries else { throw YouTubeError.failed("\(resource): \(error)") }
                attempt += 1
                try await Task.sleep(for: backoff(attempt, retryAfter: nil))
                continue
            }
            if (200..<300).contains(status) {
                do {
                    return try JSONDecoder().decode(T.self, from: Data(buffer: body))
                } catch {
                    throw YouTubeError.failed("\(resource) answered JSON that is not the API's: \(error)")
                }
            }
            let failure = Self.error(status: status, body: body, resource: resource)
            if case .rateLimited = failure, attempt < settings.retries {
                attempt += 1
                try await Task.sleep(for: backoff(attempt, retryAfter: retryAfter))
                continue
            }
            if case .failed = failure, status >= 500, attempt < settings.retries {
                attempt += 1
                try await Task.sleep(for: backoff(attempt, retryAfter: retryAfter))
                continue
            }
            throw failure
        }
    }

    func backoff(_ attempt: Int, retryAfter: String?) -> Duration {
        if let text = retryAfter?.trimmingCharacters(in: .whitespaces), let seconds = Double(text), seconds >= 0 {
            return .milliseconds(Int(min(seconds, 60) * 1000))
        }
        return settings.retryBase * (1 << min(attempt - 1, 10)) * Double.random(in: 0.8...1.2)
    }

    /// The API's error, classified by its `reason`.
    static func error(status: Int, body: ByteBuffer, resource: String) -> YouTubeError {
        let parsed = try? JSONDecoder().decode(YouTubeAPI.ErrorBody.self, from: Data(buffer: body))
        let reasons = Set(parsed?.error?.errors?.compactMap(\.reason) ?? [])
        let message = String((parsed?.error?.message ?? "HTTP \(status)").prefix(300))
        if !reasons.isDisjoint(with: ["quotaExceeded", "dailyLimitExceeded"]) { return .quotaExceeded(message) }
        if status == 429 || !reasons.isDisjoint(with: ["rateLimitExceeded", "userRateLimitExceeded"]) { return .rateLimited(message) }
        if status == 401 || status == 403 || !reasons.isDisjoint(with: ["keyInvalid", "keyExpired", "accessNotConfigured", "forbidden"]) {
            return .unauthorized(message)
        }
        if status == 404 { return .notFound("\(resource): \(message)") }
        return .failed("\(resource): HTTP \(status): \(message)")
    }
}
