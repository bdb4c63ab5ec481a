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
    /// A tool wrote more output than its caller allows and was stopped.
    case outputTooLarge(String)
    case failed(String)
}

/// Runs external tools (ffprobe, ffmpeg) with a time limit: past it, or when the calling task
/// is cancelled, the process is killed. Output is collected as it comes, so a chatty tool
/// never blocks on a full pipe.
///
/// The outcome does not depend on the order in which the kill, the exit and the cancellation
/// are observed: a cancelled call always throws `CancellationError`, a call stopped by its time
/// limit always throws `MediaError.timedOut`, and in every path the process is reaped and both
/// pipes are closed before the call returns.
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

    /// Why the process was killed, decided once under a lock shared with the exit: the first
    /// of exit, cancellation and time limit wins, and a process that has exited is never
    /// signalled (its pid may already belong to another process).
    final class Lifecycle: Sendable {
        enum StopReason: Sendable { case cancelled, timedOut, outputLimit }

        struct State {
            var pid: pid_t = 0
            var exitStatus: Int32?
            var stopReason: StopReason?
            var waiter: CheckedContinuation<Int32, Never>?
        }

        private let state = Mutex(State())

        /// Once the process runs; a stop that came before it is carried out now.
        func started(pid: pid_t) {
            state.withLock { state in
                state.pid = pid
                if state.stopReason != nil && state.exitStatus == nil { kill(pid, SIGKILL) }
            }
        }

        /// From the termination handler.
        func exited(_ status: Int32) {
            let waiter = state.withLock { state -> CheckedContinuation<Int32, Never>? in
                state.exitStatus = status
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: status)
        }

        /// Kills the process for `reason` unless it has already exited or been stopped.
        func stop(_ reason: StopReason) {
            state.withLock { state in
                guard state.exitStatus == nil, state.stopReason == nil else { return }
                state.stopReason = reason
                if state.pid > 0 { kill(state.pid, SIGKILL) }
            }
        }

        var stopReason: StopReason? { state.withLock { $0.stopReason } }

        /// Waits for the exit without reacting to cancellation: once killed, it is imminent,
        /// and returning earlier would leave a zombie and open pipes behind.
        func waitForExit() async -> Int32 {
            await withCheckedContinuation { continuation in
                let status = state.withLock { state -> Int32? in
                    if let status = state.exitStatus { return status }
                    state.waiter = continuation
                    return nil
                }
                if let status { continuation.resume(returning: status) }
            }
        }
    }

    /// The full path of `tool` on the PATH (or `tool` itself when it is a path to an executable),
    /// or nil.
    public static func locate(_ tool: String) -> String? {
        if tool.contains("/") { return FileManager.default.isExecutableFile(atPath: tool) ? tool : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `tool` (a name on the PATH or an absolute path) with `arguments` as its argv, never
    /// through a shell. `environment` replaces the inherited one when given; `maxOutputBytes`
    /// stops a process whose standard output grows past it (`MediaError.outputTooLarge`).
    public static func run(
        _ tool: String, _ arguments: [String], timeout: Duration, keepOutput: Bool = true, environment: [String: String]? = nil,
        workingDirectory: String? = nil, maxOutputBytes: Int? = nil, onOutput: (@Sendable (Data) -> Void)? = nil
    ) async throws -> Output {
        guard let executable = locate(tool) else { throw MediaError.toolMissing("\(tool) is not installed (scripts/setup installs it)") }
        try Task.checkCancellation()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        if let environment { process.environment = environment }
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        let collected = Collected(onOutput: onOutput, keepOutput: keepOutput)
        let lifecycle = Lifecycle()
        let received = Mutex(0)
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            guard !data.isEmpty else { return }
            if let maxOutputBytes {
                let total = received.withLock { count -> Int in
                    count += data.count
                    return count
                }
                if total > maxOutputBytes {
                    lifecycle.stop(.outputLimit)
                    return
                }
            }
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
        process.terminationHandler = { finished in lifecycle.exited(finished.terminationStatus) }
        do {
            try process.run()
        } catch {
            out.fileHandleForReading.readabilityHandler = nil
            err.fileHandleForReading.readabilityHandler = nil
            try? out.fileHandleForReading.close()
            try? err.fileHandleForReading.close()
            throw MediaError.failed("\(tool) could not be started: \(error)")
        }
        lifecycle.started(pid: process.processIdentifier)
        let timer = Task {
            try await Task.sleep(for: timeout)
            lifecycle.stop(.timedOut)
        }
        let status = await withTaskCancellationHandler {
            await lifecycle.waitForExit()
        } onCancel: {
            lifecycle.stop(.cancelled)
        }
        timer.cancel()
        // The process has exited: drain what is left in the pipes, then close them.
        out.fileHandleForReading.readabilityHandler = nil
        err.fileHandleForReading.readabilityHandler = nil
        let restOut = out.fileHandleForReading.readDataToEndOfFile()
        let restErr = err.fileHandleForReading.readDataToEndOfFile()
        try? out.fileHandleForReading.close()
        try? err.fileHandleForReading.close()
        // Cancellation wins over everything, including a natural exit observed first: the
        // caller asked to stop and must not mistake the result for the tool's own.
        if Task.isCancelled || lifecycle.stopReason == .cancelled { throw CancellationError() }
        if lifecycle.stopReason == .timedOut { throw MediaError.timedOut("\(tool) ran longer than \(timeout) and was stopped") }
        if lifecycle.stopReason == .outputLimit || (maxOutputBytes.map { received.withLock { $0 } + restOut.count > $0 } ?? false) {
            throw MediaError.outputTooLarge("\(tool) wrote more than \(maxOutputBytes ?? 0) bytes of output and was stopped")
        }
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
