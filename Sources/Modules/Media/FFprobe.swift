import Foundation
import PlatformSupport
import Synchronization

/// ffprobe as a subprocess, with a time limit (killed past it, or when the calling task is
/// cancelled). The media module runs it itself rather than through MediaToolkit so that the
/// server does not link OpenCV (docs/media.md).
enum FFprobe {
    struct Failure: Error, Sendable { var reason: String }

    /// What ffprobe reports about `input` (a path or a URL): its JSON `format` and `streams`.
    static func probe(_ input: String, extraArguments: [String] = [], timeout: Duration) async throws -> JSONValue {
        guard let executable = locate("ffprobe") else { throw Failure(reason: "ffprobe is not installed (scripts/setup installs it)") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ffprobe-\(UUID().uuidString.lowercased())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outURL = folder.appendingPathComponent("out.json")
        let errURL = folder.appendingPathComponent("err.txt")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-v", "error"] + extraArguments + ["-print_format", "json", "-show_format", "-show_streams", input]
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let exit = Exit()
        process.terminationHandler = { finished in exit.finish(finished.terminationStatus) }
        try Task.checkCancellation()
        try process.run()
        let pid = process.processIdentifier
        let timer = Task {
            try await Task.sleep(for: timeout)
            exit.markTimedOut()
            kill(pid, SIGKILL)
        }
        let status = await withTaskCancellationHandler {
            await exit.wait()
        } onCancel: {
            kill(pid, SIGKILL)
        }
        timer.cancel()
        if Task.isCancelled { throw CancellationError() }
        if exit.timedOut { throw Failure(reason: "ffprobe ran longer than \(timeout) and was stopped") }
        let stdout = (try? Data(contentsOf: outURL)) ?? Data()
        let stderr = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
        guard status == 0, let found = try? JSONDecoder().decode(JSONValue.self, from: stdout), found["format"] != nil else {
            let tail = stderr.split(separator: "\n").suffix(3).joined(separator: " | ")
            throw Failure(reason: tail.isEmpty ? "ffprobe could not read it" : "ffprobe could not read it: \(String(tail.prefix(500)))")
        }
        return found
    }

    static func locate(_ tool: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The process's end, awaited once.
    final class Exit: Sendable {
        struct State {
            var status: Int32?
            var waiter: CheckedContinuation<Int32, Never>?
            var timedOut = false
        }

        let state = Mutex(State())

        func finish(_ status: Int32) {
            let waiter = state.withLock { state -> CheckedContinuation<Int32, Never>? in
                state.status = status
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: status)
        }

        func wait() async -> Int32 {
            await withCheckedContinuation { continuation in
                let done = state.withLock { state -> Int32? in
                    if let status = state.status { return status }
                    state.waiter = continuation
                    return nil
                }
                if let done { continuation.resume(returning: done) }
            }
        }

        func markTimedOut() { state.withLock { $0.timedOut = true } }
        var timedOut: Bool { state.withLock { $0.timedOut } }
    }

    static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .int(let i): Double(i)
        case .double(let d): d
        case .string(let s): Double(s)
        default: nil
        }
    }

    /// `30000/1001` → 29.97.
    static func rate(_ value: JSONValue?) -> Double? {
        guard let text = value?.stringValue else { return nil }
        let parts = text.split(separator: "/")
        guard parts.count == 2, let n = Double(parts[0]), let d = Double(parts[1]), d > 0, n > 0 else { return Double(text) }
        return n / d
    }
}

extension JSONValue {
    /// The elements of an array (empty for anything else).
    var arrayItems: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }
}
