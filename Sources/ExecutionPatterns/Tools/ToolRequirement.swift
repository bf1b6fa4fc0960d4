import SystemPackage

/// A tool a program needs, and how new it must be.
public struct ToolRequirement: Sendable, Hashable {
    public var name: String
    public var minimumVersion: ToolVersion?
    /// The arguments that make the tool print its version.
    public var versionArguments: [String]
    /// How to install it; the guard's built-in hints are used when nil.
    public var installHint: String?

    public init(_ name: String, minimumVersion: ToolVersion? = nil, versionArguments: [String] = ["--version"], installHint: String? = nil) {
        self.name = name
        self.minimumVersion = minimumVersion
        self.versionArguments = versionArguments
        self.installHint = installHint
    }
}

/// One unmet requirement.
public enum ToolProblem: Error, Equatable, CustomStringConvertible {
    /// Not on PATH. `notExecutable` lists files of that name found without the execute bit.
    case missing(name: String, installHint: String?, notExecutable: [FilePath])
    case versionTooOld(name: String, path: FilePath, found: ToolVersion, required: ToolVersion, installHint: String?)
    /// The version command ran but printed no version number.
    case versionUnreadable(name: String, path: FilePath, output: String)
    /// The version command could not be run, failed or timed out.
    case versionCheckFailed(name: String, path: FilePath, reason: String)

    public var name: String {
        switch self {
        case .missing(let n, _, _), .versionTooOld(let n, _, _, _, _), .versionUnreadable(let n, _, _), .versionCheckFailed(let n, _, _): n
        }
    }

    public var description: String {
        func hint(_ h: String?) -> String { h.map { " Install it with: \($0)." } ?? "" }
        switch self {
        case .missing(let n, let h, let nx):
            let extra = nx.isEmpty ? "" : " (found \(nx.map(\.string).joined(separator: ", ")) without the execute permission)"
            return "The tool '\(n)' was not found on PATH\(extra).\(hint(h))"
        case .versionTooOld(let n, let p, let found, let required, let h):
            return "The tool '\(n)' at \(p) is version \(found); version \(required) or newer is required.\(hint(h))"
        case .versionUnreadable(let n, let p, let out):
            return "The tool '\(n)' at \(p) printed no version number: \"\(out.prefix(120))\"."
        case .versionCheckFailed(let n, let p, let reason):
            return "Could not check the version of '\(n)' at \(p): \(reason)."
        }
    }
}

/// The outcome of checking several requirements at once.
public struct ToolCheckReport: Sendable, CustomStringConvertible {
    /// Each tool that was found and met its requirement, with its path.
    public var found: [String: FilePath]
    /// Every unmet requirement, in the order asked.
    public var problems: [ToolProblem]

    public var isSatisfied: Bool { problems.isEmpty }

    public var description: String {
        problems.isEmpty ? "All \(found.count) required tools are available."
            : "\(problems.count) required tool\(problems.count == 1 ? " is" : "s are") unavailable:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
