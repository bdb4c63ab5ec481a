import Foundation

/// The `format` checks the validator asserts, written to their RFCs: `date-time` and `date`
/// (RFC 3339 §5.6, with real calendar days and leap seconds only at 23:59:60 UTC) and `email`
/// (RFC 5321's mailbox: a dot-atom or quoted local part, a host name or an address literal).
enum FormatCheck {
    static func isDigits(_ text: Substring, count: Int) -> Bool {
        text.count == count && text.allSatisfy { $0.isASCII && $0.isNumber }
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func date(_ text: String) -> Bool {
        date(Substring(text)) != nil
    }

    /// Year, month and day of a full-date.
    static func date(_ text: Substring) -> (Int, Int, Int)? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, isDigits(parts[0], count: 4), isDigits(parts[1], count: 2), isDigits(parts[2], count: 2),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        return (year, month, day)
    }

    static func dateTime(_ text: String) -> Bool {
        guard let separator = text.firstIndex(where: { $0 == "T" || $0 == "t" }), date(text[..<separator]) != nil else { return false }
        var time = text[text.index(after: separator)...]
        var offsetMinutes = 0
        if time.last == "Z" || time.last == "z" {
            time = time.dropLast()
        } else {
            guard time.count > 6 else { return false }
            let offset = time.suffix(6)
            guard let sign = offset.first, sign == "+" || sign == "-", offset.dropFirst(3).first == ":",
                  isDigits(offset.dropFirst().prefix(2), count: 2), isDigits(offset.suffix(2), count: 2),
                  let hours = Int(offset.dropFirst().prefix(2)), let minutes = Int(offset.suffix(2)), hours <= 23, minutes <= 59
            else { return false }
            offsetMinutes = (hours * 60 + minutes) * (sign == "-" ? -1 : 1)
            time = time.dropLast(6)
        }
        if let dot = time.firstIndex(of: ".") {
            let fraction = time[time.index(after: dot)...]
            guard !fraction.isEmpty, fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
            time = time[..<dot]
        }
        let parts = time.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ isDigits($0, count: 2) }),
              let hour = Int(parts[0]), let minute = Int(parts[1]), let second = Int(parts[2]), hour <= 23, minute <= 59, second <= 60
        else { return false }
        if second == 60 {
            // A leap second is the last second of a UTC day.
            let utc = ((hour * 60 + minute - offsetMinutes) % 1440 + 1440) % 1440
            return utc == 23 * 60 + 59
        }
        return true
    }

    static let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~")

    static func email(_ text: String) -> Bool {
        guard let at = text.lastIndex(of: "@") else { return false }
        let local = text[..<at]
        let domain = text[text.index(after: at)...]
        guard !local.isEmpty, local.utf8.count <= 64, !domain.isEmpty, domain.utf8.count <= 255 else { return false }
        let localValid: Bool
        if local.count >= 2, local.first == "\"", local.last == "\"" {
            let inner = local.dropFirst().dropLast()
            var escaped = false
            var valid = true
            for character in inner {
                if escaped { escaped = false; continue }
                if character == "\\" { escaped = true; continue }
                if character == "\"" || !character.isASCII || character.asciiValue.map({ $0 < 32 || $0 == 127 }) == true { valid = false; break }
            }
            localValid = valid && !escaped
        } else {
            localValid = local.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0.allSatisfy(atext.contains) }
        }
        guard localValid else { return false }
        if domain.first == "[", domain.last == "]" {
            let literal = domain.dropFirst().dropLast()
            if literal.hasPrefix("IPv6:") { return ipv6(String(literal.dropFirst(5))) }
            return ipv4(literal)
        }
        return hostname(domain)
    }

    static func ipv4(_ text: Substring) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy { $0.isASCII && $0.isNumber } && (Int(part) ?? 256) <= 255 && (part.count == 1 || part.first != "0")
        }
    }

    static func ipv6(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }

    static func hostname(_ text: Substring) -> Bool {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        return !labels.isEmpty && labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}
