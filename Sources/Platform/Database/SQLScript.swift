/// Splits a SQL script into statements for the extended protocol, which takes one at a time.
/// Understands quoted strings and identifiers, dollar quoting and both comment styles.
public enum SQLScript {
    public static func statements(_ script: String) -> [String] {
        let characters = Array(script.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0

        func flush() {
            let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if !isOnlyComments(text) { statements.append(text) }
            current = String.UnicodeScalarView()
        }

        while index < characters.count {
            let scalar = characters[index]
            let next = index + 1 < characters.count ? characters[index + 1] : nil
            switch scalar {
            case "'", "\"":
                // Quoted literal or identifier; a doubled quote is an escaped quote.
                current.append(scalar)
                index += 1
                while index < characters.count {
                    current.append(characters[index])
                    if characters[index] == scalar {
                        if index + 1 < characters.count && characters[index + 1] == scalar {
                            current.append(characters[index + 1])
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    index += 1
                }
            case "-" where next == "-":
                while index < characters.count && characters[index] != "\n" {
                    current.append(characters[index])
                    index += 1
                }
            case "/" where next == "*":
                var depth = 0
                repeat {
                    if characters[index] == "/" && index + 1 < characters.count && characters[index + 1] == "*" {
                        depth += 1
                        current.append(characters[index]); current.append(characters[index + 1])
                        index += 2
                    } else if characters[index] == "*" && index + 1 < characters.count && characters[index + 1] == "/" {
                        depth -= 1
                        current.append(characters[index]); current.append(characters[index + 1])
                        index += 2
                    } else {
                        current.append(characters[index])
                        index += 1
                    }
                } while depth > 0 && index < characters.count
            case "$":
                if let tag = dollarTag(characters, at: index) {
                    current.append(contentsOf: tag)
                    index += tag.count
                    while index < characters.count {
                        if characters[index] == "$", Array(characters[index..<min(index + tag.count, characters.count)]) == tag {
                            current.append(contentsOf: tag)
                            index += tag.count
                            break
                        }
                        current.append(characters[index])
                        index += 1
                    }
                } else {
                    current.append(scalar)
                    index += 1
                }
            case ";":
                flush()
                index += 1
            default:
                current.append(scalar)
                index += 1
            }
        }
        flush()
        return statements
    }

    /// `$$` or `$tag$` starting at `index`, if one does.
    static func dollarTag(_ characters: [Unicode.Scalar], at index: Int) -> [Unicode.Scalar]? {
        var end = index + 1
        while end < characters.count {
            let scalar = characters[end]
            if scalar == "$" { return Array(characters[index...end]) }
            let isTagCharacter = scalar == "_" || scalar.properties.isAlphabetic || (end > index + 1 && ("0"..."9").contains(scalar))
            guard isTagCharacter else { return nil }
            end += 1
        }
        return nil
    }

    static func isOnlyComments(_ text: String) -> Bool {
        var remaining = Substring(text)
        while true {
            remaining = remaining.drop(while: { $0.isWhitespace })
            if remaining.isEmpty { return true }
            if remaining.hasPrefix("--") {
                remaining = remaining.drop(while: { $0 != "\n" })
            } else if remaining.hasPrefix("/*"), let end = remaining.range(of: "*/") {
                remaining = remaining[end.upperBound...]
            } else {
                return false
            }
        }
    }
}

import Foundation
