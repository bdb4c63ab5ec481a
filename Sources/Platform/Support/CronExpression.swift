import Foundation

/// A five-field cron expression (`minute hour day-of-month month day-of-week`) with `*`,
/// numbers, ranges (`1-5`), lists (`1,15`), steps (`*/15`, `0-30/10`) and month and weekday
/// names (`JAN`, `MON`). Weekdays run 0-7 (0 and 7 are Sunday). As in classic cron, when both
/// day fields are restricted a day matching either runs.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public let description: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    let weekdays: Set<Int>
    let daysRestricted: Bool
    let weekdaysRestricted: Bool

    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    public init(_ text: String) throws(Invalid) {
        let fields = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard fields.count == 5 else { throw Invalid(description: "a cron expression has five fields (minute hour day month weekday), not \(fields.count)") }
        description = fields.joined(separator: " ")
        minutes = try Self.field(fields[0], "minute", 0...59, names: [])
        hours = try Self.field(fields[1], "hour", 0...23, names: [])
        days = try Self.field(fields[2], "day of month", 1...31, names: [])
        months = try Self.field(fields[3], "month", 1...12, names: Self.monthNames, nameBase: 1)
        var weekdays = try Self.field(fields[4], "day of week", 0...7, names: Self.dayNames)
        if weekdays.contains(7) { weekdays.remove(7); weekdays.insert(0) }
        self.weekdays = weekdays
        daysRestricted = fields[2] != "*" && !fields[2].hasPrefix("*/")
        weekdaysRestricted = fields[4] != "*" && !fields[4].hasPrefix("*/")
    }

    static func field(_ text: String, _ name: String, _ range: ClosedRange<Int>, names: [String], nameBase: Int = 0) throws(Invalid) -> Set<Int> {
        func number(_ part: String) throws(Invalid) -> Int {
            if let value = Int(part), range.contains(value) { return value }
            if let index = names.firstIndex(of: part.uppercased()) { return index + nameBase }
            throw Invalid(description: "the \(name) field: \(part) is not within \(range.lowerBound)-\(range.upperBound)")
        }
        var values = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard !item.isEmpty else { throw Invalid(description: "the \(name) field has an empty list item") }
            let pieces = item.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard pieces.count <= 2 else { throw Invalid(description: "the \(name) field: \(item) has more than one step") }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else { throw Invalid(description: "the \(name) field: the step of \(item) must be a positive number") }
                step = parsed
            }
            let span = pieces[0]
            let lower: Int, upper: Int
            if span == "*" {
                (lower, upper) = (range.lowerBound, range.upperBound)
            } else if span.contains("-") {
                let bounds = span.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
                guard bounds.count == 2 else { throw Invalid(description: "the \(name) field: \(span) is not a range") }
                lower = try number(bounds[0])
                upper = try number(bounds[1])
                guard lower <= upper else { throw Invalid(description: "the \(name) field: \(span) runs backwards") }
            } else {
                lower = try number(span)
                upper = pieces.count == 2 ? range.upperBound : lower
            }
            values.formUnion(stride(from: lower, through: upper, by: step))
        }
        return values
    }

    /// The first minute after `date` that matches, in `timeZone`; nil when none does within
    /// five years (`0 0 30 2 *`).
    public func next(after date: Date, in timeZone: TimeZone = TimeZone(identifier: "UTC") ?? .current) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let start = date.addingTimeInterval(60 - date.timeIntervalSince1970.truncatingRemainder(dividingBy: 60))
        var day = calendar.startOfDay(for: start)
        let sortedHours = hours.sorted(), sortedMinutes = minutes.sorted()
        for _ in 0..<(366 * 5) {
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
            guard let month = parts.month, let dayOfMonth = parts.day, let weekday = parts.weekday else { return nil }
            let dayMatches: Bool
            switch (daysRestricted, weekdaysRestricted) {
            case (true, true): dayMatches = days.contains(dayOfMonth) || weekdays.contains(weekday - 1)
            case (true, false): dayMatches = days.contains(dayOfMonth)
            case (false, true): dayMatches = weekdays.contains(weekday - 1)
            case (false, false): dayMatches = true
            }
            if months.contains(month) && dayMatches {
                for hour in sortedHours {
                    for minute in sortedMinutes {
                        var candidate = DateComponents()
                        candidate.year = parts.year
                        candidate.month = month
                        candidate.day = dayOfMonth
                        candidate.hour = hour
                        candidate.minute = minute
                        // A local time skipped by a clock change does not exist: move on.
                        guard let time = calendar.date(from: candidate), calendar.component(.hour, from: time) == hour else { continue }
                        if time >= start { return time }
                    }
                }
            }
            guard let following = calendar.date(byAdding: .day, value: 1, to: day) else { return nil }
            day = following
        }
        return nil
    }
}
