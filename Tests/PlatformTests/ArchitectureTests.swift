import Foundation
import Testing

/// The layout's rules, checked on the sources so that a new module cannot drift from them.
@Suite("Architecture conventions")
struct ArchitectureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func swiftFiles(under path: String) -> [(path: String, text: String)] {
        let base = root.appendingPathComponent(path)
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return [] }
        var files: [(String, String)] = []
        for case let url as URL in walker where url.pathExtension == "swift" {
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
            files.append((url.path.replacingOccurrences(of: root.path + "/", with: ""), text))
        }
        return files.sorted { $0.0 < $1.0 }
    }

    /// The feature modules: one directory (and target) each under Sources/Modules.
    static var modules: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Sources/Modules").path)) ?? []).sorted()
    }

    /// Targets named other than their folder (a dependency already uses the folder's name).
    static let targetNames = ["Metrics": "TenantMetrics"]

    /// Every name a module is imported by: its folder's, and its target's where they differ.
    static var moduleImportNames: [String: String] {
        var names: [String: String] = [:]
        for module in modules { names[targetNames[module] ?? module] = module }
        return names
    }

    /// Lines that run SQL: a statement's keywords, or a query call on a transaction.
    static var sqlLine: Regex<AnyRegexOutput> { get throws { try Regex(#"(\btx\.(query|first|all|execute|rows|row|value|run)\()|(^\s*"?\s*(SELECT|INSERT INTO|DELETE FROM|WITH [a-z_]+ AS \()\b)|(\bUPDATE [a-z_]+ (AS [a-z]+ )?SET\b)"#) } }

    /// Where SQL may be written: stores, and the platform's own data layer.
    static func mayHoldSQL(_ path: String) -> Bool {
        path.hasSuffix("Store.swift") || path.hasPrefix("Sources/Platform/Database/") || path == "Sources/Server/LocalPostgres.swift"
    }

    @Test("SQL is written only in stores (and the platform's data layer)")
    func sqlOnlyInStores() throws {
        let pattern = try Self.sqlLine
        var offenders: [String] = []
        var storesWithSQL = 0
        for file in Self.swiftFiles(under: "Sources") {
            let allowed = Self.mayHoldSQL(file.path)
            for (number, line) in file.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
                guard code.contains(pattern) else { continue }
                if allowed { storesWithSQL += 1 } else { offenders.append("\(file.path):\(number + 1): \(code.trimmingCharacters(in: .whitespaces))") }
            }
        }
        #expect(offenders.isEmpty, "\(offenders.joined(separator: "\n"))")
        // The pattern does see SQL where it is written (the check is not blind).
        #expect(storesWithSQL > 100)
    }

    @Test("a module never imports another module, and the platform imports none")
    func dependenciesPointOneWay() throws {
        let modules = Set(Self.modules)
        let importNames = Self.moduleImportNames
        var offenders: [String] = []
        for module in modules {
            for file in Self.swiftFiles(under: "Sources/Modules/\(module)") {
                for line in file.text.split(separator: "\n") where line.hasPrefix("import ") {
                    let name = line.dropFirst("import ".count).trimmingCharacters(in: .whitespaces)
                    if let imported = importNames[name], imported != module { offenders.append("\(file.path) imports \(name)") }
                }
            }
        }
        for file in Self.swiftFiles(under: "Sources/Platform") + Self.swiftFiles(under: "Sources/Auth") + Self.swiftFiles(under: "Sources/Tenancy") {
            for line in file.text.split(separator: "\n") where line.hasPrefix("import ") {
                let name = line.dropFirst("import ".count).trimmingCharacters(in: .whitespaces)
                let upward = importNames[name] != nil || name == "Server" || (file.path.hasPrefix("Sources/Platform") && (name == "Auth" || name == "Tenancy"))
                if upward { offenders.append("\(file.path) imports \(name)") }
            }
        }
        #expect(offenders.isEmpty, "\(offenders.joined(separator: "\n"))")
    }

    @Test("no source file passes 400 lines")
    func filesStaySmall() throws {
        let long = Self.swiftFiles(under: "Sources").compactMap { file -> String? in
            let count = file.text.split(separator: "\n", omittingEmptySubsequences: false).count
            return count > 400 ? "\(file.path): \(count) lines" : nil
        }
        #expect(long.isEmpty, "\(long.joined(separator: "\n"))")
    }

    @Test("routes are added only through route groups")
    func routesThroughGroups() throws {
        let direct = try Regex(#"\b(router|registry)\.(on|get|post|put|patch|delete|add)\("#)
        var offenders: [String] = []
        for file in Self.swiftFiles(under: "Sources") where !file.path.hasPrefix("Sources/Platform/HTTP/Routing/") {
            for (number, line) in file.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where line.contains(direct) && !line.contains("router.add(middleware:") {
                offenders.append("\(file.path):\(number + 1)")
            }
        }
        #expect(offenders.isEmpty, "\(offenders.joined(separator: "\n"))")
    }

    @Test("every module has an assembly file named after it")
    func modulesAreAssembled() throws {
        for module in Self.modules {
            let assembly = Self.root.appendingPathComponent("Sources/Modules/\(module)/\(module)Module.swift")
            #expect(FileManager.default.fileExists(atPath: assembly.path), "Sources/Modules/\(module)/\(module)Module.swift")
        }
    }
}
