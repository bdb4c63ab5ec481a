import Foundation
import Synchronization

/// What a media pipeline can report going wrong.
public enum MediaError: Error, Sendable, Equatable {
    /// The file is missing or empty.
    case unreadable(String)
    /// The file is not a decodable video (ffprobe/ffmpeg refused it, or it has no video stream).
    case notAVideo(String)
    /// A tool ran past its time limit and was killed.
    case timedOut(String)
    /// A tool the pipeline needs is not installed.
    case toolMissing(String)
    case failed(String)
}

/// Runs external tools (ffprobe, ffmpeg) with a time limit: past it, or when the calling task
/// is cancelled, the process is killed. Output is collected as it comes, so a chatty tool
/// never blocks on a full pipe.
public enum Subprocess {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: Data
        public var stderr: Data
    }

    final class Collected: Sendable {
        let stdout = Mutex(Data())
        let stderr = Mutex(Data())
        /// Called with each new piece of standard output (progress parsing).
        let onOutput: (@Sendable (Data) -> Void)?
        let keepOutput: Bool

        init(onOutput: (@Sendable (Data) -> Void)?, keepOutput: Bool) {
            self.onOutput = onOutput
            self.keepOutput = keepOutput
        }
    }

    /// The full path of `tool` on the PATH, or nil.
    public static func locate(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    public static func run(
        _ tool: String, _ arguments: [String], timeout: Duration, keepOutput: Bool = true, onOutput: (@Sendable (Data) -> Void)? = nil
    ) async throws -> Output {
        guard let executable = locate(tool) else { throw MediaError.toolMissing("\(tool) is not installed (scripts/setup installs it)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let collected = Collected(onOutput: onOutput, keepOutput: keepOutput)
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            guard !data.isEmpty else { return }
            if collected.keepOutput { collected.stdout.withLock { $0.append(data) } }
            collected.onOutput?(data)
        }
        err.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            guard !data.isEmpty else { return }
            // Keep the tail only: ffmpeg can be very talkative.
            collected.stderr.withLock { buffer in
                buffer.append(data)
                if buffer.count > 256 * 1024 { buffer.removeFirst(buffer.count - 128 * 1024) }
            }
        }
        let (ended, signal) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { finished in
            signal.yield(finished.terminationStatus)
            signal.finish()
        }
        try process.run()
        let pid = process.processIdentifier
        let status: Int32? = await withTaskCancellationHandler {
            await withTaskGroup(of: Int32?.self) { group in
                group.addTask {
                    for await status in ended { return status }
                    return nil
                }
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
        } onCancel: {
            kill(pid, SIGKILL)
        }
        guard let status else {
            kill(pid, SIGKILL)
            process.waitUntilExit()
            out.fileHandleForReading.readabilityHandler = nil
            err.fileHandleForReading.readabilityHandler = nil
            if Task.isCancelled { throw CancellationError() }
            throw MediaError.timedOut("\(tool) ran longer than \(timeout) and was stopped")
        }
        // Drain what is left in the pipes after exit.
        out.fileHandleForReading.readabilityHandler = nil
        err.fileHandleForReading.readabilityHandler = nil
        let restOut = out.fileHandleForReading.readDataToEndOfFile()
        let restErr = err.fileHandleForReading.readDataToEndOfFile()
        if !restOut.isEmpty {
            if keepOutput { collected.stdout.withLock { $0.append(restOut) } }
            collected.onOutput?(restOut)
        }
        collected.stderr.withLock { $0.append(restErr) }
        return Output(status: status, stdout: collected.stdout.withLock { $0 }, stderr: collected.stderr.withLock { $0 })
    }

    /// The last lines of a tool's error output, for messages.
    static func tail(_ data: Data, lines: Int = 3) -> String {
        String(decoding: data, as: UTF8.self).split(separator: "\n").suffix(lines).joined(separator: " | ")
    }
}
