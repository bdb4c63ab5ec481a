import Foundation
import PlatformSupport

/// When an account is crawled on its own: every `schedule_interval` seconds, or at the times a
/// five-field cron expression names (UTC). One of the two; scheduled without either means daily.
struct CrawlSchedule: Sendable, Equatable {
    static let defaultInterval = 86_400
    static let intervalRange = 60...31_536_000

    var interval: Int?
    var cron: String?

    /// Checks a schedule as given on create or update; every problem goes into `problems`.
    static func validated(isScheduled: Bool, interval: Int?, cron: String?, into problems: inout [String: String]) -> CrawlSchedule? {
        let cron = cron?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let interval, !intervalRange.contains(interval) {
            problems["schedule_interval"] = "must be from \(intervalRange.lowerBound) to \(intervalRange.upperBound) seconds"
        }
        if let cron {
            if cron.count > 200 {
                problems["cron_string"] = "must be at most 200 characters"
            } else {
                do throws(CronExpression.Invalid) {
                    _ = try CronExpression(cron)
                } catch {
                    problems["cron_string"] = "is not a valid cron expression: \(error.description)"
                }
            }
        }
        if interval != nil && cron != nil {
            problems["cron_string"] = problems["cron_string"] ?? "give schedule_interval or cron_string, not both"
        }
        guard isScheduled else { return nil }
        if let cron { return CrawlSchedule(interval: nil, cron: (try? CronExpression(cron))?.description ?? cron) }
        return CrawlSchedule(interval: interval ?? defaultInterval, cron: nil)
    }

    /// The first crawl time after `date`; nil when a cron expression never matches again.
    func next(after date: Date) -> Date? {
        if let cron, let expression = try? CronExpression(cron) { return expression.next(after: date) }
        if let interval { return date.addingTimeInterval(TimeInterval(interval)) }
        return nil
    }
}
