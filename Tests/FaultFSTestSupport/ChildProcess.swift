#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemCalls
import SystemPackage

/// How a child process ended.
public enum Termination: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)
    /// waitpid said ECHILD: something else in this process reaped it.
    case reapedElsewhere

    /// Decodes a waitpid status (the W* macros are not importable).
    init(waitStatus status: Int32) {
        if status & 0x7f == 0 {
            self = .exited((status >> 8) & 0xff)
        } else {
            self = .signaled(status & 0x7f)
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): return "exit code \(code)"
        case .signaled(let signal): return "killed by signal \(signal)"
        case .reapedElsewhere: return "reaped by someone else (status unknown)"
        }
    }
}

/// A process started with posix_spawn, whose output goes to files, and which
/// this object alone waits for (by pid, never with waitpid(-1)).
///
/// Signals are reset to their defaults and none is blocked in the child, so a
/// daemon sees SIGINT/SIGTERM the way it would from a shell, whatever the
/// test runner did to its own signal handling.
public final class ChildProcess {
    public let pid: pid_t
    public let commandLine: [String]
    public private(set) var termination: Termination?

    private init(pid: pid_t, commandLine: [String]) {
        self.pid = pid
        self.commandLine = commandLine
    }

    /// Starts `executable` (looked up on PATH when it has no slash).
    ///
    /// - Parameters:
    ///   - environment: changes to this process's environment; a nil value
    ///     removes the variable.
    ///   - stdin: a file to read standard input from; /dev/null when nil.
    ///   - stdout, stderr: files (created or truncated) for the output.
    ///   - cwd: the working directory; this process's when nil.
    public static func spawn(
        _ executable: String, _ arguments: [String],
        cwd: String? = nil, environment: [String: String?] = [:],
        stdin: String? = nil, stdout: String, stderr: String
    ) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if let cwd {
            let rc = LinuxCalls.spawnAddChdir(&actions, cwd)
            if rc != 0 { throw SupportError("posix_spawn_file_actions_addchdir_np('\(cwd)') failed: \(Errno(rawValue: rc)).") }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let commandLine = [executable] + arguments
        let argv = commandLine.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = mergedEnvironment(environment).map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }

        var pid: pid_t = 0
        let rc = argv.withUnsafeBufferPointer { argvBuffer in
            envp.withUnsafeBufferPointer { envpBuffer in
                posix_spawnp(&pid, executable, &actions, &attributes, argvBuffer.baseAddress!, envpBuffer.baseAddress!)
            }
        }
        guard rc == 0 else {
            throw SupportError("cannot start \(commandLine.joined(separator: " ")): \(Errno(rawValue: rc)).")
        }
        return ChildProcess(pid: pid, commandLine: commandLine)
    }

    private static func mergedEnvironment(_ changes: [String: String?]) -> [String] {
        var entries: [String] = []
        var index = 0
        while let entry = environ[index] {
            let text = String(cString: entry)
            let name = String(text.prefix { $0 != "=" })
            if changes[name] == nil { entries.append(text) }
            index += 1
        }
        for (name, value) in changes.sorted(by: { $0.key < $1.key }) {
            if let value { entries.append("\(name)=\(value)") }
        }
        return entries
    }

    /// Reaps the process if it has ended; never blocks.
    @discardableResult
    public func poll() -> Termination? {
        if let termination { return termination }
        var status: Int32 = 0
        let rc = Syscall.run { waitpid(pid, &status, WNOHANG) }
        switch rc {
        case .success(0): return nil
        case .success: termination = Termination(waitStatus: status)
        case .failure:
            // ECHILD: another part of the test process reaped it (a
            // waitpid(-1) somewhere); its status is lost, and saying so
            // beats crashing every test in the process.
            termination = .reapedElsewhere
        }
        return termination
    }

    /// Waits up to `timeout` seconds for the process to end.
    /// - Returns: how it ended, or nil if it is still running.
    @discardableResult
    public func wait(timeout seconds: Double) -> Termination? {
        let deadline = Clock.now + seconds
        while true {
            if let ended = poll() { return ended }
            if Clock.now >= deadline { return nil }
            usleep(2_000)
        }
    }

    /// Sends a signal, unless the process has already been reaped (its pid
    /// may belong to someone else by now).
    public func send(_ signal: Int32) {
        guard termination == nil else { return }
        kill(pid, signal)
    }

    /// SIGKILL and reap; for cleanup paths.
    public func killAndReap() {
        guard poll() == nil else { return }
        kill(pid, SIGKILL)
        _ = wait(timeout: 10)
    }

    deinit {
        // A child is never left running or unreaped behind a test.
        killAndReap()
    }
}

/// Monotonic seconds.
public enum Clock {
    public static var now: Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    public static func sleep(_ seconds: Double) {
        usleep(UInt32(seconds * 1e6))
    }
}
