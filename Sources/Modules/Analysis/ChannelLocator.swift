import Foundation

/// How a YouTube channel URL names its channel, read from the URL alone (no network): the four
/// forms YouTube serves, on `youtube.com` with or without `www.` or `m.`, http or https, with
/// anything after the channel's own path segment (`/videos`, a query) ignored.
struct ChannelLocator: Sendable, Equatable {
    enum Kind: String, Codable, Sendable {
        /// `/@handle`
        case handle
        /// `/channel/UC...`
        case channelId = "channel_id"
        /// `/c/name` (a legacy custom URL)
        case custom
        /// `/user/name` (a legacy username)
        case username
    }

    var kind: Kind
    /// Normalised: channel ids as written, every other name lowercased (YouTube matches them
    /// without regard to case), handles without their `@`.
    var value: String

    static let acceptedForms =
        "a YouTube channel URL: https://www.youtube.com/@handle, https://www.youtube.com/channel/UC…, https://www.youtube.com/c/name or https://www.youtube.com/user/name (www. and m. optional)"

    static let hosts: Set<String> = ["youtube.com", "www.youtube.com", "m.youtube.com"]

    /// The locator of `text`, or nil when it is not one of the accepted forms.
    init?(url text: String) {
        var text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...2000).contains(text.count) else { return nil }
        if !text.lowercased().hasPrefix("http://") && !text.lowercased().hasPrefix("https://") { text = "https://" + text }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = components.host?.lowercased(), Self.hosts.contains(host), components.user == nil, components.password == nil,
            components.port == nil
        else { return nil }
        let segments = components.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let first = segments.first else { return nil }
        let name = /[\p{L}\p{N}._\-]{1,100}/
        if first.hasPrefix("@") {
            let handle = String(first.dropFirst())
            guard handle.wholeMatch(of: /[\p{L}\p{N}._\-]{3,100}/) != nil else { return nil }
            self.init(kind: .handle, value: handle.lowercased())
            return
        }
        guard segments.count >= 2 else { return nil }
        let second = segments[1]
        switch first.lowercased() {
        case "channel":
            guard second.wholeMatch(of: /UC[A-Za-z0-9_\-]{22}/) != nil else { return nil }
            self.init(kind: .channelId, value: second)
        case "c":
            guard second.wholeMatch(of: name) != nil else { return nil }
            self.init(kind: .custom, value: second.lowercased())
        case "user":
            guard second.wholeMatch(of: name) != nil else { return nil }
            self.init(kind: .username, value: second.lowercased())
        default:
            return nil
        }
    }

    init(kind: Kind, value: String) {
        self.kind = kind
        self.value = value
    }

    /// The canonical URL of the channel in this form.
    var canonicalURL: String {
        switch kind {
        case .handle: "https://www.youtube.com/@\(value)"
        case .channelId: "https://www.youtube.com/channel/\(value)"
        case .custom: "https://www.youtube.com/c/\(value)"
        case .username: "https://www.youtube.com/user/\(value)"
        }
    }
}
