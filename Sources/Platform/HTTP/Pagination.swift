import Hummingbird
import PlatformSupport

extension PageRequest {
    public init(request: Request) throws {
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        try self.init(query: query)
    }
}

/// The list envelope: `{"items": [...], "total": n, "limit": l, "offset": o, "has_more": b}`.
public struct Page<Item: Codable & Sendable>: Codable, Sendable, ResponseEncodable {
    public var items: [Item]
    public var total: Int
    public var limit: Int
    public var offset: Int
    public var hasMore: Bool

    public init(items: [Item], total: Int, request: PageRequest) {
        self.items = items
        self.total = total
        self.limit = request.limit
        self.offset = request.offset
        self.hasMore = request.offset + items.count < total
    }
}
