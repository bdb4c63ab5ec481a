import Foundation
import PlatformSupport

/// `limit`/`offset` with the aliases the seeds use (`skip`; `page` with `per_page`).
public struct PageRequest: Sendable, Equatable {
    public static let defaultLimit = 20
    public static let maximumLimit = 100

    public var limit: Int
    public var offset: Int

    public init(limit: Int = PageRequest.defaultLimit, offset: Int = 0) {
        self.limit = limit
        self.offset = offset
    }

    /// Reads the paging parameters; every bad one is named in a single 422.
    public init(query: [String: String]) throws {
        var problems: [String: String] = [:]
        func integer(_ name: String) -> Int? {
            guard let text = query[name] else { return nil }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                problems[name] = "must be an integer"
                return nil
            }
            return value
        }
        let perPage = integer("per_page")
        let limit = integer("limit") ?? perPage ?? Self.defaultLimit
        let page = integer("page")
        // Both are read (and so checked) even when both are given.
        let offsetValue = integer("offset")
        let skipValue = integer("skip")
        let offset = offsetValue ?? skipValue
        if !(1...Self.maximumLimit).contains(limit) {
            problems[query["limit"] != nil ? "limit" : "per_page"] = "must be between 1 and \(Self.maximumLimit)"
        }
        if let offset, offset < 0 { problems[query["offset"] != nil ? "offset" : "skip"] = "must be 0 or more" }
        if let page, page < 1 { problems["page"] = "must be 1 or more" }
        if !problems.isEmpty { throw APIError.validation(problems, message: "Invalid paging parameters") }
        self.limit = limit
        if let offset {
            self.offset = offset
        } else if let page {
            let (product, overflow) = (page - 1).multipliedReportingOverflow(by: limit)
            if overflow { throw APIError.validation(["page": "is too large"], message: "Invalid paging parameters") }
            self.offset = product
        } else {
            self.offset = 0
        }
    }
}
