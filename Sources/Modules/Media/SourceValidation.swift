import Foundation
import PlatformDatabase
import PlatformServices
import PlatformSupport

/// The checks on a media source: every bad field named in one 422.
enum SourceValidation {
    struct Refused: Error, Sendable { var reason: String }

    /// Which URL schemes each protocol takes.
    static let schemes: [SourceProtocol: Set<String>] = [
        .rtsp: ["rtsp", "rtsps"], .rtmp: ["rtmp", "rtmps"], .hls: ["http", "https"], .http: ["http", "https"], .file: ["file"],
    ]

    /// The validated fields of `input`, laid over `current` on an update.
    static func fields(_ input: SourceInput, merging current: StoredSource?, principal: Principal, targets: OutboundTargetPolicy) async throws -> SourceFields {
        var problems: [String: String] = [:]
        let name = (input.name ?? current?.name ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty || name.count > 255 || name.contains("\0") { problems["name"] = "must be 1-255 characters" }
        let type = input.type ?? current?.type
        if type == nil { problems["type"] = "is required (pull or push)" }
        var url = input.url.map { $0.trimmingCharacters(in: .whitespaces) } ?? current?.url
        if url?.isEmpty == true { url = nil }
        var proto = input.protocol ?? current?.protocol
        if type == .push, input.url == nil, current?.type == .pull { url = nil }
        if let text = url {
            if text.count > 2000 { problems["url"] = "must be at most 2000 characters" }
            guard let parsed = URLComponents(string: text), let scheme = parsed.scheme?.lowercased(), let host = parsed.host, !host.isEmpty else {
                problems["url"] = "must be an absolute URL with a host"
                throw APIError.validation(problems)
            }
            if proto == nil { proto = schemes.first { $0.value.contains(scheme) && $0.key != .hls }?.key }
            if let proto, schemes[proto]?.contains(scheme) != true {
                problems["url"] = "a \(proto.rawValue) source takes \(schemes[proto, default: []].sorted().joined(separator: " or ")) URLs"
            } else if proto == nil {
                problems["url"] = "the scheme \(scheme) matches no protocol (rtsp, rtmp, hls, http)"
            } else if problems["url"] == nil {
                do { try await checkTarget(text, targets: targets) } catch let refused as Refused { problems["url"] = refused.reason }
            }
        } else if type == .pull {
            problems["url"] = "is required for a pull source"
        }
        var pathName = input.pathName ?? current?.pathName ?? slug(name)
        pathName = pathName.lowercased()
        if pathName.wholeMatch(of: /[a-z0-9][a-z0-9_-]{0,99}/) == nil { problems["path_name"] = "must be 1-100 of a-z, 0-9, _ and -, starting with a letter or digit" }
        let visibility = input.visibility
        var roles = input.visibleRoleIds ?? current?.visibleRoleIds ?? []
        if roles.count > 100 { problems["visible_role_ids"] = "at most 100 roles" }
        if visibility?.value == .role, roles.isEmpty { roles = principal.roleIDs }
        if !problems.isEmpty { throw APIError.validation(problems) }
        return SourceFields(
            name: name, pathName: pathName, type: type ?? .pull, url: url, protocol: proto, enabled: input.enabled ?? current?.enabled ?? true,
            recordEnabled: input.recordEnabled ?? current?.recordEnabled ?? false, visibility: visibility?.value ?? current?.visibility ?? .private,
            visibleRoleIDs: roles, visibilityAsInteger: visibility?.wasInteger ?? current?.visibilityAsInteger ?? false)
    }

    /// The URL's host must pass the outbound target policy (checked as if it were http on the
    /// same host and port); file URLs are refused (the server's own files are not read for a tenant).
    static func checkTarget(_ text: String, targets: OutboundTargetPolicy) async throws {
        guard let parsed = URLComponents(string: text), let scheme = parsed.scheme?.lowercased(), let host = parsed.host else {
            throw Refused(reason: "must be an absolute URL with a host")
        }
        if scheme == "file" { throw Refused(reason: "file URLs are not read on a tenant's behalf") }
        let port = parsed.port.map { ":\($0)" } ?? ""
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        do {
            _ = try await targets.check("http://\(bracketed)\(port)/")
        } catch let refused as OutboundTargetPolicy.Refused {
            throw Refused(reason: refused.reason)
        }
    }

    static func slug(_ name: String) -> String {
        let lowered = name.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" }
        let collapsed = String(lowered).split(separator: "-", omittingEmptySubsequences: true).joined(separator: "-")
        let trimmed = String(collapsed.prefix(90))
        return trimmed.isEmpty ? "source" : trimmed
    }
}
