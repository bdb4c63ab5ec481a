import Foundation
import HummingbirdTesting
import NIOCore
import PlatformSupport

/// Reading JSON answers in tests.
extension TestResponse {
    public var json: JSONValue {
        get throws { try JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView)) }
    }

    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try PlatformJSON.makeDecoder().decode(type, from: Data(body.readableBytesView))
    }

    public var text: String { String(buffer: body) }
}

extension ByteBuffer {
    public static func json(_ value: JSONValue) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONEncoder().encode(value))
    }
}

extension TestResponse {
    /// The body as JSON, or `.null` when it is not JSON (which then fails any expectation on it).
    public var jsonBody: JSONValue { (try? json) ?? .null }
}

extension AsyncSequence {
    /// All elements, in order.
    public func array() async throws -> [Element] {
        var elements: [Element] = []
        for try await element in self { elements.append(element) }
        return elements
    }
}
