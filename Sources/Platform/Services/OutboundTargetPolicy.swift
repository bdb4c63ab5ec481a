import Foundation
import NIOCore
import NIOPosix

/// Which URLs the platform may call on a tenant's behalf (webhook endpoints): http(s) only, and
/// never hosts that resolve to loopback, private, link-local (cloud metadata lives there),
/// shared, multicast or reserved addresses, unless the configured allow-list names them.
public struct OutboundTargetPolicy: Sendable {
    public struct Refused: Error, Sendable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Host names, IP addresses or CIDR blocks that may be called even though they are internal.
    public let allowed: [String]

    public init(allowed: [String]) {
        self.allowed = allowed.map { $0.lowercased().trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The parsed URL when it may be called; otherwise `Refused` with the reason.
    public func check(_ text: String) async throws -> URL {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { throw Refused(reason: "must be an http or https URL with a host") }
        if url.user != nil || url.password != nil { throw Refused(reason: "must not carry credentials") }
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if allowed.contains(name) { return url }
        let addresses = try await Self.resolve(name, port: url.port ?? (scheme == "https" ? 443 : 80))
        guard !addresses.isEmpty else { throw Refused(reason: "the host \(name) does not resolve") }
        for address in addresses {
            guard let ip = address.ipAddress else { continue }
            if allowed.contains(ip) || allowed.contains(where: { Self.cidr($0, contains: address) }) { continue }
            if let why = Self.internalRange(address) {
                throw Refused(reason: "the host \(name) resolves to \(ip), a \(why) address")
            }
        }
        return url
    }

    static func resolve(_ host: String, port: Int) async throws -> [SocketAddress] {
        if let literal = try? SocketAddress(ipAddress: host, port: port) { return [literal] }
        return try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var result: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else { return [] }
            defer { freeaddrinfo(first) }
            var addresses: [SocketAddress] = []
            var cursor: UnsafeMutablePointer<addrinfo>? = first
            while let entry = cursor {
                if let raw = entry.pointee.ai_addr {
                    switch entry.pointee.ai_family {
                    case AF_INET:
                        let v4 = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
                        addresses.append(SocketAddress(v4, host: host))
                    case AF_INET6:
                        let v6 = raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee }
                        addresses.append(SocketAddress(v6, host: host))
                    default: break
                    }
                }
                cursor = entry.pointee.ai_next
            }
            return addresses
        }
    }

    /// The kind of internal range `address` falls in, or nil for a public address.
    static func internalRange(_ address: SocketAddress) -> String? {
        switch address {
        case .v4(let v4):
            let value = UInt32(bigEndian: v4.address.sin_addr.s_addr)
            return v4Range(value)
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
                let mapped = UInt32(bytes[12]) << 24 | UInt32(bytes[13]) << 16 | UInt32(bytes[14]) << 8 | UInt32(bytes[15])
                return v4Range(mapped)
            }
            if bytes.allSatisfy({ $0 == 0 }) { return "unspecified" }
            if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return "loopback" }
            if bytes[0] & 0xfe == 0xfc { return "private (unique local)" }
            if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 { return "link-local" }
            if bytes[0] == 0xff { return "multicast" }
            return nil
        case .unixDomainSocket:
            return "local socket"
        }
    }

    static func v4Range(_ value: UInt32) -> String? {
        func within(_ base: UInt32, _ bits: UInt32) -> Bool { value >> (32 - bits) == base >> (32 - bits) }
        if within(0x7F00_0000, 8) { return "loopback" }
        if within(0x0A00_0000, 8) || within(0xAC10_0000, 12) || within(0xC0A8_0000, 16) { return "private" }
        if within(0xA9FE_0000, 16) { return "link-local (metadata)" }
        if within(0x0000_0000, 8) { return "unspecified" }
        if within(0x6440_0000, 10) { return "shared (carrier-grade NAT)" }
        if within(0xC000_0000, 24) || within(0xC612_0000, 15) { return "reserved" }
        if within(0xE000_0000, 4) { return "multicast" }
        if within(0xF000_0000, 4) { return "reserved" }
        return nil
    }

    /// Whether an allow-list entry written as a CIDR block (`10.0.0.0/8`) holds an IPv4 address.
    static func cidr(_ entry: String, contains address: SocketAddress) -> Bool {
        let parts = entry.split(separator: "/")
        guard parts.count == 2, let bits = UInt32(parts[1]), (1...32).contains(bits),
            let base = try? SocketAddress(ipAddress: String(parts[0]), port: 0), case .v4(let network) = base,
            case .v4(let candidate) = address
        else { return false }
        let mask: UInt32 = bits == 32 ? .max : ~(UInt32.max >> bits)
        return UInt32(bigEndian: network.address.sin_addr.s_addr) & mask == UInt32(bigEndian: candidate.address.sin_addr.s_addr) & mask
    }
}
