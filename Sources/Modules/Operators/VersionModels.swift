import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

enum VersionStatus: String, Codable, Sendable, SchemaEnum, CaseIterable { case draft, testing, active, archived }

struct StoredVersion: Decodable, Sendable {
    var id: UUID
    var operatorId: UUID
    var version: String
    var execMode: ExecMode
    var execConfig: JSONValue
    var inputSchema: JSONValue?
    var outputSpec: JSONValue?
    var config: JSONValue
    var changelog: String
    var status: VersionStatus
    var testedAt: Date?
    var activatedAt: Date?
    var createdAt: Date
    var updatedAt: Date
}

/// A version as answered: GoyaVision's `{id, version, exec_mode, exec_config, status}` plus the
/// schemas, config, changelog and times the issue asks for.
struct VersionView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var operatorId: UUID
    var version: String
    var execMode: ExecMode
    var execConfig: JSONValue
    var inputSchema: JSONValue?
    var outputSpec: JSONValue?
    var config: JSONValue
    var changelog: String
    var status: VersionStatus
    var testedAt: Date?
    var activatedAt: Date?
    var createdAt: Date
    var updatedAt: Date

    init(_ stored: StoredVersion) {
        id = stored.id
        operatorId = stored.operatorId
        version = stored.version
        execMode = stored.execMode
        execConfig = Self.redacted(stored.execConfig)
        inputSchema = stored.inputSchema
        outputSpec = stored.outputSpec
        config = stored.config
        changelog = stored.changelog
        status = stored.status
        testedAt = stored.testedAt
        activatedAt = stored.activatedAt
        createdAt = stored.createdAt
        updatedAt = stored.updatedAt
    }
}

extension VersionView {
    /// `exec_config` as answered: the secrets of `http.auth_config` (token, password, key) are
    /// never sent back, only that they are set.
    static func redacted(_ execConfig: JSONValue) -> JSONValue {
        guard case .object(var object) = execConfig, case .object(var http)? = object["http"], case .object(var auth)? = http["auth_config"] else { return execConfig }
        for key in ["token", "password", "key"] where auth[key] != nil { auth[key] = "********" }
        http["auth_config"] = .object(auth)
        object["http"] = .object(http)
        return .object(object)
    }
}

struct VersionList: Codable, Sendable, ResponseEncodable {
    var items: [VersionView]
    var total: Int
}

/// `POST /operators/{id}/versions`. `status` may be draft (default) or testing; a version becomes
/// active only through `activate`.
struct VersionInput: Codable, Sendable {
    var version: String?
    var execMode: ExecMode?
    var execConfig: JSONValue?
    var inputSchema: JSONValue?
    var outputSpec: JSONValue?
    var config: JSONValue?
    var changelog: String?
    var status: VersionStatus?
}

/// A new version's checked values.
struct NewVersion: Sendable {
    var version: String
    var execMode: ExecMode
    var execConfig: JSONValue
    var inputSchema: JSONValue?
    var outputSpec: JSONValue?
    var config: JSONValue
    var changelog: String
    var status: VersionStatus
}

/// `{version_id}` for activate, rollback (optional there: the previously active one) and archive.
struct VersionSelector: Codable, Sendable {
    var versionId: UUID?
}

struct VersionQuery: QueryInput {
    var paging: PageRequest
    var status: VersionStatus?
}

/// Semantic versions (semver.org 2.0.0): MAJOR.MINOR.PATCH with optional pre-release and build.
struct SemanticVersion: Sendable, Comparable, CustomStringConvertible {
    var major: Int
    var minor: Int
    var patch: Int
    var prerelease: [String]
    var build: String?

    init?(_ text: String) {
        guard text.count <= 100 else { return nil }
        let pattern = /(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?/
        guard let match = text.wholeMatch(of: pattern), let major = Int(match.1), let minor = Int(match.2), let patch = Int(match.3) else { return nil }
        self.major = major
        self.minor = minor
        self.patch = patch
        prerelease = match.4.map { $0.split(separator: ".").map(String.init) } ?? []
        build = match.5.map(String.init)
    }

    var description: String {
        "\(major).\(minor).\(patch)" + (prerelease.isEmpty ? "" : "-" + prerelease.joined(separator: ".")) + (build.map { "+" + $0 } ?? "")
    }

    /// Precedence as semver defines it: build metadata is ignored; a pre-release is lower than
    /// its release; identifiers compare numerically when numeric, else by ASCII, numeric lowest.
    static func < (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        if (lhs.major, lhs.minor, lhs.patch) != (rhs.major, rhs.minor, rhs.patch) {
            return (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
        }
        switch (lhs.prerelease.isEmpty, rhs.prerelease.isEmpty) {
        case (true, true), (true, false): return false
        case (false, true): return true
        case (false, false): break
        }
        for (left, right) in zip(lhs.prerelease, rhs.prerelease) where left != right {
            switch (Int(left), Int(right)) {
            case (let a?, let b?): return a < b
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return left < right
            }
        }
        return lhs.prerelease.count < rhs.prerelease.count
    }

    static func == (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        !(lhs < rhs) && !(rhs < lhs)
    }
}

extension APIError {
    static var versionNotFound: APIError { .notFound("Operator version", code: "OPERATOR_VERSION_NOT_FOUND") }
    static var versionTaken: APIError { .conflict("The operator already has that version", code: "OPERATOR_VERSION_EXISTS") }
    static var noPreviousVersion: APIError { .conflict("No earlier active version to roll back to", code: "OPERATOR_NO_PREVIOUS_VERSION") }
    static var versionIsActive: APIError {
        .conflict("The active version cannot be archived; activate another first", code: "OPERATOR_VERSION_ACTIVE")
    }
}
