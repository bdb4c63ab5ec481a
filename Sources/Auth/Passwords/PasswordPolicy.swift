import Foundation

/// The password rules: at least 12 characters, not a known common password, not the user's
/// name or e-mail. Each broken rule is reported, so a client can show them all at once.
public struct PasswordPolicy: Sendable {
    public static let minimumLength = 12
    public static let maximumLength = 1024

    let common: Set<String>

    public init(commonPasswords: Set<String>) {
        self.common = commonPasswords
    }

    /// The list shipped in `Resources/common-passwords.txt`.
    public static func bundled() -> PasswordPolicy {
        guard let url = Bundle.module.url(forResource: "common-passwords", withExtension: "txt"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else {
            return PasswordPolicy(commonPasswords: [])
        }
        let entries = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        return PasswordPolicy(commonPasswords: Set(entries))
    }

    public var commonPasswordCount: Int { common.count }

    /// Problems with `password`; empty when it is acceptable.
    public func problems(password: String, username: String?, email: String?) -> [String] {
        var problems: [String] = []
        let length = password.count
        if length < Self.minimumLength { problems.append("must be at least \(Self.minimumLength) characters long") }
        if length > Self.maximumLength { problems.append("must be at most \(Self.maximumLength) characters long") }
        let lowered = password.lowercased()
        if common.contains(lowered) || Set(lowered).count <= 2 {
            problems.append("is too common; choose a less predictable password")
        }
        let identities = [username, email, email?.split(separator: "@").first.map(String.init)].compactMap { $0?.lowercased() }
        if identities.contains(where: { !$0.isEmpty && (lowered == $0 || (lowered.contains($0) && $0.count >= 4 && length - $0.count < 4)) }) {
            problems.append("must not be your username or e-mail address")
        }
        return problems
    }
}
