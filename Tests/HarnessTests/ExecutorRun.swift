#if canImport(Glibc)
import Glibc
#endif
import ExecutorContract
import FaultFSTestSupport
import Foundation

/// Runs the built `faultbench-executor` (or any executor command) the way the
/// harness does: the task JSON on standard input, the trial directory as the
/// working directory and FAULTBENCH_ROOT, its `bin/` first on PATH.
enum ExecutorRun {
    /// The binary: `FAULTBENCH_EXECUTOR_BIN`, else `faultbench-executor` next to
    /// the running test bundle (the same build), else the package's
    /// `.build/debug`. Throws when none is executable: the tests fail, never skip.
    static func binary() throws -> String {
        if let override = getenv("FAULTBENCH_EXECUTOR_BIN").map({ String(cString: $0) }), !override.isEmpty {
            guard access(override, X_OK) == 0 else { throw SupportError("FAULTBENCH_EXECUTOR_BIN is '\(override)', which is not executable.") }
            return override
        }
        var candidates: [String] = []
        if case .success(let exe) = FS.readlink("/proc/self/exe"), let slash = exe.lastIndex(of: "/") {
            candidates.append(String(exe[..<slash]) + "/faultbench-executor")
        }
        var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/HarnessTests/ExecutorRun.swift
        candidates.append(parts.joined(separator: "/") + "/.build/debug/faultbench-executor")
        if let found = candidates.first(where: { access($0, X_OK) == 0 }) { return found }
        throw SupportError("no faultbench-executor binary: looked at \(candidates.joined(separator: " and ")); build it with `swift build` or set FAULTBENCH_EXECUTOR_BIN.")
    }

    /// What one run gave: how it ended, its output and the decoded claim (nil when the last line is not one).
    struct Outcome: CustomStringConvertible {
        let result: ToolResult
        let claim: Claim?
        var description: String { "\(result)" }
    }

    /// Runs `command` (default: the built executor with `arm`) on `task` in `directory`.
    static func run(_ arm: Arm, _ task: String, in directory: String, command: [String]? = nil, timeout: Double = 60) throws -> Outcome {
        let argv = try command ?? [binary(), arm.rawValue]
        let path = directory + "/bin:" + (getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin")
        let result = try Tool.run(argv[0], Array(argv.dropFirst()), cwd: directory,
                                  environment: ["PATH": path, ExecutorEnvironment.root: directory,
                                                ExecutorEnvironment.trial: "t000001", ExecutorEnvironment.arm: arm.rawValue],
                                  input: task, timeout: timeout)
        let last = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        return Outcome(result: result, claim: try? JSONDecoder().decode(Claim.self, from: Data(last.utf8)))
    }
}

extension TemporaryDirectory {
    /// Writes a file (creating its directory) below this directory.
    func write(_ relative: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws {
        if let slash = relative.lastIndex(of: "/") {
            var dir = path
            for part in relative[..<slash].split(separator: "/") {
                dir += "/" + part
                if case .failure(let e) = FS.mkdir(dir), e != .fileExists { throw SupportError("mkdir \(dir) failed: \(e).") }
            }
        }
        try must(FS.writeFile(path(relative), bytes, mode: mode), "write \(relative)")
    }

    func write(_ relative: String, _ text: String, mode: mode_t = 0o644) throws {
        try write(relative, Array(text.utf8), mode: mode)
    }

    /// The bytes of a file below this directory, nil when it cannot be read.
    func read(_ relative: String) -> [UInt8]? { try? FS.readFile(path(relative)).get() }

    func text(_ relative: String) -> String? { read(relative).map { String(decoding: $0, as: UTF8.self) } }

    /// The names in a directory below this one (sorted), or [] if there is none.
    func list(_ relative: String) -> [String] { ((try? FS.listDirectory(path(relative)).get()) ?? []).sorted() }
}
