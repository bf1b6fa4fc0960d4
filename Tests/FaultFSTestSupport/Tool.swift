#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemCalls
import SystemPackage

/// What a finished tool run produced.
public struct ToolResult: Sendable, CustomStringConvertible {
    public let commandLine: [String]
    public let exit: Termination
    public let stdout: String
    public let stderr: String

    public init(commandLine: [String], exit: Termination, stdout: String, stderr: String) {
        self.commandLine = commandLine
        self.exit = exit
        self.stdout = stdout
        self.stderr = stderr
    }

    /// Whether it exited with code 0.
    public var succeeded: Bool { exit == .exited(0) }

    public var description: String {
        "\(commandLine.joined(separator: " ")): \(exit)\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
    }
}

/// Runs real tools (git, tar, sqlite3, python3, the faultbench binary) and
/// collects their output.
public enum Tool {
    /// The system Python when there is one, because uid 65534 can run it
    /// (a pyenv shim under /root it cannot); otherwise python3 on PATH.
    public static let python3 = FaultbenchBinary.isExecutable("/usr/bin/python3") ? "/usr/bin/python3" : "python3"

    /// Runs a tool to completion.
    ///
    /// A non-zero exit is a result, not an error; this throws only when the
    /// tool cannot be started or runs past `timeout` seconds (it is then
    /// killed by pid and reaped).
    public static func run(
        _ tool: String, _ arguments: [String], cwd: String? = nil,
        environment: [String: String?] = [:], input: String? = nil, timeout: Double = 300
    ) throws -> ToolResult {
        let scratch = try TemporaryDirectory("run")
        defer { try? scratch.remove() }
        var stdinPath: String? = nil
        if let input {
            stdinPath = scratch.path("stdin")
            if case .failure(let e) = FS.writeFile(stdinPath!, input) {
                throw SupportError("cannot write the standard input of \(tool) to '\(stdinPath!)': \(e).")
            }
        }
        let process = try ChildProcess.spawn(
            tool, arguments, cwd: cwd, environment: environment, stdin: stdinPath,
            stdout: scratch.path("stdout"), stderr: scratch.path("stderr"))
        let ended = process.wait(timeout: timeout)
        if ended == nil { process.killAndReap() }
        let stdout = (try? FS.readText(scratch.path("stdout")).get()) ?? ""
        let stderr = (try? FS.readText(scratch.path("stderr")).get()) ?? ""
        guard let ended else {
            throw SupportError("\(process.commandLine.joined(separator: " ")) ran past \(timeout) s and was killed.\n--- stdout\n\(stdout)--- stderr\n\(stderr)")
        }
        return ToolResult(commandLine: process.commandLine, exit: ended, stdout: stdout, stderr: stderr)
    }

    /// The command prefix that runs a program as uid/gid 65534 (nobody) with
    /// no supplementary groups.
    public static let asNobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]

    /// Runs a Python snippet as uid 65534; `arguments` become `sys.argv[1:]`.
    public static func pythonAsNobody(_ script: String, _ arguments: [String]) throws -> ToolResult {
        let command = asNobody + [python3, "-c", script] + arguments
        return try run(command[0], Array(command.dropFirst()), cwd: "/")
    }

    /// Runs one file call as uid 65534 and returns the errno it failed with,
    /// or nil on success. `call` is a Python expression over `p` (the path)
    /// and `os`, e.g. `os.close(os.open(p, os.O_WRONLY))`.
    public static func errnoAsNobody(_ call: String, path: String) throws -> Errno? {
        let script = """
            import os, sys
            p = sys.argv[1]
            try:
                \(call)
                print("ok")
            except OSError as e:
                print(e.errno)
            """
        let result = try pythonAsNobody(script, [path])
        guard result.succeeded else { throw SupportError("the Python call as nobody failed: \(result)") }
        let word = result.stdout.trimmingWhitespace()
        if word == "ok" { return nil }
        guard let code = Int32(word) else { throw SupportError("the Python call as nobody printed '\(word)': \(result)") }
        return Errno(rawValue: code)
    }

    /// access(2) as uid 65534: the errno it fails with, or nil.
    public static func accessAsNobody(_ path: String, _ mode: Int32) throws -> Errno? {
        let script = """
            import ctypes, os, sys
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.access(os.fsencode(sys.argv[1]), int(sys.argv[2])) != 0:
                print(ctypes.get_errno())
            else:
                print("ok")
            """
        let result = try pythonAsNobody(script, [path, String(mode)])
        guard result.succeeded else { throw SupportError("access() as nobody failed to run: \(result)") }
        let word = result.stdout.trimmingWhitespace()
        if word == "ok" { return nil }
        guard let code = Int32(word) else { throw SupportError("access() as nobody printed '\(word)': \(result)") }
        return Errno(rawValue: code)
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    public func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
