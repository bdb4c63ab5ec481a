import Foundation
import MediaToolkit
import PlatformSupport

/// yt-dlp as a subprocess (the platform's `Subprocess`): one video into a folder of its own,
/// within a time limit (the process is killed past it) and a size limit (yt-dlp's own
/// `--max-filesize` for sizes announced in advance, and a watch on the folder that kills the
/// download once it grows past the limit).
struct YtDlp: Sendable {
    enum Failure: Error, Sendable, CustomStringConvertible {
        case tooLarge(Int64)
        case missing(String)
        case timedOut(String)
        case failed(String)

        var description: String {
            switch self {
            case .tooLarge(let limit): "the video is larger than the download limit of \(limit) bytes"
            case .missing(let message): message
            case .timedOut(let message): "the download took too long: \(message)"
            case .failed(let message): "yt-dlp failed: \(message)"
            }
        }
    }

    struct Download: Sendable {
        var path: String
        var size: Int64
    }

    let executable: String
    let format: String
    let timeout: Duration

    /// The configured executable; else `yt-dlp` on the PATH; else the one `scripts/setup`
    /// installs into the project's tools virtualenv (`.build/python-tools/bin/yt-dlp`).
    static func resolve(_ configured: String?) -> String {
        if let configured, !configured.isEmpty { return configured }
        if Subprocess.locate("yt-dlp") != nil { return "yt-dlp" }
        if let paths = try? ProjectPaths.locate() {
            let candidate = paths.migrations.deletingLastPathComponent().appendingPathComponent(".build/python-tools/bin/yt-dlp").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "yt-dlp"
    }

    func download(_ url: String, into directory: String, maxBytes: Int64) async throws -> Download {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let arguments = [
            "--ignore-config", "--no-playlist", "--no-progress", "--no-cache-dir", "--no-mtime", "--no-part", "--newline",
            "--socket-timeout", "30", "--retries", "3", "--max-filesize", String(maxBytes),
            "-f", format, "--merge-output-format", "mp4", "-o", "\(directory)/video.%(ext)s", "--", url,
        ]
        let output: Subprocess.Output
        do {
            output = try await withThrowingTaskGroup(of: Subprocess.Output?.self) { group in
                group.addTask { try await Subprocess.run(executable, arguments, timeout: timeout) }
                group.addTask {
                    // Stops a download whose size was not announced once it passes the limit.
                    while true {
                        try await Task.sleep(for: .milliseconds(250))
                        if Self.bytes(in: directory) > maxBytes { throw Failure.tooLarge(maxBytes) }
                    }
                }
                while let next = try await group.next() {
                    if let finished = next {
                        group.cancelAll()
                        return finished
                    }
                }
                throw CancellationError()
            }
        } catch let error as MediaError {
            switch error {
            case .toolMissing(let message): throw Failure.missing("yt-dlp is not installed (\(message)); set YTDLP_PATH")
            case .timedOut(let message): throw Failure.timedOut(message)
            default: throw Failure.failed(String(describing: error))
            }
        }
        let stdout = String(decoding: output.stdout, as: UTF8.self)
        if stdout.contains("larger than max-filesize") || Self.bytes(in: directory) > maxBytes { throw Failure.tooLarge(maxBytes) }
        guard output.status == 0 else {
            let errors = String(decoding: output.stderr, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("ERROR") }
            throw Failure.failed((errors.last.map(String.init) ?? Self.tail(output.stderr)).prefix(500).description)
        }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasPrefix("video.") && !$0.hasSuffix(".part") && !$0.hasSuffix(".ytdl") && $0.wholeMatch(of: /video\.f[0-9]+\..*/) == nil }
        guard let name = files.sorted().first else { throw Failure.failed("nothing was downloaded: \(Self.tail(output.stdout))") }
        let path = "\(directory)/\(name)"
        let size = Self.size(of: path)
        guard size > 0 else { throw Failure.failed("the downloaded file is empty") }
        return Download(path: path, size: size)
    }

    static func size(of path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// Bytes of every file in the folder (parts and fragments included).
    static func bytes(in directory: String) -> Int64 {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).reduce(0) { $0 + size(of: "\(directory)/\($1)") }
    }

    static func tail(_ data: Data) -> String {
        String(decoding: data, as: UTF8.self).split(separator: "\n").suffix(3).joined(separator: " | ")
    }
}
