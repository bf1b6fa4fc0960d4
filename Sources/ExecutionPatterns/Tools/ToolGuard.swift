#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Subprocess
import Synchronization
import SystemPackage

/// A dotted version number, compared component by component (missing components count as 0).
public struct ToolVersion: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let components: [Int]

    /// Parses "2.43.0"; nil if the text is not a dotted number.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let numbers = parts.compactMap { Int($0) }
        guard !parts.isEmpty, numbers.count == parts.count else { return nil }
        components = numbers
    }

    /// The first dotted number in a tool's `--version` output ("git version 2.43.0" gives 2.43.0).
    public init?(findingIn output: String) {
        var current = ""
        for ch in output + " " {
            if ch.isASCII && (ch.isNumber || (ch == "." && !current.isEmpty && current.last != ".")) {
                current.append(ch)
            } else if !current.isEmpty {
                while current.last == "." { current.removeLast() }
                if current.contains("."), let v = ToolVersion(current) { self = v; return }
                current = ""
            }
        }
        return nil
    }

    public static func < (a: ToolVersion, b: ToolVersion) -> Bool {
        for i in 0..<max(a.components.count, b.components.count) {
            let x = i < a.components.count ? a.components[i] : 0
            let y = i < b.components.count ? b.components[i] : 0
            if x != y { return x < y }
        }
        return false
    }

    public static func == (a: ToolVersion, b: ToolVersion) -> Bool { !(a < b) && !(b < a) }

    public func hash(into h: inout Hasher) {
        var c = components
        while c.last == 0 { c.removeLast() }
        h.combine(c)
    }

    public var description: String { components.map(String.init).joined(separator: ".") }
}

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

/// How a tool run ended.
public struct ToolRunResult: Sendable {
    public let executable: FilePath
    public let arguments: [String]
    /// nil only when the timeout fired and the process's status could not be collected.
    public let status: TerminationStatus?
    /// True if the run was stopped because it exceeded its timeout.
    public let timedOut: Bool
    public let standardOutput: String
    public let standardError: String
    public let duration: Duration

    /// Exited with status 0 within the timeout.
    public var succeeded: Bool { !timedOut && status?.isSuccess == true }
}

/// Why a tool could not be run.
public struct ToolGuardError: Error, CustomStringConvertible {
    public enum Kind: Sendable {
        case unavailable(ToolCheckReport)
        /// The process could not be started.
        case launchFailed(String)
    }

    public let tool: String
    public let kind: Kind

    public var description: String {
        switch kind {
        case .unavailable(let report): "Could not run '\(tool)': \(report)"
        case .launchFailed(let why): "Could not start '\(tool)': \(why)."
        }
    }
}

/// EXEC-003: finds tools on PATH the way the shell does, checks their versions, and runs them with a timeout.
///
/// A lookup scans every PATH entry in order (an empty entry is the current
/// directory) for a regular file with the execute permission for this
/// process; a name with a slash is used as it is. Answers are cached per
/// name and PATH until `forget()`. `check` reports every missing or too-old
/// tool at once, each with an install hint, so one run tells the whole fix.
///
/// Anti-pattern: calling the tool and catching "command not found" (no
/// hint, and half the work may be done by then), or retrying a missing
/// tool: it will not appear by itself.
public final class ToolGuard: Sendable {
    private struct Cache {
        var locations: [String: Result<FilePath, ToolProblem>] = [:]
        var versions: [FilePath: Result<ToolVersion, ToolProblem>] = [:]
        var scans = 0
    }

    /// The PATH searched.
    public let searchPath: String
    private let hints: [String: String]
    private let cache = Mutex(Cache())

    /// Install hints for common tools (Debian/Ubuntu package names).
    public static let defaultHints: [String: String] = [
        "git": "apt-get install git",
        "python3": "apt-get install python3",
        "sh": "apt-get install dash",
        "bash": "apt-get install bash",
        "curl": "apt-get install curl",
        "jq": "apt-get install jq",
        "make": "apt-get install make",
        "patch": "apt-get install patch",
        "fusermount3": "apt-get install fuse3",
        "swift": "install a Swift toolchain from swift.org",
    ]

