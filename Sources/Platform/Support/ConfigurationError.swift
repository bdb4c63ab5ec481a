import Foundation

/// A configuration value that is missing or wrong. Its description is the one line printed
/// at start-up, naming the variable.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// How log lines are written.
public enum LogFormat: String, Sendable { case text, json }
