import Foundation
import PlatformSupport

/// A project's `initial_parameters`: its type's `default_parameters` with the given ones laid
/// over them (objects merged key by key), checked against the type's `parameter_schema`.
enum ProjectParameters {
    /// The merged parameters, or a 422 naming every violation as `<field>.<path>`.
    static func resolve(_ given: JSONValue?, type: StoredProjectType, field: String = "initial_parameters") throws -> JSONValue {
        var check = FieldProblems()
        check.object(given, field)
        try check.check()
        let merged = type.defaultParameters.merging(given ?? [:])
        if let schema = type.parameterSchema {
            var problems: [String: [String]] = [:]
            for problem in JSONSchema(schema).validate(merged, at: field) {
                problems[problem.path.isEmpty ? field : problem.path, default: []].append(problem.message)
            }
            if !problems.isEmpty {
                throw APIError.validation(
                    problems.mapValues { $0.joined(separator: "; ") },
                    message: "The parameters do not match the project type's parameter_schema")
            }
        }
        return merged
    }
}
