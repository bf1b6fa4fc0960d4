#if canImport(Glibc)
import Glibc
#endif
import SystemCalls
import SystemPackage

/// One run of an executor: spawned in a process group of its own, fed the
/// task on standard input, its output collected, and ended at a deadline.
///
/// Waiting is done by polling the output pipes and then `waitpid` on this
/// pid alone, never `waitpid(-1)`, so concurrent trials never reap each
/// other's processes.
struct ExecutorProcess {
    /// How the process ended and what it printed.
    struct Ending: Sendable {
        var code: Int32?
        var signal: Int32?
        var timedOut: Bool
        var stdout: [UInt8]
        var stderr: [UInt8]
        /// Seconds from spawn to reaped.
        var seconds: Double
    }

    /// Most bytes kept of each stream: the claim is the last line, and a
    /// runaway executor must not fill the harness's memory.
    static let outputLimit = 1 << 20

    let command: [String]
    let directory: String
    let environment: [String]
    let input: [UInt8]
    let timeout: Double

    /// Spawns the process, runs it to its end or its deadline, and kills its
    /// whole process group either way.
    /// - Parameter strays: the run's record of executors, which the spawn
    ///   joins so that the stray-process sweep never takes it for a stray.
    func run(strays: StrayProcesses) -> Result<Ending, HarnessError> {
        var made: [(read: Int32, write: Int32)] = []
        for _ in 0..<3 {
            switch ProcessControl.pipe() {
            case .success(let ends): made.append(ends)
            case .failure(let e):
                made.forEach { Syscall.close($0.read); Syscall.close($0.write) }
                return .failure(HarnessError("cannot create pipes for the executor: \(e); too many open files?"))
            }
        }
        let stdinPipe = [made[0].read, made[0].write], stdoutPipe = [made[1].read, made[1].write]
        let stderrPipe = [made[2].read, made[2].write]
        var parentEnds = [stdinPipe[1], stdoutPipe[0], stderrPipe[0]]
        defer { parentEnds.forEach { if $0 >= 0 { Syscall.close($0) } } }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        let chdir = ProcessControl.spawnAddChdir(&actions, directory)
        guard chdir == 0 else {
            [stdinPipe[0], stdoutPipe[1], stderrPipe[1]].forEach { Syscall.close($0) }
            return .failure(HarnessError("cannot set the executor's working directory '\(directory)': \(Errno(rawValue: chdir))."))
        }

        let attributes = SpawnAttributes()

        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = environment.map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }

        let start = Monotonic.now
        var pid: pid_t = 0
        var spawned: Int32 = 0
        _ = strays.spawn {
            spawned = argv.withUnsafeBufferPointer { a in
                envp.withUnsafeBufferPointer { e in
                    posix_spawnp(&pid, command[0], &actions, &attributes.raw, a.baseAddress!, e.baseAddress!)
                }
            }
            return spawned == 0 ? pid : 0
        }
        defer { if spawned == 0 { strays.unregister(pid) } }
        // The child's ends belong to the child now.
        [stdinPipe[0], stdoutPipe[1], stderrPipe[1]].forEach { Syscall.close($0) }
        guard spawned == 0 else {
            return .failure(HarnessError("cannot start the executor '\(command.joined(separator: " "))': \(Errno(rawValue: spawned)); check the --executor command."))
        }
        // pid > 1 always holds for a spawned child; the guard keeps a
        // process-group kill from ever becoming kill(-1) or kill(0).
        precondition(pid > 1, "posix_spawn returned pid \(pid)")

