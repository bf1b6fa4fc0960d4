#if canImport(Glibc)
import Glibc
#endif
import FaultFS
import Foundation
import SystemCalls
import SystemPackage

/// The one FaultFS mount of a run: `faultbench mount BACKING MNT --control
/// SOCKET` as a child process, so that a filesystem that dies cannot take
/// the harness with it, and a harness that dies takes the mount with it
/// (`--exit-with-parent`, and `auto_unmount` if even that is SIGKILLed).
final class RunMount: @unchecked Sendable {
    // @unchecked: every stored property is immutable after init except
    // `ended`, which is guarded by `lock`.
    let backing: String
    let mountpoint: String
    let socket: String
    let arguments: [String]
    /// The daemon's pid (a child of this process).
    let pid: pid_t
    private let log: String
    private let lock = NSLock()
    private var ended = false

    /// FUSE's statfs magic: the mount point shows it only while the mount is there.
    private static let fuseMagic = 0x6573_5546

    private init(backing: String, mountpoint: String, socket: String, arguments: [String], pid: pid_t, log: String) {
        self.backing = backing
        self.mountpoint = mountpoint
        self.socket = socket
        self.arguments = arguments
        self.pid = pid
        self.log = log
    }

    /// Starts the mount and returns once it is in place and answers `ping`.
    /// - Parameters:
    ///   - binary: the `faultbench` executable.
    ///   - workDirectory: where the socket and the daemon's log go.
    ///   - jobs: trials that run at once; the daemon gets enough workers that
    ///     every trial can have a call waiting in an injected delay while
    ///     others (the kernel's INTERRUPT of a killed caller among them)
    ///     are still answered.
    static func start(binary: String, backing: String, mountpoint: String, workDirectory: String, seed: UInt64,
                      jobs: Int) -> Result<RunMount, HarnessError> {
        let socket = workDirectory + "/control.sock"
        let log = workDirectory + "/mount.log"
        let threads = min(256, max(4, 2 * jobs + 2))
        let arguments = [backing, mountpoint, "--control", socket, "--seed", String(seed), "--threads", String(threads),
                         "--exit-with-parent"]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let attributes = SpawnAttributes()
        let argv = ([binary, "mount"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = argv.withUnsafeBufferPointer { posix_spawn(&pid, binary, &actions, &attributes.raw, $0.baseAddress!, environ) }
        guard spawned == 0 else {
            return .failure(HarnessError("cannot start '\(binary) mount': \(Errno(rawValue: spawned))."))
        }
        let mount = RunMount(backing: backing, mountpoint: mountpoint, socket: socket, arguments: arguments, pid: pid, log: log)
        let deadline = Monotonic.now + 15
        while Monotonic.now < deadline {
            if mount.daemonExited() {
                return .failure(HarnessError("the filesystem did not mount: \(mount.logTail())"))
            }
            if mount.isMounted(), case .success = mount.request(.ping) { return .success(mount) }
            Syscall.sleep(nanoseconds: 5_000_000)
        }
        mount.stop()
        return .failure(HarnessError("the filesystem did not answer within 15 s of starting: \(mount.logTail())"))
    }

    /// Whether the mount point shows the FUSE mount (not the bare directory).
    func isMounted() -> Bool {
        guard case .success(let magic) = ProcessControl.filesystemMagic(mountpoint) else { return false }
        return magic == Self.fuseMagic
    }

    /// Whether the mount is there and its control socket answers: checked
    /// after every trial, because an executor under a dead mount would write
    /// into the bare mount-point directory.
    func checkAlive() -> Result<Void, HarnessError> {
        if daemonExited() {
            return .failure(HarnessError("the filesystem process ended during the run: \(logTail())"))
        }
        guard isMounted() else {
            // A daemon that was killed loses its mount before it can be
            // reaped: give it a moment, so the message names the real cause.
            let deadline = Monotonic.now + 0.5
            while Monotonic.now < deadline {
                if daemonExited() { return .failure(HarnessError("the filesystem process ended during the run: \(logTail())")) }
                Syscall.sleep(nanoseconds: 5_000_000)
            }
            return .failure(HarnessError("the mount at '\(mountpoint)' has gone while its process runs: \(logTail())"))
        }
        return request(.ping).map { _ in () }
    }

    /// One control request; the answer if it says `"ok":true`.
    func request(_ request: ControlRequest) -> Result<ControlReply, HarnessError> {
        switch ControlChannel.exchange(request.line, socket: socket, timeout: 30) {
        case .failure(let failure):
            return .failure(HarnessError(failure.description))
        case .success(let line):
            guard let reply = try? ControlReply(line: line) else {
                return .failure(HarnessError("the filesystem answered '\(line.prefix(200))', which is not a control reply."))
            }
            guard reply.ok else {
                return .failure(HarnessError(reply.error ?? "the filesystem refused the \(request.op) request."))
            }
            return .success(reply)
        }
    }

    /// Stops the daemon (SIGTERM: it unmounts and exits) and makes sure
    /// nothing stays mounted, also when it does not answer.
    func stop() {
        lock.lock()
        defer { lock.unlock() }
        // Whatever happened to the daemon, nothing stays mounted: a dead
        // daemon's mount answers statfs with ENOTCONN, so the mount table is
        // asked, and auto_unmount is given a moment before a lazy unmount.
        defer {
            let deadline = Monotonic.now + 1
            while MountTable.entry(at: mountpoint) != nil && Monotonic.now < deadline { Syscall.sleep(nanoseconds: 5_000_000) }
            if MountTable.entry(at: mountpoint) != nil { _ = FaultFSServer.unmount(mountpoint) }
        }
        guard !ended else { return }
        ended = true
        _ = kill(pid, SIGTERM)
        var status: Int32 = 0
        let deadline = Monotonic.now + 10
        var reaped = false
        while Monotonic.now < deadline {
            // ECHILD too means it is gone: nobody else may reap it, but it must not hang the run if someone did.
            switch Syscall.run({ waitpid(pid, &status, WNOHANG) }) {
            case .success(let r) where r == pid: reaped = true
            case .failure: reaped = true
            default: break
            }
            if reaped { break }
            Syscall.sleep(nanoseconds: 2_000_000)
        }
        if !reaped {
            _ = kill(pid, SIGKILL)
            _ = Syscall.run { waitpid(pid, &status, 0) }
        }
    }

    private func daemonExited() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if ended { return true }
        var status: Int32 = 0
        switch Syscall.run({ waitpid(pid, &status, WNOHANG) }) {
        case .success(let r) where r == pid: ended = true
        case .failure: ended = true
        default: break
        }
        return ended
    }

    /// The daemon's last lines, for an error message.
    func logTail() -> String {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n").suffix(3).joined(separator: " | ")
        return lines.isEmpty ? "it printed nothing (log: \(log))." : lines
    }
}
