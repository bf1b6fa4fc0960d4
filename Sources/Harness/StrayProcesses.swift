#if canImport(Glibc)
import Glibc
#endif
import ExecutorContract
import Foundation
import SystemCalls

/// Finds and ends what a trial left running after its executor ended: a
/// grandchild that left the process group (setsid, a daemonizing tool) and
/// so escaped the group kill.
///
/// The harness is the subreaper of its descendants, so such a process is
/// re-parented here. Each one carries its trial's id in its environment
/// (`FAULTBENCH_TRIAL`), which says whose it is. Spawns and sweeps hold one
/// lock, so a sweep never mistakes a just-spawned executor for a stray.
final class StrayProcesses: @unchecked Sendable {
    // @unchecked: `running` is only touched with `lock` held.
    private let lock = NSLock()
    private var running: Set<pid_t> = []
    /// Whether every other child of this process is the run's to reap: true
    /// for the command line, where the run owns the process; false where
    /// the run is embedded beside code that waits for children of its own.
    private let reapsOrphans: Bool

    init(reapsOrphans: Bool) { self.reapsOrphans = reapsOrphans }

    /// Runs `spawn` with the lock held and records the pid it returns as a
    /// running executor (0 or less: it failed to start).
    func spawn(_ spawn: () -> pid_t) -> pid_t {
        lock.lock()
        defer { lock.unlock() }
        let pid = spawn()
        if pid > 0 { running.insert(pid) }
        return pid
    }

    /// Marks a child the run itself owns (the mount's daemon): never a stray, never reaped here.
    func keep(_ pid: pid_t) {
        lock.lock()
        running.insert(pid)
        lock.unlock()
    }

    func unregister(_ pid: pid_t) {
        lock.lock()
        running.remove(pid)
        lock.unlock()
    }

    /// Kills (and reaps) every child of this process that belongs to a
    /// finished trial of this run by its environment, and, if the run owns
    /// the process, reaps the orphans that have ended.
    /// - Parameters:
    ///   - mountpoint: this run's mount point: a process is this run's only
    ///     if its `FAULTBENCH_ROOT` is a trial directory under it (another
    ///     run in the same process has trials with the same ids).
    ///   - finished: whether a trial id is done.
    /// - Returns: how many processes were killed.
    @discardableResult
    func sweep(mountpoint: String, finished: (String) -> Bool) -> Int {
        lock.lock()
        defer { lock.unlock() }
        var killed = 0
        for pid in Self.children() where !running.contains(pid) && pid > 1 {
            var status: Int32 = 0
            // Not an executor (those are all registered), so an orphan when
            // the run owns the process: reap it if it has ended (a zombie has
            // no environment left to say whose it was). Embedded, such a child
            // may be someone else's to wait for, and is left alone.
            if reapsOrphans, case .success(let r) = Syscall.run({ waitpid(pid, &status, WNOHANG) }), r == pid { continue }
            guard let (trial, root) = Self.trial(of: pid), root == mountpoint + "/" + trial else { continue }
            if finished(trial) {
                _ = kill(pid, SIGKILL)
                _ = Syscall.run { waitpid(pid, &status, 0) }
                killed += 1
            }
        }
        return killed
    }

    /// Ends every child of this process but the run's own (the daemon): at
    /// the end of a run that owns the process, any other child is an orphan
    /// a trial left, even one that cleared its environment and so could not
    /// be told apart while trials ran.
    /// - Returns: how many were ended.
    @discardableResult
    func endOrphans() -> Int {
        guard reapsOrphans else { return 0 }
        lock.lock()
        defer { lock.unlock() }
        var ended = 0
        for pid in Self.children() where !running.contains(pid) && pid > 1 {
            _ = kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = Syscall.run { waitpid(pid, &status, 0) }
            ended += 1
        }
        return ended
    }

    /// The pids whose parent is this process, from every thread's children list.
    static func children() -> [pid_t] {
        var pids: Set<pid_t> = []
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return [] }
        for thread in threads {
            guard let text = try? String(contentsOfFile: "/proc/self/task/\(thread)/children", encoding: .utf8) else { continue }
            for field in text.split(separator: " ") {
                if let pid = pid_t(field.trimmingCharacters(in: .whitespacesAndNewlines)) { pids.insert(pid) }
            }
        }
        return Array(pids)
    }

    /// The `FAULTBENCH_TRIAL` and `FAULTBENCH_ROOT` in a process's environment.
    static func trial(of pid: pid_t) -> (trial: String, root: String)? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return nil }
        let trialKey = Array((ExecutorEnvironment.trial + "=").utf8), rootKey = Array((ExecutorEnvironment.root + "=").utf8)
        var trial: String?, root: String?
        for entry in data.split(separator: 0) {
            if entry.starts(with: trialKey) { trial = String(decoding: entry.dropFirst(trialKey.count), as: UTF8.self) }
            if entry.starts(with: rootKey) { root = String(decoding: entry.dropFirst(rootKey.count), as: UTF8.self) }
        }
        guard let trial, let root else { return nil }
        return (trial, root)
    }
}
