import AsyncHTTPClient
import Foundation
import Logging
import PlatformArtifacts
import PlatformDatabase
import PlatformHTTP
import PlatformServices
import Providers
import ServiceLifecycle
import TaskEngine

/// The `analysis` rows of routes.tsv: the short-video platform's channel analysis (target
/// accounts, scheduled crawls through the YouTube Data API, snapshots, yt-dlp downloads into
/// the media library, shot analysis on the media toolkit), its work on the task engine.
public struct AnalysisModule: Sendable {
    let database: Database
    let settings: PlatformConfig.Analysis
    let youtube: YouTubeAccess
    let media: AnalysisMedia
    let artifacts: any ArtifactRecorder

    /// - Parameters:
    ///   - credentials: where a tenant's `youtube.api_key` secret is read.
    ///   - assets: the media library, for downloaded videos.
    ///   - files: stored bytes per tenant, for the storage quota.
    public init(
        database: Database, settings: PlatformConfig.Analysis, http: HTTPClient, credentials: (any ProviderCredentialSource)?,
        assets: any MediaAssetCatalog, files: any StoredFileDirectory, storageDirectory: String, tenantQuotaBytes: Int64,
        artifacts: any ArtifactRecorder
    ) {
        self.database = database
        self.settings = settings
        self.youtube = YouTubeAccess(settings: settings, http: http, credentials: credentials)
        self.media = AnalysisMedia(
            assets: assets, files: files, storage: LocalDiskBlobStorage(root: storageDirectory), quotaBytes: tenantQuotaBytes,
            temporaryDirectory: storageDirectory + "/tmp")
        self.artifacts = artifacts
    }

    public func register(in registry: RouteRegistry) {
        let routes = registry.group("/api/v1/analysis", tag: "analysis")
        AccountController(database: database).register(in: routes)
        VideoController(database: database, assets: media.assets, pipelines: settings.pipelines).register(in: routes)
        MonitoringTaskController(database: database).register(in: routes)
    }

    /// Crawls, downloads and analyses, on the task engine (tenant tasks only this module creates).
    public func register(handlers: inout TaskHandlerRegistry) {
        handlers.register(
            MonitoringTaskType.accountCrawl.engineType, AccountCrawlHandler(database: database, youtube: youtube), createdByModule: true)
        let ytdlp = YtDlp(
            executable: YtDlp.resolve(settings.ytdlpPath), format: settings.ytdlpFormat, timeout: .seconds(settings.downloadTimeoutSeconds))
        handlers.register(
            MonitoringTaskType.videoDownload.engineType,
            VideoDownloadHandler(database: database, media: media, ytdlp: ytdlp, maxBytes: settings.downloadMaxBytes), createdByModule: true)
        handlers.register(
            MonitoringTaskType.videoAnalysis.engineType,
            VideoAnalysisHandler(database: database, media: media, artifacts: artifacts, timeout: .seconds(settings.analysisTimeoutSeconds)),
            createdByModule: true)
    }

    /// Queues scheduled crawls; run it in every instance (each fire queues one crawl).
    public func scheduler(logger: Logger) -> any Service {
        AnalysisScheduler(database: database, interval: .milliseconds(settings.schedulerIntervalMilliseconds), logger: logger)
    }
}