        let deadline = start + timeout
        var ending = Ending(code: nil, signal: nil, timedOut: false, stdout: [], stderr: [], seconds: 0)
        var pendingInput = input[...]
        var streams = [parentEnds[0], parentEnds[1], parentEnds[2]]
        for fd in streams { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        if pendingInput.isEmpty { Syscall.close(streams[0]); streams[0] = -1; parentEnds[0] = -1 }
        var buffer = [UInt8](repeating: 0, count: 65536)

        // Feed stdin and drain stdout and stderr until the process has
        // exited and its output is closed, or the deadline passes. A
        // grandchild that inherited the output can keep it open after the
        // executor is gone: the trial then ends 50 ms after the executor.
        var status: Int32 = 0
        var exitedAt: Double?
        while true {
            if exitedAt == nil {
                switch Syscall.run({ waitpid(pid, &status, WNOHANG) }) {
                case .success(let reaped) where reaped == pid:
                    exitedAt = Monotonic.now
                case .failure:
                    // ECHILD: someone else in this process reaped it (code
                    // that waits for any child). It has ended; how is lost,
                    // and a signal 9 status says so rather than a hang.
                    exitedAt = Monotonic.now
                    status = 9
                default:
                    break
                }
            }
            let now = Monotonic.now
            let outputOpen = streams[1] >= 0 || streams[2] >= 0
            if let exitedAt, !outputOpen || now - exitedAt > 0.05 { break }
            if now >= deadline {
                ending.timedOut = true
                _ = kill(-pid, SIGKILL)
                break
            }
            var fds = [
                pollfd(fd: streams[0], events: Int16(POLLOUT), revents: 0),
                pollfd(fd: streams[1], events: Int16(POLLIN), revents: 0),
                pollfd(fd: streams[2], events: Int16(POLLIN), revents: 0),
            ]
            // Short waits while output is open (an exit is noticed within 5 ms);
            // with the output closed, this poll is the sleep between waitpids.
            let wait = min(deadline - now, outputOpen ? 0.005 : 0.0005)
            guard case .success(let ready) = Syscall.run({ poll(&fds, 3, Int32(max(wait * 1000, 0).rounded(.up))) }), ready > 0 else { continue }
            if streams[0] >= 0, fds[0].revents != 0 {
                let n = pendingInput.withUnsafeBytes { write(streams[0], $0.baseAddress, $0.count) }
                if n > 0 { pendingInput = pendingInput.dropFirst(n) }
                if (n < 0 && errno != EAGAIN) || pendingInput.isEmpty {
                    // Done, or the executor closed its stdin without reading it all: fine either way.
                    Syscall.close(streams[0]); streams[0] = -1; parentEnds[0] = -1
                }
            }
            for index in 1...2 where streams[index] >= 0 && fds[index].revents != 0 {
                let fd = streams[index]
                switch Syscall.count({ buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }) {
                case .failure(let e) where e == .resourceTemporarilyUnavailable:
                    continue
                case .success(0), .failure:
                    Syscall.close(fd); streams[index] = -1; parentEnds[index] = -1
                case .success(let count):
                    if index == 1 { Self.append(buffer[0..<count], to: &ending.stdout) }
                    else { Self.append(buffer[0..<count], to: &ending.stderr) }
                }
            }
        }
        if exitedAt == nil {
            // Killed at the deadline above: SIGKILL cannot be ignored, so this wait is short.
            _ = Syscall.run { waitpid(pid, &status, 0) }
        }
        // A trial killed at its deadline took the time limit: how long the
        // kill then takes to land is not the executor's time.
        ending.seconds = ending.timedOut ? timeout : (exitedAt ?? Monotonic.now) - start
        // Whatever is left of the group (a grandchild still running) ends now.
        _ = kill(-pid, SIGKILL)
        if status & 0x7f == 0 {
            ending.code = (status >> 8) & 0xff
        } else {
            ending.signal = status & 0x7f
        }
        return .success(ending)
    }

    private static func append(_ bytes: ArraySlice<UInt8>, to stream: inout [UInt8]) {
        stream += bytes
        if stream.count > outputLimit { stream.removeFirst(stream.count - outputLimit) }
    }
}

/// Monotonic seconds, for durations that must not jump with the wall clock.
enum Monotonic {
    static var now: Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// A harness failure: one sentence saying what went wrong and what to do.
public struct HarnessError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
