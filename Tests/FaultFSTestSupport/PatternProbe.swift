#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The built `pattern-probe` (Tests/PatternProbe): a child process that runs
/// one ExecutionPatterns operation on a mount, so the fault engine can kill
/// it mid-write while the test process looks at the backing directory.
public final class PatternProbe {
    /// The process.
    public let process: ChildProcess
    /// Where its stdout and stderr go.
    private let logs: TemporaryDirectory

    private init(process: ChildProcess, logs: TemporaryDirectory) {
        self.process = process
        self.logs = logs
    }

    /// The binary, looked up like `FaultbenchBinary.path()`: `PATTERN_PROBE_BIN`,
    /// then next to the running test bundle, then the package's `.build/debug`.
    ///
    /// - Throws: when none is an executable file (the tests then fail, never skip).
    public static func path() throws -> String {
        try BuiltExecutable.path("pattern-probe", override: "PATTERN_PROBE_BIN")
    }

    /// Starts `pattern-probe ARGUMENTS` (see Tests/PatternProbe/main.swift).
    public static func start(_ arguments: [String]) throws -> PatternProbe {
        let logs = try TemporaryDirectory("probe")
        do {
            let process = try ChildProcess.spawn(try path(), arguments, cwd: "/", stdout: logs.path("stdout"), stderr: logs.path("stderr"))
            return PatternProbe(process: process, logs: logs)
        } catch {
            try? logs.remove()
            throw error
        }
    }

    /// Runs `pattern-probe ARGUMENTS` to the end (or `timeout` seconds, then kills it).
    ///
    /// - Returns: how it ended and its output lines.
    public static func run(_ arguments: [String], timeout: Double = 30) throws -> (exit: Termination, lines: [String]) {
        let probe = try start(arguments)
        defer { probe.stop() }
        guard let ended = probe.process.wait(timeout: timeout) else {
            throw SupportError("pattern-probe \(arguments.joined(separator: " ")) ran past \(timeout) s.\(probe.output)")
        }
        return (ended, probe.lines)
    }

    /// The lines it printed on stdout so far.
    public var lines: [String] {
        ((try? FS.readText(logs.path("stdout")).get()) ?? "").split(separator: "\n").map(String.init)
    }

    /// stdout and stderr, for failure messages.
    public var output: String {
        let err = (try? FS.readText(logs.path("stderr")).get()) ?? ""
        return "\n--- stdout\n\(lines.joined(separator: "\n"))\n--- stderr\n\(err)"
    }

    /// Waits until it prints a line starting with `prefix` (e.g. `paused`).
    ///
    /// - Throws: if it ends first or `timeout` seconds pass.
    public func waitForLine(_ prefix: String, timeout: Double = 20) throws {
        let deadline = Clock.now + timeout
        while !lines.contains(where: { $0.hasPrefix(prefix) }) {
            if let ended = process.poll() {
                guard !lines.contains(where: { $0.hasPrefix(prefix) }) else { return }
                throw SupportError("pattern-probe \(process.commandLine.dropFirst().joined(separator: " ")) ended (\(ended)) before printing '\(prefix)'.\(output)")
            }
            if Clock.now > deadline {
                throw SupportError("pattern-probe \(process.commandLine.dropFirst().joined(separator: " ")) printed no '\(prefix)' within \(timeout) s.\(output)")
            }
            usleep(2_000)
        }
    }

    /// Kills it (if still running), reaps it and removes its logs.
    public func stop() {
        process.killAndReap()
        try? logs.remove()
    }

    deinit { stop() }
}
