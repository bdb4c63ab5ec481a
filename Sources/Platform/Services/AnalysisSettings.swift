import Foundation
import PlatformSupport

extension PlatformConfig {
    /// Channel analysis: the YouTube Data API, yt-dlp downloads, shot analysis, crawl schedules.
    public struct Analysis: Sendable {
        /// The YouTube Data API v3 (a local stub in tests).
        public var youtubeAPIBaseURL: String
        /// Used when a tenant stored no `youtube.api_key` secret of its own.
        public var youtubeAPIKey: String?
        public var youtubeTimeoutSeconds: Int
        /// Retries of one call on 429, 5xx and the API's rate-limit 403s (exponential backoff).
        public var youtubeRetries: Int
        public var youtubeRetryBaseMilliseconds: Int
        /// How long a crawl that ran out of the day's quota waits before its next attempt.
        public var quotaBackoffSeconds: Int
        /// A video's page, what yt-dlp downloads: `{video_id}` is replaced.
        public var videoURLTemplate: String
        /// The yt-dlp executable; nil: `yt-dlp` on the PATH, else the one scripts/setup installs.
        public var ytdlpPath: String?
        /// yt-dlp's `-f` format selection.
        public var ytdlpFormat: String
        public var downloadTimeoutSeconds: Int
        public var downloadMaxBytes: Int64
        /// Pipelines `POST /videos/{id}/analyze` runs; `scene_detection` always runs.
        public var pipelines: [String]
        public var analysisTimeoutSeconds: Int
        /// How often each instance looks for accounts due a scheduled crawl.
        public var schedulerIntervalMilliseconds: Int

        public static let knownPipelines = ["scene_detection", "metadata", "audio_processing"]
    }

    static func analysis(_ values: Values) throws -> Analysis {
        let base = values.string("youtube.api.base.url", env: "YOUTUBE_API_BASE_URL") ?? "https://www.googleapis.com/youtube/v3"
        guard let url = URL(string: base), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
            throw ConfigurationError("YOUTUBE_API_BASE_URL must be an absolute http(s) URL (got '\(base)')")
        }
        let template = values.string("analysis.video.url.template", env: "ANALYSIS_VIDEO_URL_TEMPLATE") ?? "https://www.youtube.com/watch?v={video_id}"
        guard template.contains("{video_id}"), let sample = URL(string: template.replacingOccurrences(of: "{video_id}", with: "x")),
            ["http", "https"].contains(sample.scheme?.lowercased() ?? ""), sample.host != nil
        else {
            throw ConfigurationError("ANALYSIS_VIDEO_URL_TEMPLATE must be an absolute http(s) URL containing {video_id} (got '\(template)')")
        }
        let pipelineText = values.string("analysis.pipelines", env: "ANALYSIS_PIPELINES") ?? "scene_detection"
        var pipelines = ["scene_detection"]
        for name in pipelineText.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard Analysis.knownPipelines.contains(name) else {
                throw ConfigurationError("ANALYSIS_PIPELINES lists \(Analysis.knownPipelines.joined(separator: ", ")) (got '\(name)')")
            }
            if !pipelines.contains(name) { pipelines.append(name) }
        }
        return Analysis(
            youtubeAPIBaseURL: base.hasSuffix("/") ? String(base.dropLast()) : base,
            youtubeAPIKey: values.string("youtube.api.key", env: "YOUTUBE_API_KEY", secret: true),
            youtubeTimeoutSeconds: try values.int("youtube.api.timeout.seconds", env: "YOUTUBE_API_TIMEOUT_SECONDS", default: 20, range: 1...300),
            youtubeRetries: try values.int("youtube.api.retries", env: "YOUTUBE_API_RETRIES", default: 3, range: 0...10),
            youtubeRetryBaseMilliseconds: try values.int("youtube.api.retry.base.ms", env: "YOUTUBE_API_RETRY_BASE_MS", default: 1000, range: 1...60_000),
            quotaBackoffSeconds: try values.int("youtube.quota.backoff.seconds", env: "YOUTUBE_QUOTA_BACKOFF_SECONDS", default: 3600, range: 1...86_400),
            videoURLTemplate: template,
            ytdlpPath: values.string("ytdlp.path", env: "YTDLP_PATH"),
            ytdlpFormat: values.string("ytdlp.format", env: "YTDLP_FORMAT") ?? "bv*[height<=?720]+ba/b[height<=?720]/b",
            downloadTimeoutSeconds: try values.int("analysis.download.timeout.seconds", env: "ANALYSIS_DOWNLOAD_TIMEOUT_SECONDS", default: 1800, range: 5...86_400),
            downloadMaxBytes: Int64(try values.int("analysis.download.max.bytes", env: "ANALYSIS_DOWNLOAD_MAX_BYTES", default: 2 << 30, range: 1024...(1 << 42))),
            pipelines: pipelines,
            analysisTimeoutSeconds: try values.int("analysis.timeout.seconds", env: "ANALYSIS_TIMEOUT_SECONDS", default: 3600, range: 10...86_400),
            schedulerIntervalMilliseconds: try values.int("analysis.scheduler.ms", env: "ANALYSIS_SCHEDULER_MS", default: 5000, range: 100...600_000))
    }
}
