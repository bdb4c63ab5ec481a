import Foundation
import PlatformSupport

/// The parts of the YouTube Data API v3's JSON that a crawl reads. Counts arrive as strings
/// (`"viewCount": "1234"`); absent ones are hidden or unknown.
enum YouTubeAPI {
    struct List<Item: Decodable & Sendable>: Decodable, Sendable {
        var items: [Item]?
        var nextPageToken: String?
    }

    struct Thumbnails: Decodable, Sendable {
        struct Thumbnail: Decodable, Sendable { var url: String? }
        var `default`: Thumbnail?
        var medium: Thumbnail?
        var high: Thumbnail?
        var standard: Thumbnail?
        var maxres: Thumbnail?

        var best: String? { (maxres ?? standard ?? high ?? medium ?? self.default)?.url }
    }

    struct Channel: Decodable, Sendable {
        struct Snippet: Decodable, Sendable {
            var title: String?
            var description: String?
            var customUrl: String?
            var publishedAt: String?
            var thumbnails: Thumbnails?
            var country: String?
        }

        struct Statistics: Decodable, Sendable {
            var viewCount: String?
            var subscriberCount: String?
            var hiddenSubscriberCount: Bool?
            var videoCount: String?
        }

        struct ContentDetails: Decodable, Sendable {
            struct Related: Decodable, Sendable { var uploads: String? }
            var relatedPlaylists: Related?
        }

        var id: String
        var snippet: Snippet?
        var statistics: Statistics?
        var contentDetails: ContentDetails?
    }

    struct PlaylistItem: Decodable, Sendable {
        struct Snippet: Decodable, Sendable {
            struct Resource: Decodable, Sendable { var videoId: String? }
            var resourceId: Resource?
        }

        struct ContentDetails: Decodable, Sendable { var videoId: String? }
        var snippet: Snippet?
        var contentDetails: ContentDetails?

        var videoId: String? { contentDetails?.videoId ?? snippet?.resourceId?.videoId }
    }

    struct Video: Decodable, Sendable {
        struct Snippet: Decodable, Sendable {
            var publishedAt: String?
            var title: String?
            var description: String?
            var thumbnails: Thumbnails?
            var categoryId: String?
            var defaultAudioLanguage: String?
            var defaultLanguage: String?
        }

        struct Statistics: Decodable, Sendable {
            var viewCount: String?
            var likeCount: String?
            var commentCount: String?
            var favoriteCount: String?
        }

        struct ContentDetails: Decodable, Sendable { var duration: String? }
        var id: String
        var snippet: Snippet?
        var statistics: Statistics?
        var contentDetails: ContentDetails?
    }

    struct SearchResult: Decodable, Sendable {
        struct Identifier: Decodable, Sendable { var channelId: String? }
        var id: Identifier?
    }

    /// `{"error": {"code", "message", "errors": [{"reason", "domain", "message"}]}}`.
    struct ErrorBody: Decodable, Sendable {
        struct Detail: Decodable, Sendable {
            struct Reason: Decodable, Sendable {
                var reason: String?
                var message: String?
            }

            var code: Int?
            var message: String?
            var errors: [Reason]?
        }

        var error: Detail?
    }

    static func count(_ text: String?) -> Int64? { text.flatMap { Int64($0) } }

    static func date(_ text: String?) -> Date? { text.flatMap { RFC3339.date(from: $0) } }

    /// Seconds of an ISO 8601 duration as the API writes them (`PT1H2M3S`, `P1DT2H`, `P0D`).
    static func seconds(_ text: String?) -> Int? {
        guard let text, text.hasPrefix("P") else { return nil }
        var total = 0.0
        var number = ""
        var inTime = false
        for character in text.dropFirst() {
            if character == "T" {
                inTime = true
            } else if character.isNumber || character == "." {
                number.append(character)
            } else {
                guard let value = Double(number) else { return nil }
                number = ""
                switch (character, inTime) {
                case ("W", false): total += value * 604_800
                case ("D", false): total += value * 86_400
                case ("H", true): total += value * 3600
                case ("M", true): total += value * 60
                case ("S", true): total += value
                default: return nil
                }
            }
        }
        guard number.isEmpty else { return nil }
        return Int(total.rounded())
    }
}