    /// Creates a guard over `searchPath` (the process's PATH when nil).
    public init(searchPath: String? = nil, hints: [String: String] = ToolGuard.defaultHints) {
        self.searchPath = searchPath ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        self.hints = hints
    }

    /// How many times a PATH scan actually ran (cached answers do not count).
    public var scanCount: Int { cache.withLock { $0.scans } }

    /// Drops every cached answer (after installing a tool, or changing PATH).
    public func forget() {
        cache.withLock {
            $0.locations = [:]
            $0.versions = [:]
        }
    }

    /// The path of `name`, as the shell would find it.
    public func locate(_ name: String, installHint: String? = nil) -> Result<FilePath, ToolProblem> {
        if let cached = cache.withLock({ $0.locations[name] }) { return cached }
        let result = scan(name, installHint: installHint ?? hints[name])
        cache.withLock {
            $0.scans += 1
            $0.locations[name] = result
        }
        return result
    }

    private func scan(_ name: String, installHint: String?) -> Result<FilePath, ToolProblem> {
        var notExecutable: [FilePath] = []
        func usable(_ path: FilePath) -> Bool {
            guard case .success(let st) = Posix.statPath(path), st.isRegularFile else { return false }
            if case .success = Posix.access(path, X_OK) { return true }
            notExecutable.append(path)
            return false
        }
        if name.contains("/") {
            let p = FilePath(name)
            return usable(p) ? .success(p) : .failure(.missing(name: name, installHint: installHint, notExecutable: notExecutable))
        }
        guard !name.isEmpty else { return .failure(.missing(name: name, installHint: installHint, notExecutable: [])) }
        for entry in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let dir = entry.isEmpty ? FilePath(".") : FilePath(String(entry))
            let candidate = dir.appending(name)
            if usable(candidate) { return .success(candidate) }
        }
        return .failure(.missing(name: name, installHint: installHint, notExecutable: notExecutable))
    }

    /// Checks every requirement and reports every problem at once.
    public func check(_ requirements: [ToolRequirement], versionTimeout: Duration = .seconds(5)) async -> ToolCheckReport {
        var report = ToolCheckReport(found: [:], problems: [])
        for req in requirements {
            let hint = req.installHint ?? hints[req.name]
            let path: FilePath
            switch locate(req.name, installHint: hint) {
            case .success(let p): path = p
            case .failure(let problem): report.problems.append(problem); continue
            }
            if let minimum = req.minimumVersion {
                switch await version(of: req.name, at: path, arguments: req.versionArguments, timeout: versionTimeout) {
                case .success(let v) where v < minimum:
                    report.problems.append(.versionTooOld(name: req.name, path: path, found: v, required: minimum, installHint: hint))
                    continue
                case .success: break
                case .failure(let problem): report.problems.append(problem); continue
                }
            }
            report.found[req.name] = path
        }
        return report
    }

    /// Like `check`, but throws when anything is missing; returns the tools' paths.
    public func require(_ requirements: [ToolRequirement]) async throws(ToolGuardError) -> [String: FilePath] {
        let report = await check(requirements)
        guard report.isSatisfied else {
            throw ToolGuardError(tool: requirements.map(\.name).joined(separator: ", "), kind: .unavailable(report))
        }
        return report.found
    }

    /// Runs the tool to read its version (cached per path).
    public func version(of name: String, at path: FilePath, arguments: [String] = ["--version"], timeout: Duration = .seconds(5)) async -> Result<ToolVersion, ToolProblem> {
        if let cached = cache.withLock({ $0.versions[path] }) { return cached }
        let result: Result<ToolVersion, ToolProblem>
        do {
            let run = try await execute(path, arguments: arguments, timeout: timeout, workingDirectory: nil, outputLimit: 64 << 10)
            let text = run.standardOutput + "\n" + run.standardError
            if run.timedOut {
                result = .failure(.versionCheckFailed(name: name, path: path, reason: "'\(arguments.joined(separator: " "))' did not finish within \(timeout)"))
            } else if let v = ToolVersion(findingIn: text) {
                result = .success(v)
            } else {
                result = .failure(.versionUnreadable(name: name, path: path, output: text.trimmingCharacters(in: .whitespacesAndNewlines)))
            }
        } catch {
            result = .failure(.versionCheckFailed(name: name, path: path, reason: "\(error)"))
        }
        cache.withLock { $0.versions[path] = result }
        return result
    }

    /// Finds `name` and runs it directly (no shell), stopping it when `timeout` passes.
    ///
    /// A non-zero exit is a normal result; look at `status`. On timeout the
    /// process gets SIGTERM, then SIGKILL after `killGrace`, and the result
    /// has `timedOut` set. With a `deadline` (a planning budget's), the
    /// timeout is cut to the time left.
    public func run(
        _ name: String,
        arguments: [String] = [],
        timeout: Duration,
        workingDirectory: FilePath? = nil,
        outputLimit: Int = 1 << 20,
        killGrace: Duration = .milliseconds(500),
        within deadline: Deadline? = nil
    ) async throws(ToolGuardError) -> ToolRunResult {
        let timeout = deadline.map { min(timeout, $0.remaining) } ?? timeout
        let path: FilePath
        switch locate(name) {
        case .success(let p): path = p
        case .failure(let problem):
            throw ToolGuardError(tool: name, kind: .unavailable(ToolCheckReport(found: [:], problems: [problem])))
        }
        do {
            return try await execute(path, arguments: arguments, timeout: timeout, workingDirectory: workingDirectory, outputLimit: outputLimit, killGrace: killGrace)
        } catch {
            throw ToolGuardError(tool: name, kind: .launchFailed("\(error)"))
        }
    }

    private enum Race: Sendable {
        case finished(ExecutionResult<Void, StringOutput<UTF8>, StringOutput<UTF8>>)
        case failed(String)
        case timeout
    }

    private func execute(_ path: FilePath, arguments: [String], timeout: Duration, workingDirectory: FilePath?, outputLimit: Int, killGrace: Duration = .milliseconds(500)) async throws -> ToolRunResult {
        var options = PlatformOptions()
        options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: killGrace)]
        let start = ContinuousClock.now
        let configuration = Configuration(executable: .path(path), arguments: Arguments(arguments),
                                          environment: .inherit, workingDirectory: workingDirectory, platformOptions: options)
        let outcome: (Race, Bool) = await withTaskGroup(of: Race.self) { group in
            group.addTask {
                do {
                    return .finished(try await Subprocess.run(configuration, output: .string(limit: outputLimit), error: .string(limit: outputLimit)))
                } catch {
                    return .failed("\(error)")
                }
            }
            group.addTask {
                do { try await Task.sleep(for: timeout) } catch { return .failed("cancelled") }
                return .timeout
            }
            var timedOut = false
            while let next = await group.next() {
                switch next {
                case .timeout:
                    // Cancelling the run task makes Subprocess tear the process down.
                    timedOut = true
                    group.cancelAll()
                case .failed("cancelled"):
                    // The timer, cancelled because the tool finished first.
                    continue
                case .finished, .failed:
                    group.cancelAll()
                    return (next, timedOut)
                }
            }
            return (.failed("the tool produced no result"), timedOut)
        }
        let duration = ContinuousClock.now - start
        switch outcome {
        case (.finished(let r), let timedOut):
            return ToolRunResult(executable: path, arguments: arguments, status: r.terminationStatus, timedOut: timedOut,
                                 standardOutput: r.standardOutput, standardError: r.standardError, duration: duration)
        case (.failed, true), (.timeout, _):
            return ToolRunResult(executable: path, arguments: arguments, status: nil, timedOut: true, standardOutput: "", standardError: "", duration: duration)
        case (.failed(let why), false):
            throw ToolGuardError(tool: path.string, kind: .launchFailed(why))
        }
    }
}
