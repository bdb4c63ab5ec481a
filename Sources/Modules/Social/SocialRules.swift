import Foundation

/// Each network's rules for a post, checked before anything is sent, and the adaptation of a
/// text to a network (cross-posting, generated copy): hashtags dropped from the end, then the
/// text cut at a sentence boundary.
enum SocialRules {
    /// Characters (X: weighted) a post may have.
    static func limit(_ network: SocialNetwork) -> Int {
        switch network {
        case .twitter: 280
        case .linkedin: 3000
        case .facebook: 63_206
        case .instagram: 2200
        case .mastodon: 500
        }
    }

    static func maxImages(_ network: SocialNetwork) -> Int {
        switch network {
        case .twitter, .mastodon: 4
        case .linkedin: 20
        case .facebook, .instagram: 10
        }
    }

    /// Any link counts as 23 characters on X and on Mastodon, whatever its length.
    static let urlWeight = 23
    static var urlPattern: Regex<Substring> { /https?:\/\/[^\s]+/ }

    /// The length a network counts. X weighs text as twitter-text does: characters of the
    /// Latin, general punctuation and similar ranges count 1, others (CJK, emoji) 2, a URL 23.
    /// Mastodon counts characters with URLs as 23; the others count characters.
    static func length(_ text: String, for network: SocialNetwork) -> Int {
        switch network {
        case .twitter: return weightedLength(text)
        case .mastodon:
            var total = 0
            var rest = Substring(text)
            while let match = rest.firstMatch(of: urlPattern) {
                total += rest[..<match.range.lowerBound].count + urlWeight
                rest = rest[match.range.upperBound...]
            }
            return total + rest.count
        default: return text.count
        }
    }

    static func weightedLength(_ text: String) -> Int {
        let normalized = text.precomposedStringWithCanonicalMapping
        var total = 0
        var rest = Substring(normalized)
        while let match = rest.firstMatch(of: urlPattern) {
            total += weight(rest[..<match.range.lowerBound]) + urlWeight
            rest = rest[match.range.upperBound...]
        }
        return total + weight(rest)
    }

    static func weight(_ text: Substring) -> Int {
        text.reduce(0) { sum, character in
            let scalars = character.unicodeScalars
            if scalars.contains(where: { $0.properties.isEmojiPresentation || $0.value == 0xFE0F })
                || (scalars.count > 1 && scalars.contains { $0.value == 0x200D })
            {
                return sum + 2
            }
            return sum + scalars.reduce(0) { $0 + (isLight($1.value) ? 1 : 2) }
        }
    }

    /// twitter-text's ranges of weight 1.
    static func isLight(_ value: UInt32) -> Bool {
        (0...4351).contains(value) || (8192...8205).contains(value) || (8208...8223).contains(value) || (8242...8247).contains(value)
    }

    /// `#tag` forms of the given hashtags: trimmed, `#` added, duplicates (any case) dropped.
    static func normalizedHashtags(_ tags: [String]) -> [String] {
        var seen = Set<String>()
        return tags.compactMap { tag in
            let trimmed = tag.trimmingCharacters(in: .whitespacesAndNewlines)
            let text = trimmed.hasPrefix("#") ? trimmed : "#" + trimmed
            return seen.insert(text.lowercased()).inserted ? text : nil
        }
    }

    static func isHashtag(_ tag: String) -> Bool {
        tag.wholeMatch(of: /#?[\p{L}\p{N}_]{1,100}/) != nil
    }

    /// The text a network receives: the content, then the hashtags it does not already contain.
    static func compose(_ content: String, hashtags: [String]) -> String {
        let lower = content.lowercased()
        let missing = hashtags.filter { !lower.contains($0.lowercased()) }
        return missing.isEmpty ? content : content + "\n\n" + missing.joined(separator: " ")
    }

    /// What breaks the network's rules, as sentences; empty when the post may be sent.
    static func problems(_ text: String, images: Int, hashtags: Int, for network: SocialNetwork) -> [String] {
        var problems: [String] = []
        let length = length(text, for: network)
        if length > limit(network) {
            let unit = network == .twitter ? "weighted characters (URLs count as 23, CJK and emoji as 2)"
                : network == .mastodon ? "characters (URLs count as 23)" : "characters"
            problems.append("is \(length) \(unit); \(network.displayName) allows \(limit(network))")
        }
        if network == .instagram && images == 0 { problems.append("Instagram needs an image") }
        if images > maxImages(network) { problems.append("\(network.displayName) takes at most \(maxImages(network)) images (got \(images))") }
        if network == .instagram && hashtags > 30 { problems.append("Instagram takes at most 30 hashtags (got \(hashtags))") }
        return problems
    }

    /// The content and hashtags fitted to the network: hashtags dropped from the end while the
    /// text is too long, then the content cut at a sentence boundary (ending in "…").
    static func adapt(_ content: String, hashtags: [String], for network: SocialNetwork) -> String {
        var tags = hashtags
        var text = compose(content, hashtags: tags)
        if network == .instagram && tags.count > 30 { tags = Array(tags.prefix(30)) }
        while length(text, for: network) > limit(network) && !tags.isEmpty {
            tags.removeLast()
            text = compose(content, hashtags: tags)
        }
        return length(text, for: network) > limit(network) ? trim(text, to: limit(network), for: network) : text
    }

    /// The longest start of `text` that ends a sentence and fits; else the longest start that
    /// ends a word; an ellipsis marks the cut.
    static func trim(_ text: String, to limit: Int, for network: SocialNetwork) -> String {
        var best = ""
        var candidate = ""
        for sentence in sentences(text) {
            candidate += sentence
            let trimmed = candidate.trimmingCharacters(in: .whitespacesAndNewlines)
            guard length(trimmed, for: network) <= limit else { break }
            best = trimmed
        }
        if !best.isEmpty { return best }
        let budget = max(limit - 1, 0)
        var words = ""
        for word in text.split(separator: " ") {
            let next = words.isEmpty ? String(word) : words + " " + word
            guard length(next, for: network) <= budget else { break }
            words = next
        }
        if words.isEmpty {
            for character in text {
                guard length(words + String(character), for: network) <= budget else { break }
                words.append(character)
            }
        }
        return words.trimmingCharacters(in: .whitespacesAndNewlines) + "…"
    }

    /// The text split after each `.`, `!`, `?` (and their full-width forms) or line break,
    /// separators kept.
    static func sentences(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if ".!?。！？\n".contains(character) {
                parts.append(current)
                current = ""
            }
        }
        if !current.isEmpty { parts.append(current) }
        return parts
    }
}
