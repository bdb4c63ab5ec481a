import Foundation
import Hummingbird
import NIOCore
import PlatformSupport

/// Encodes responses with the platform's JSON conventions.
public struct PlatformResponseEncoder: ResponseEncoder {
    public init() {}

    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        let data = try PlatformJSON.makeEncoder().encode(value)
        var buffer = ByteBuffer()
        buffer.writeBytes(data)
        return Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(buffer.readableBytes)],
            body: .init(byteBuffer: buffer)
        )
    }
}

/// Decodes request bodies; malformed or mistyped input becomes a 4xx naming the bad fields.
public struct PlatformRequestDecoder: RequestDecoder {
    public static let maximumBodySize = 2 * 1024 * 1024

    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        if let contentType = request.headers[.contentType], !contentType.lowercased().contains("json") {
            throw APIError(
                .unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE",
                message: "Expected a JSON body", hint: "Send 'Content-Type: application/json'")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: Self.maximumBodySize)
        } catch {
            throw APIError(.contentTooLarge, code: "PAYLOAD_TOO_LARGE", message: "The request body is larger than \(Self.maximumBodySize) bytes")
        }
        return try Self.decode(type, from: Data(buffer.readableBytesView))
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        if data.isEmpty {
            throw APIError.badRequest("The request body is empty", code: "INVALID_JSON", hint: "Send a JSON object")
        }
        do {
            return try PlatformJSON.makeDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw Self.apiError(from: error)
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.badRequest("The request body is not valid JSON", code: "INVALID_JSON")
        }
    }

    static func apiError(from error: DecodingError) -> APIError {
        func path(_ codingPath: [any CodingKey], appending key: (any CodingKey)? = nil) -> String {
            let keys = codingPath + (key.map { [$0] } ?? [])
            let joined = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue.snakeCased }
                .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
            return joined.isEmpty ? "body" : joined
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .validation([path(context.codingPath, appending: key): "is required"])
        case .typeMismatch(let type, let context):
            return .validation([path(context.codingPath): "must be \(Self.describe(type))"])
        case .valueNotFound(let type, let context):
            return .validation([path(context.codingPath): "must be \(Self.describe(type)), not null"])
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return .badRequest("The request body is not valid JSON", code: "INVALID_JSON")
            }
            return .validation([path(context.codingPath): context.debugDescription])
        @unknown default:
            return .badRequest("The request body could not be read", code: "INVALID_JSON")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is UUID.Type: "a UUID"
        case is Date.Type: "an RFC 3339 timestamp"
        default:
            String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}

extension Request {
    /// A JSON body that may be absent (`POST /tasks/{id}/start` with nothing to say): nil when
    /// there is none, else decoded as `decode(as:context:)` would.
    public func decodeIfPresent<T: Decodable>(as type: T.Type, context: some RequestContext) async throws -> T? {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: PlatformRequestDecoder.maximumBodySize)
        } catch {
            throw APIError(.contentTooLarge, code: "PAYLOAD_TOO_LARGE", message: "The request body is larger than \(PlatformRequestDecoder.maximumBodySize) bytes")
        }
        guard buffer.readableBytes > 0 else { return nil }
        if let contentType = headers[.contentType], !contentType.lowercased().contains("json") {
            throw APIError(.unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE", message: "Expected a JSON body", hint: "Send 'Content-Type: application/json'")
        }
        return try PlatformRequestDecoder.decode(type, from: Data(buffer.readableBytesView))
    }
}
