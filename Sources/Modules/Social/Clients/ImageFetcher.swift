import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import PlatformServices

/// An image to upload, as fetched from its URL.
struct FetchedImage: Sendable {
    var data: Data
    var contentType: String
    var fileName: String
}

/// Fetches a post's images for the networks that want the bytes (X, LinkedIn, Mastodon), and
/// checks addresses a tenant or a network handed over (a Mastodon instance, a LinkedIn upload
/// URL) against the outbound target policy before anything is sent there.
struct ImageFetcher: Sendable {
    let http: SocialHTTP
    let targets: OutboundTargetPolicy
    let maxBytes: Int

    /// The URL when the policy lets the platform call it; else a `refused` error naming why.
    func allowed(_ text: String, what: String) async throws -> URL {
        do {
            return try await targets.check(text)
        } catch let refused as OutboundTargetPolicy.Refused {
            throw SocialPlatformError.refused("\(what) may not be called: \(refused.reason)")
        }
    }

    func fetch(_ text: String) async throws -> FetchedImage {
        let url = try await allowed(text, what: "the image \(text)")
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .GET
        let response: HTTPClientResponse
        let buffer: ByteBuffer
        do {
            response = try await http.client.execute(request, timeout: .seconds(Int64(http.timeout.components.seconds)))
            guard (200..<300).contains(Int(response.status.code)) else {
                throw SocialPlatformError(kind: .rejected, status: Int(response.status.code), message: "the image \(text) answered \(response.status.code)")
            }
            buffer = try await response.body.collect(upTo: maxBytes)
        } catch let error as SocialPlatformError {
            throw error
        } catch is NIOTooManyBytesError {
            throw SocialPlatformError(kind: .rejected, message: "the image \(text) is larger than \(maxBytes) bytes")
        } catch {
            throw SocialPlatformError(kind: .unreachable, message: "the image \(text) could not be fetched (\(SocialHTTP.describe(error)))")
        }
        let type = response.headers.first(name: "Content-Type")?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard type.hasPrefix("image/") else {
            throw SocialPlatformError(kind: .rejected, message: "\(text) is not an image (Content-Type \(type.isEmpty ? "missing" : type))")
        }
        let name = url.lastPathComponent.isEmpty || url.lastPathComponent == "/" ? "image" : url.lastPathComponent
        return FetchedImage(data: Data(buffer: buffer), contentType: type, fileName: name)
    }
}
