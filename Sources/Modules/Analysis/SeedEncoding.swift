import Foundation

/// The short-video seed's server (FastAPI with pydantic) answers every field of a model, an
/// unset one as `null`; Swift's synthesized encoding leaves nil properties out. A view that
/// conforms encodes each stored property in declaration order, nil as `null` (keys become
/// snake_case through the platform encoder's strategy).
protocol SeedEncodable: Encodable {}

extension SeedEncodable {
    func encodeWithNulls(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: PropertyKey.self)
        for child in Mirror(reflecting: self).children {
            guard let label = child.label else { continue }
            let key = PropertyKey(stringValue: label)
            var value = child.value
            let inner = Mirror(reflecting: value)
            if inner.displayStyle == .optional {
                guard let wrapped = inner.children.first?.value else {
                    try container.encodeNil(forKey: key)
                    continue
                }
                value = wrapped
            }
            guard let encodable = value as? any Encodable else { continue }
            try container.encode(encodable, forKey: key)
        }
    }
}

struct PropertyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
