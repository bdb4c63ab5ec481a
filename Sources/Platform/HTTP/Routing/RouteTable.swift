import HTTPTypes
import Synchronization

/// The declared routes, matched by path template. Feeds `/openapi.json`, `/docs`, and the
/// 405 answer for a path served under other methods.
public final class RouteTable: Sendable {
    private let declarations = Mutex<[RouteDeclaration]>([])

    public init() {}

    func append(_ declaration: RouteDeclaration) {
        declarations.withLock { list in
            precondition(
                !list.contains { $0.method == declaration.method && Self.sameTemplate($0.path, declaration.path) },
                "route \(declaration.method) \(declaration.path) is declared twice")
            list.append(declaration)
        }
    }

    public var all: [RouteDeclaration] { declarations.withLock { $0 } }

    public func methods(matching path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        return all.filter { Self.matches(template: $0.path, segments: segments) }.map(\.method)
    }

    static func matches(template: String, segments: [Substring]) -> Bool {
        let parts = template.split(separator: "/")
        guard parts.count == segments.count else { return false }
        return zip(parts, segments).allSatisfy { part, segment in part.hasPrefix("{") || part == segment }
    }

    static func sameTemplate(_ lhs: String, _ rhs: String) -> Bool {
        let left = lhs.split(separator: "/"), right = rhs.split(separator: "/")
        guard left.count == right.count else { return false }
        return zip(left, right).allSatisfy { a, b in (a.hasPrefix("{") && b.hasPrefix("{")) || a == b }
    }
}
