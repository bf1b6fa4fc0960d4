#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A faultbench mount with `--control`, run in its own PID and mount
/// namespace (`unshare --pid --fork --mount-proc --kill-child`), beside a
/// sentinel process that nobody names.
///
/// Tests that send requests able to signal processes use it: if the daemon
/// ever signals a group (kill(-1), kill(0)) it can reach only the namespace,
/// and the sentinel shows that it did. The mount lives in the namespace's
/// own mount table, so it vanishes with the namespace whatever happens; the
/// test reaches its files through `/proc/<daemon>/root`.
public final class NamespacedMount {
    public let directory: TemporaryDirectory
    public let control: FaultControlClient
    /// The mount point's path, as the namespace sees it.
    public let mountPoint: String
    public let backing: String
    /// The `unshare` process (in this namespace).
    public let process: ChildProcess
    /// The daemon's and the sentinel's pids, as this namespace sees them.
    public private(set) var daemonPID: pid_t = 0
    public private(set) var sentinelPID: pid_t = 0

    public init(_ label: String, setup: (String) throws -> Void = { _ in }) throws {
        directory = try TemporaryDirectory(label)
        backing = try directory.makeDirectory("backing")
        mountPoint = try directory.makeDirectory("mnt")
        try setup(backing)
        let socket = directory.path("ctl.sock")
        control = FaultControlClient(socketPath: socket)
        // The sentinel is started first, so it is pid 2 and the daemon,
        // exec'd by the shell, is pid 1 of the namespace.
        let script = #"sleep 600 & exec "$0" mount "$1" "$2" --control "$3""#
        process = try ChildProcess.spawn("/usr/bin/unshare",
                                         ["--pid", "--fork", "--mount-proc", "--kill-child", "sh", "-c", script,
                                          try FaultbenchBinary.path(), backing, mountPoint, socket],
                                         stdout: directory.path("daemon.out"), stderr: directory.path("daemon.err"))
        let deadline = Clock.now + 15
        while Clock.now < deadline {
            if process.poll() != nil { break }
            if let reply = try? control.send(.ping), reply.ok,
               let daemon = NamespacedMount.children(of: process.pid).first,
               let sentinel = NamespacedMount.children(of: daemon).first(where: { NamespacedMount.name(of: $0) == "sleep" }),
               isMounted(daemon) {
                daemonPID = daemon
                sentinelPID = sentinel
                return
            }
            Clock.sleep(0.02)
        }
        let err = (try? String(contentsOfFile: directory.path("daemon.err"), encoding: .utf8)) ?? ""
        process.killAndReap()
        try? directory.remove()
        throw SupportError("the namespaced mount did not come up (\(process.termination.map { "\($0)" } ?? "running")): \(err)")
    }

    /// Ends the namespace: SIGKILL to unshare reaches the daemon through
    /// --kill-child, and the kernel then kills the sentinel and drops the
    /// namespace's mounts.
    public func close() {
        process.killAndReap()
        let deadline = Clock.now + 10
        // Gone, or a zombie left for init to reap: either way it serves no more.
        while Clock.now < deadline, let state = NamespacedMount.state(of: daemonPID), state != "Z" { Clock.sleep(0.02) }
        try? directory.remove()
    }

    deinit { process.killAndReap() }

    /// A path inside the mount, reached through the daemon's root.
    public func path(_ relative: String) -> String {
        "/proc/\(daemonPID)/root\(mountPoint)/\(relative)"
    }

    /// What is wrong with the daemon, its mount or the sentinel, or nil if
    /// all is well: both processes run (not stopped, not zombies), the mount
    /// is in the namespace's table, and `ping` answers ok.
    public func problem() -> String? {
        if let ended = process.poll() { return "the namespace ended: \(ended); daemon stderr: \(stderrText())" }
        guard let daemon = NamespacedMount.state(of: daemonPID), daemon == "S" || daemon == "R" || daemon == "D" else {
            return "the daemon is \(NamespacedMount.state(of: daemonPID) ?? "gone")"
        }
        guard let sentinel = NamespacedMount.state(of: sentinelPID), sentinel == "S" || sentinel == "R" else {
            return "the sentinel process nobody named is \(NamespacedMount.state(of: sentinelPID) ?? "gone"): it was signalled"
        }
        guard isMounted(daemonPID) else { return "the mount is gone from the namespace's mount table" }
        do {
            let reply = try control.send(.ping)
            if !reply.ok { return "ping answered \(reply.line)" }
        } catch {
            return "ping failed: \(error)"
        }
        return nil
    }

    public func stderrText() -> String {
        (try? String(contentsOfFile: directory.path("daemon.err"), encoding: .utf8)) ?? ""
    }

    private func isMounted(_ pid: pid_t) -> Bool {
        guard let table = try? String(contentsOfFile: "/proc/\(pid)/mounts", encoding: .utf8) else { return false }
        return table.split(separator: "\n").contains { $0.contains(" \(mountPoint) fuse.faultbench ") }
    }

    /// The state letter of /proc/PID/stat (R, S, D, T, Z, ...), or nil if there is no such process.
    public static func state(of pid: pid_t) -> String? {
        guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ").first.map(String.init)
    }

    static func name(of pid: pid_t) -> String? {
        (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The children of `pid`, from every process's parent in /proc (this
    /// kernel has no /proc/PID/task/TID/children).
    static func children(of parent: pid_t) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == parent ? pid : nil
        }.sorted()
    }
}
