import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PlatformSupport

/// Why a network's API call failed, sorted by what to do about it.
struct SocialPlatformError: Error, Sendable, CustomStringConvertible {
    enum Kind: String, Sendable {
        /// 429: wait (`retryAfter` when the network said how long) and retry.
        case rateLimited
        /// 5xx: retry later.
        case server
        /// 401: the token is expired or revoked; refresh it, else reconnect.
        case unauthorized
        /// 404 on a post: it is gone.
        case notFound
        /// Any other 4xx: the network refused the request; retrying will not help.
        case rejected
        /// Nothing answered in time, or the connection failed: retry later.
        case unreachable
        /// The answer was not what the API documents.
        case malformed
        /// The call cannot be made (an address refused by the outbound policy, a missing credential).
        case refused
    }

    var kind: Kind
    var status: Int?
    var message: String
    var retryAfter: Duration?

    var retryable: Bool { [.rateLimited, .server, .unreachable].contains(kind) }
    var description: String { status.map { "\($0): \(message)" } ?? message }

    static func malformed(_ message: String) -> SocialPlatformError { SocialPlatformError(kind: .malformed, message: message) }
    static func refused(_ message: String) -> SocialPlatformError { SocialPlatformError(kind: .refused, message: message) }
}

/// One network answer.
struct SocialReply: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: Data

    var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: body) }

    func header(_ name: String) -> String? { headers.first(name: name) }
}

/// What a request carries.
enum SocialBody: Sendable {
    case json(JSONValue)
    case form([(String, String)])
    case multipart(fields: [(String, String)], fileField: String, fileName: String, contentType: String, data: Data)
    case bytes(Data, contentType: String)
}

/// The transport every network client shares: one call, a deadline, errors sorted by kind.
/// Retrying is the caller's business (publishing retries on the task engine, honouring
/// `Retry-After`), so a failed call is reported at once. Redirects are not followed (one could
/// lead to an address the outbound target policy refuses): a 3xx is a failed call.
struct SocialHTTP: Sendable {
    /// The module's client, for the life of the process.
    static let sharedClient = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10))))

    let client: HTTPClient
    let timeout: Duration
    static let maximumAnswer = 8 << 20

    func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: SocialBody? = nil, platform: String) async throws -> SocialReply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "platform-social/1.0")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        switch body {
        case .json(let value):
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(value)))
        case .form(let pairs):
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: Self.formEncoded(pairs)))
        case .multipart(let fields, let fileField, let fileName, let contentType, let data):
            let boundary = "platform-\(UUID().uuidString.lowercased())"
            request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
            request.body = .bytes(ByteBuffer(data: Self.multipart(boundary, fields, fileField, fileName, contentType, data)))
        case .bytes(let data, let contentType):
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(data: data))
        case nil:
            break
        }
        let reply: SocialReply
        let prepared = request
        do {
            // The deadline covers the answer's body too, not only its head.
            reply = try await withThrowingTaskGroup(of: SocialReply?.self) { group in
                group.addTask {
                    let response = try await client.execute(prepared, timeout: .seconds(Int64(timeout.components.seconds)))
                    let buffer = try await response.body.collect(upTo: Self.maximumAnswer)
                    return SocialReply(status: Int(response.status.code), headers: response.headers, body: Data(buffer: buffer))
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let reply = first else {
                    throw SocialPlatformError(kind: .unreachable, message: "\(platform) did not answer within \(timeout.components.seconds) s")
                }
                return reply
            }
        } catch let error as SocialPlatformError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw SocialPlatformError(kind: .unreachable, message: "\(platform) could not be reached (\(Self.describe(error)))")
        }
        guard (200..<300).contains(reply.status) else { throw Self.failure(reply, platform: platform) }
        return reply
    }

    /// A non-2xx answer as an error, with the network's own message.
    static func failure(_ reply: SocialReply, platform: String) -> SocialPlatformError {
        let message = "\(platform) answered \(reply.status): " + (errorMessage(reply) ?? HTTPResponseStatus(statusCode: reply.status).reasonPhrase)
        switch reply.status {
        case 429:
            return SocialPlatformError(kind: .rateLimited, status: 429, message: message, retryAfter: retryAfter(reply.headers))
        case 500...599:
            return SocialPlatformError(kind: .server, status: reply.status, message: message, retryAfter: retryAfter(reply.headers))
        case 401:
            return SocialPlatformError(kind: .unauthorized, status: 401, message: message)
        case 404, 410:
            return SocialPlatformError(kind: .notFound, status: reply.status, message: message)
        default:
            return SocialPlatformError(kind: .rejected, status: reply.status, message: message)
        }
    }

    /// The error text of the networks' error bodies: X (`detail`, `title`, `errors[].message`),
    /// LinkedIn (`message`), the Graph API (`error.message`), Mastodon (`error`).
    static func errorMessage(_ reply: SocialReply) -> String? {
        guard let json = reply.json else {
            let text = String(decoding: reply.body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : text
        }
        let candidates: [JSONValue?] = [
            json["error"]?["message"], json["detail"], json["message"], json["error_description"], json["error"],
            json["errors"].flatMap { if case .array(let items) = $0 { items.first?["message"] } else { nil } }, json["title"],
        ]
        for candidate in candidates {
            if let text = candidate?.stringValue, !text.isEmpty { return String(text.prefix(500)) }
        }
        return nil
    }

    /// `Retry-After` in seconds or as an HTTP date; else X's `x-rate-limit-reset` (epoch seconds).
    static func retryAfter(_ headers: HTTPHeaders, now: Date = Date()) -> Duration? {
        if let value = headers.first(name: "Retry-After")?.trimmingCharacters(in: .whitespaces) {
            if let seconds = Double(value), seconds >= 0 { return .milliseconds(Int64(min(seconds, 86_400) * 1000)) }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            if let date = formatter.date(from: value) { return .milliseconds(Int64(max(date.timeIntervalSince(now), 0) * 1000)) }
        }
        if let reset = headers.first(name: "x-rate-limit-reset").flatMap(Double.init) {
            return .milliseconds(Int64(min(max(reset - now.timeIntervalSince1970, 0), 86_400) * 1000))
        }
        return nil
    }

    static func describe(_ error: any Error) -> String {
        if let client = error as? HTTPClientError {
            switch client {
            case .deadlineExceeded, .readTimeout, .connectTimeout: return "timed out"
            case .remoteConnectionClosed: return "the connection was closed"
            default: return "\(client)"
            }
        }
        return "the connection failed"
    }

    static func formEncoded(_ pairs: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return pairs.map { key, value in
            (key.addingPercentEncoding(withAllowedCharacters: allowed) ?? key) + "=" + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)
        }.joined(separator: "&")
    }

    /// A query string appended to a URL.
    static func url(_ base: String, _ query: [(String, String)]) -> String {
        query.isEmpty ? base : base + (base.contains("?") ? "&" : "?") + formEncoded(query)
    }

    static func pathSegment(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func multipart(_ boundary: String, _ fields: [(String, String)], _ fileField: String, _ fileName: String, _ contentType: String, _ data: Data) -> Data {
        var body = Data()
        for (name, value) in fields {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        }
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(fileField)\"; filename=\"\(fileName)\"\r\nContent-Type: \(contentType)\r\n\r\n".utf8))
        body.append(data)
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        return body
    }
}
