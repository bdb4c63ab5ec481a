import Foundation

/// A type that states its own JSON Schema instead of having it inferred.
public protocol SchemaDescribing {
    static var jsonSchema: JSONValue { get }
}

/// A string enum whose cases appear as `enum` in the schema.
public protocol SchemaEnum {
    static var schemaCases: [String] { get }
    static var schemaExample: Self { get }
}

extension SchemaEnum where Self: CaseIterable & RawRepresentable, RawValue == String {
    public static var schemaCases: [String] { allCases.map(\.rawValue) }
    public static var schemaExample: Self {
        guard let first = allCases.first else { preconditionFailure("\(Self.self) has no cases") }
        return first
    }
}

/// A request body with an example for the API reference (`/docs`): a realistic body that
/// the route accepts.
public protocol BodyExample {
    static var example: JSONValue { get }
}
