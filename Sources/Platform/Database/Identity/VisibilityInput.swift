import Foundation
import PlatformSupport

/// A visibility as clients send it: the platform's names (`private`, `role`, `tenant`,
/// `public`) or GoyaVision's integers (0 private, 1 role, 2 public).
public struct VisibilityInput: Codable, Sendable, Equatable, SchemaDescribing {
    public var value: RowVisibility
    /// Whether it came as an integer (answers may echo that form).
    public var wasInteger: Bool

    public init(_ value: RowVisibility, wasInteger: Bool = false) {
        self.value = value
        self.wasInteger = wasInteger
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            switch number {
            case 0: value = .private
            case 1: value = .role
            case 2: value = .public
            default: throw DecodingError.dataCorruptedError(in: container, debugDescription: "must be 0 (private), 1 (role) or 2 (public), or a name")
            }
            wasInteger = true
            return
        }
        let text = try container.decode(String.self)
        guard let named = RowVisibility(rawValue: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "must be one of private, role, tenant, public (or 0, 1, 2)")
        }
        value = named
        wasInteger = false
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value.rawValue)
    }

    /// GoyaVision's integer for a visibility (tenant-wide has none; it reads as role-free 1).
    public static func integer(_ visibility: RowVisibility) -> Int {
        switch visibility {
        case .private: 0
        case .role, .tenant: 1
        case .public: 2
        }
    }

    public static var jsonSchema: JSONValue {
        ["anyOf": [["type": "string", "enum": ["private", "role", "tenant", "public"]], ["type": "integer", "enum": [0, 1, 2]]]]
    }
}
