import Foundation
import PlatformSupport

/// `wait`: a timer step for workflows ("continue after N seconds"), reporting progress each
/// second. Input: `{"seconds": number}` (0 to 86400).
public struct WaitTaskHandler: TaskHandler {
    public static let taskType = "wait"

    public init() {}

    public func run(_ job: TaskJob) async throws -> JSONValue? {
        let seconds: Double
        switch job.task.taskInput["seconds"] {
        case .int(let value)?: seconds = Double(value)
        case .double(let value)?: seconds = value
        default: throw TaskFailure("task_input.seconds must be a number from 0 to 86400", retryable: false)
        }
        guard (0...86_400).contains(seconds) else { throw TaskFailure("task_input.seconds must be a number from 0 to 86400", retryable: false) }
        var waited = 0.0
        while waited < seconds {
            let step = min(1, seconds - waited)
            try await Task.sleep(for: .milliseconds(Int(step * 1000)))
            waited += step
            try await job.progress(Int(waited / seconds * 100), step: "waited \(Int(waited)) of \(Int(seconds.rounded(.up))) s")
        }
        return ["waited_seconds": .double(seconds)]
    }
}
