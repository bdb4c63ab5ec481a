import Foundation

/// Runs command-line tools for tests without blocking Swift concurrency's threads: the process
/// is started, fed and waited for on a thread of its own, and the caller awaits the outcome.
/// (The cooperative pool has one thread per core; a test that blocks one in `waitUntilExit` or
/// `readDataToEndOfFile` stalls every other test on a two-core machine.)
public enum Tools {
    public struct Outcome: Sendable {
        public var status: Int32
        public var output: String
        public var data: Data
    }

    public struct LaunchFailed: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs `executable` (a path, or a name looked up through `/usr/bin/env`) with `arguments`;
    /// `input` goes to its standard input. Standard error is discarded.
    public static func run(
        _ executable: String, _ arguments: [String], input: Data? = nil, environment: [String: String]? = nil
    ) async throws -> Outcome {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Outcome, any Error>) in
            let thread = Thread {
                do {
                    continuation.resume(returning: try runBlocking(executable, arguments, input: input, environment: environment))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.start()
        }
    }

    static func runBlocking(_ executable: String, _ arguments: [String], input: Data?, environment: [String: String]?) throws -> Outcome {
        let process = Process()
        if executable.hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        if let environment { process.environment = environment }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let stdin = input.map { _ in Pipe() }
        process.standardInput = stdin ?? FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw LaunchFailed(description: "\(executable): \(error)")
        }
        if let stdin, let input {
            try? stdin.fileHandleForWriting.write(contentsOf: input)
            try? stdin.fileHandleForWriting.close()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self), data: data)
    }

    /// Waits (without blocking a thread) until `process` has exited; SIGKILL after `grace`.
    /// Children of the test process may inherit a blocked SIGTERM, so SIGKILL is the fallback.
    public static func stop(_ process: Process, grace: Duration = .seconds(10)) async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + grace
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
    }

    /// Waits until `process` has exited, without blocking a thread.
    public static func waitForExit(_ process: Process) async {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
    }
}
