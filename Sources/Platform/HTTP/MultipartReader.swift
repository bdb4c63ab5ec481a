import Foundation
import Hummingbird
import NIOCore

/// Reads a `multipart/form-data` body as it arrives: part headers, then each part's bytes in
/// chunks, never holding more than a chunk and a boundary's length in memory.
public struct MultipartReader {
    public struct Part: Sendable {
        public var name: String
        public var filename: String?
        public var contentType: String?
    }

    public struct Malformed: Error, Sendable {
        public var reason: String
    }

    var body: RequestBody.AsyncIterator
    var buffer: ByteBuffer
    let delimiter: [UInt8]
    var inPart = false
    var finished = false
    var bodyEnded = false

    /// The boundary from a `multipart/form-data; boundary=...` content type.
    public static func boundary(contentType: String) -> String? {
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first?.lowercased() == "multipart/form-data" else { return nil }
        for parameter in parts.dropFirst() where parameter.lowercased().hasPrefix("boundary=") {
            var value = String(parameter.dropFirst("boundary=".count))
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            guard (1...70).contains(value.utf8.count) else { return nil }
            return value
        }
        return nil
    }

    public init(body: RequestBody, boundary: String) {
        self.body = body.makeAsyncIterator()
        // The first boundary has no CRLF before it; prefixing one lets one delimiter match all.
        self.buffer = ByteBuffer(string: "\r\n")
        self.delimiter = Array("\r\n--\(boundary)".utf8)
    }

    /// Reads more of the body into the buffer; false at its end.
    mutating func fill() async throws -> Bool {
        guard !bodyEnded else { return false }
        guard var chunk = try await body.next() else {
            bodyEnded = true
            return false
        }
        buffer.discardReadBytes()
        buffer.writeBuffer(&chunk)
        return true
    }

    /// Offset of `pattern` in the unread bytes (memchr for its first byte, then memcmp: this
    /// runs over every byte of an upload, so it must be fast even in a debug build).
    func find(_ pattern: [UInt8]) -> Int? {
        buffer.withUnsafeReadableBytes { raw -> Int? in
            guard let base = raw.baseAddress, let first = pattern.first, raw.count >= pattern.count else { return nil }
            var offset = 0
            let last = raw.count - pattern.count
            while offset <= last {
                guard let hit = memchr(base + offset, Int32(first), last - offset + 1) else { return nil }
                let index = base.distance(to: UnsafeRawPointer(hit))
                let matches = pattern.withUnsafeBytes { bytes -> Bool in
                    guard let start = bytes.baseAddress else { return false }
                    return memcmp(hit, start, pattern.count) == 0
                }
                if matches { return index }
                offset = index + 1
            }
            return nil
        }
    }

    /// The next part's headers, or nil after the closing boundary. Skips what is left of the
    /// current part.
    public mutating func nextPart() async throws -> Part? {
        while inPart { _ = try await nextChunk() }
        guard !finished else { return nil }
        // Find the delimiter (the preamble before the first one is ignored).
        while true {
            if let index = find(delimiter) {
                buffer.moveReaderIndex(forwardBy: index + delimiter.count)
                break
            }
            if buffer.readableBytes > delimiter.count { buffer.moveReaderIndex(forwardBy: buffer.readableBytes - delimiter.count) }
            guard try await fill() else { throw Malformed(reason: "the body ends before the first boundary") }
        }
        while buffer.readableBytes < 2 {
            guard try await fill() else { throw Malformed(reason: "the body ends inside a boundary") }
        }
        if buffer.readableBytesView.starts(with: Array("--".utf8)) {
            finished = true
            return nil
        }
        // Headers up to the blank line (transport padding after the boundary is allowed).
        while true {
            if let end = find(Array("\r\n\r\n".utf8)) {
                let text = buffer.readString(length: end + 4) ?? ""
                inPart = true
                return try Self.parseHeaders(text)
            }
            if buffer.readableBytes > 16_384 { throw Malformed(reason: "part headers longer than 16 KiB") }
            guard try await fill() else { throw Malformed(reason: "the body ends inside part headers") }
        }
    }

    /// The next chunk of the current part's content, or nil at its end.
    public mutating func nextChunk() async throws -> ByteBuffer? {
        guard inPart else { return nil }
        while true {
            if let index = find(delimiter) {
                if index == 0 {
                    inPart = false
                    return nil
                }
                return buffer.readSlice(length: index)
            }
            // Everything but a possible partial delimiter at the end is content.
            let safe = buffer.readableBytes - (delimiter.count - 1)
            if safe > 0 { return buffer.readSlice(length: safe) }
            guard try await fill() else { throw Malformed(reason: "the body ends inside a part (no closing boundary)") }
        }
    }

    /// Reads the rest of the current part as text, up to `limit` bytes.
    public mutating func text(limit: Int = 65_536) async throws -> String {
        var collected = ByteBuffer()
        while var chunk = try await nextChunk() {
            guard collected.readableBytes + chunk.readableBytes <= limit else { throw Malformed(reason: "a form field is longer than \(limit) bytes") }
            collected.writeBuffer(&chunk)
        }
        return String(buffer: collected)
    }

    static func parseHeaders(_ text: String) throws -> Part {
        var name: String?
        var filename: String?
        var contentType: String?
        for line in text.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let field = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch field {
            case "content-disposition":
                for parameter in value.split(separator: ";").dropFirst() {
                    let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    guard pair.count == 2 else { continue }
                    var parameterValue = pair[1]
                    if parameterValue.hasPrefix("\""), parameterValue.hasSuffix("\""), parameterValue.count >= 2 {
                        parameterValue = String(parameterValue.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
                    }
                    switch pair[0].lowercased() {
                    case "name": name = parameterValue
                    case "filename": filename = parameterValue
                    case "filename*":
                        // RFC 5987: charset'language'percent-encoded
                        let pieces = parameterValue.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
                        if pieces.count == 3 { filename = String(pieces[2]).removingPercentEncoding ?? filename }
                    default: break
                    }
                }
            case "content-type":
                contentType = value
            default:
                break
            }
        }
        guard let name else { throw Malformed(reason: "a part has no Content-Disposition name") }
        return Part(name: name, filename: filename, contentType: contentType)
    }
}
