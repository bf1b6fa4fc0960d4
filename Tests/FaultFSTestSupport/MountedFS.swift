#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemCalls
import SystemPackage
import Testing

/// Which program serves the mount.
public enum MountServer: Sendable, Equatable {
    /// The built `faultbench mount` (what the tests are for).
    case faultbench
    /// bindfs, to check the harness itself against a FUSE file system known
    /// to work; chosen with `FAULTBENCH_TEST_SERVER=bindfs`. Tests of the
    /// faultbench command line fail under it, by design.
    case bindfs

    /// `faultbench` unless `FAULTBENCH_TEST_SERVER=bindfs`.
    public static var selected: MountServer {
        if let value = getenv("FAULTBENCH_TEST_SERVER"), String(cString: value) == "bindfs" { return .bindfs }
        return .faultbench
    }
}

/// A running `faultbench mount BACKING MOUNTPOINT` daemon and its mount.
///
/// It is never left mounted: `unmount()` stops it with a signal and checks
/// that it exited 0 and the mount is gone; `cleanUp()` (called by
/// `unmount()`, by `withMount` on every path and by `deinit`) runs
/// `fusermount3 -u`, then `fusermount3 -u -z` if that failed, then kills the
/// daemon by pid and reaps it. The daemon is also started under
/// `setpriv --pdeathsig TERM`, so a test runner that dies takes its mounts
/// with it.
public final class MountedFS {
    /// The backing directory, as passed to the daemon.
    public let backing: String
    /// The mount point, as passed to the daemon.
    public let mountPoint: String
    /// The mount point as /proc/self/mountinfo spells it.
    public let canonicalMountPoint: String
    /// A directory for this test's own use (holds backing and mnt when
    /// `withMount` chose them), removed after the test.
    public let scratch: String
    public let process: ChildProcess
    public let server: MountServer
    private let logs: TemporaryDirectory
    private var finished = false
    /// Set when the test itself stopped the daemon (a signal through `send`,
    /// or an external unmount), so its ending is not a failure of the daemon.
    public var stoppedByTest = false

    private init(backing: String, mountPoint: String, canonicalMountPoint: String, scratch: String,
                 process: ChildProcess, server: MountServer, logs: TemporaryDirectory) {
        self.backing = backing
        self.mountPoint = mountPoint
        self.canonicalMountPoint = canonicalMountPoint
        self.scratch = scratch
        self.process = process
        self.server = server
        self.logs = logs
    }

    /// Starts the daemon and waits until the mount is live: listed in
    /// /proc/self/mountinfo and its root on a different device than the empty
    /// directory had.
    ///
    /// - Parameters:
    ///   - arguments: extra arguments after `mount BACKING MOUNTPOINT`.
    ///   - scratch: recorded as `scratch` for the test's use.
    ///   - timeout: seconds to wait for the mount.
    /// - Throws: if the daemon exits first or the mount does not appear in
    ///   time; the message has the daemon's stdout and stderr. Nothing is
    ///   left mounted or running then.
    public static func mount(
        backing: String, at mountPoint: String, arguments: [String] = [],
        environment: [String: String?] = [:], scratch: String? = nil, cwd: String? = nil,
        server: MountServer = .selected, timeout: Double = 10
    ) throws -> MountedFS {
        // Relative paths are the daemon's, resolved in its working directory.
        let here = mountPoint.hasPrefix("/") || cwd == nil ? mountPoint : cwd! + "/" + mountPoint
        let canonical = canonicalPath(here)
        guard case .success(let before) = FS.stat(here) else {
            throw SupportError("cannot mount at '\(mountPoint)': it does not exist.")
        }
        let command: [String]
        switch server {
        case .faultbench:
            command = [try FaultbenchBinary.path(), "mount", backing, mountPoint] + arguments
        case .bindfs:
            command = ["bindfs", "-f", "-o", "allow_other,default_permissions", backing, mountPoint] + arguments
        }
        let logs = try TemporaryDirectory("daemon-log")
        let process: ChildProcess
        do {
            process = try ChildProcess.spawn(
                "setpriv", ["--pdeathsig", "TERM", "--"] + command, cwd: cwd, environment: environment,
                stdout: logs.path("stdout"), stderr: logs.path("stderr"))
        } catch {
            try? logs.remove()
            throw error
        }
        let mounted = MountedFS(
            backing: backing, mountPoint: mountPoint, canonicalMountPoint: canonical,
            scratch: scratch ?? logs.path, process: process, server: server, logs: logs)

        let deadline = Clock.now + timeout
        while true {
            if let ended = process.poll() {
                let notes = mounted.cleanUp()
                throw SupportError(
                    "\(command.joined(separator: " ")) ended (\(ended)) before the mount appeared.\(format(notes))\n--- stdout\n\(mounted.stdoutBeforeCleanUp)--- stderr\n\(mounted.stderrBeforeCleanUp)")
            }
            if MountTable.entry(at: canonical) != nil {
                // stat in a child process: if the daemon hangs, the child is
                // killed at the deadline instead of this test hanging.
                let remaining = max(0.5, deadline - Clock.now)
                if let probe = try? Tool.run("stat", ["-c", "%d", canonical], timeout: remaining),
                   probe.succeeded, let device = UInt64(probe.stdout.trimmingWhitespace()),
                   device != UInt64(before.st_dev) {
                    return mounted
                }
            }
            if Clock.now > deadline {
                let out = mounted.stdoutBeforeCleanUp, err = mounted.stderrBeforeCleanUp
                let notes = mounted.cleanUp()
                throw SupportError(
                    "\(command.joined(separator: " ")) did not mount within \(timeout) s.\(format(notes))\n--- stdout\n\(out)--- stderr\n\(err)")
            }
            usleep(5_000)
        }
    }

    /// A path below the mount point (absolute).
    public func path(_ relative: String) -> String { canonicalMountPoint + "/" + relative }

    /// The same path below the backing directory.
    public func backingPath(_ relative: String) -> String { backing + "/" + relative }

    /// Whether the mount is still listed by the kernel.
    public var isMounted: Bool { MountTable.isMounted(canonicalMountPoint) }

    /// The mount's /proc/self/mountinfo entry.
    public var entry: MountEntry? { MountTable.entry(at: canonicalMountPoint) }

    /// What the daemon printed on stdout so far.
    public var stdout: String { (try? FS.readText(logs.path("stdout")).get()) ?? "" }
    /// What the daemon printed on stderr so far.
    public var stderr: String { (try? FS.readText(logs.path("stderr")).get()) ?? "" }
    private var stdoutBeforeCleanUp: String { stdout }
    private var stderrBeforeCleanUp: String { stderr }

    /// Sends a signal to the daemon (by pid) on the test's behalf; the daemon
    /// ending afterwards is then the test's doing, checked by the test.
    public func send(_ signal: Int32) {
        if signal != SIGCONT && signal != SIGSTOP { stoppedByTest = true }
        process.send(signal)
    }

    /// Ends the fixture after a test: `unmount()` while the daemon runs; if
    /// the test stopped it (`stoppedByTest`), only checks and cleans up.
    ///
    /// - Throws: if the daemon ended on its own during the test, did not
    ///   unmount cleanly, or a mount is left.
    public func finish() throws {
        guard !finished else { return }
        if stoppedByTest || process.poll() != nil {
            let ended = process.wait(timeout: 10)
            let err = stderr
            let leftMounted = isMounted
            let notes = cleanUp()
            var problems: [String] = []
            if !stoppedByTest { problems.append("the daemon ended on its own during the test (\(ended.map { "\($0)" } ?? "?"))") }
            if leftMounted { problems.append("'\(mountPoint)' was still mounted after the daemon ended") }
            if !problems.isEmpty {
                throw SupportError("\(problems.joined(separator: "; ")).\(Self.format(notes))\n--- stderr\n\(err)")
            }
            return
        }
        try unmount()
    }

    /// Stops the daemon with `signal` and checks that it exits 0 within
    /// `timeout` seconds and that the mount is gone.
    ///
    /// - Returns: how the daemon ended.
    /// - Throws: if it did not exit, exited otherwise, or left the mount;
    ///   it has been cleaned up regardless.
    @discardableResult
    public func unmount(signal: Int32 = SIGTERM, timeout: Double = 10) throws -> Termination? {
        guard !finished else { return process.termination }
        let out0 = stdout
        process.send(signal)
        let ended = process.wait(timeout: timeout)
        var problems: [String] = []
        if let ended {
            if ended != .exited(0) { problems.append("the daemon ended with \(ended) after signal \(signal), not exit code 0") }
        } else {
            problems.append("the daemon did not exit within \(timeout) s of signal \(signal)")
        }
        if isMounted { problems.append("'\(mountPoint)' is still mounted after the daemon stopped") }
        let err = stderr
        let out = stdout.isEmpty ? out0 : stdout
        let notes = cleanUp()
        if !problems.isEmpty {
            throw SupportError("unmounting '\(mountPoint)': \(problems.joined(separator: "; ")).\(Self.format(notes))\n--- stdout\n\(out)--- stderr\n\(err)")
        }
        return ended
    }

    /// Makes sure nothing is left: `fusermount3 -u`, then `-u -z` if still
    /// mounted, then `umount -l` as a last resort, then SIGTERM and SIGKILL to
    /// the daemon (by pid) and reaping it. Idempotent; never throws.
    ///
    /// - Returns: a line for each step it had to take (empty when the daemon
    ///   had already exited and unmounted).
    @discardableResult
    public func cleanUp() -> [String] {
        guard !finished else { return [] }
        finished = true
        var notes: [String] = []
        process.send(SIGCONT)  // a test may have stopped it
        let steps: [(String, [String])] = [
            ("fusermount3", ["-u", canonicalMountPoint]),
            ("fusermount3", ["-u", "-z", canonicalMountPoint]),
            ("umount", ["-l", canonicalMountPoint]),
        ]
        for (tool, arguments) in steps where isMounted {
            let result = try? Tool.run(tool, arguments, timeout: 10)
            notes.append("cleanup ran \(tool) \(arguments.joined(separator: " ")): \(result.map { "\($0.exit) \($0.stderr.trimmingWhitespace())" } ?? "could not run")")
        }
        if process.poll() == nil {
            process.send(SIGTERM)
            if process.wait(timeout: 5) == nil {
                process.killAndReap()
                notes.append("cleanup killed the daemon (pid \(process.pid)) with SIGKILL")
            } else {
                notes.append("cleanup stopped the daemon (pid \(process.pid)) with SIGTERM: \(process.termination!)")
            }
        }
        if isMounted { notes.append("'\(mountPoint)' IS STILL MOUNTED after cleanup") }
        try? logs.remove()
        return notes
    }

    deinit {
        let notes = cleanUp()
        // Only reached when a test dropped the fixture without finish().
        if !notes.isEmpty {
            Issue.record(Comment(rawValue: "a MountedFS was dropped without unmount(): \(notes.joined(separator: "; "))"))
        }
    }

    static func format(_ notes: [String]) -> String {
        notes.isEmpty ? "" : "\n" + notes.joined(separator: "\n")
    }
}

/// Mounts a fresh (or the given) backing directory, runs `body` with the
/// mount, and always unmounts, whether `body` returned, threw or failed an
/// expectation: `finish()` (SIGTERM, exit 0 and the mount gone are checked),
/// and `cleanUp()` behind it whatever happens.
///
/// Without arguments it makes a per-call temporary directory holding
/// `backing/` and `mnt/` (both 0755), available to `body` as `fs.scratch`,
/// and removes it afterwards.
///
/// - Throws: `body`'s error, or a `SupportError` if the mount did not come up
///   or did not unmount cleanly (exit 0, mount gone).
public func withMount<T>(
    backing: String? = nil, mountPoint: String? = nil, arguments: [String] = [],
    environment: [String: String?] = [:], server: MountServer = .selected,
    _ body: (MountedFS) throws -> T
) throws -> T {
    let scratch = try TemporaryDirectory("mount")
    let fs: MountedFS
    do {
        let backingPath = try backing ?? scratch.makeDirectory("backing")
        let mountPath = try mountPoint ?? scratch.makeDirectory("mnt")
        fs = try MountedFS.mount(
            backing: backingPath, at: mountPath, arguments: arguments, environment: environment,
            scratch: scratch.path, server: server)
    } catch {
        try? scratch.remove()
        throw error
    }
    let result: T
    do {
        result = try body(fs)
    } catch {
        // The body's error is the test's failure; an unclean unmount after
        // it is a second one, recorded rather than hidden.
        do { try fs.finish() } catch let unmountError { Issue.record(unmountError) }
        try? scratch.remove()
        throw error
    }
    do {
        try fs.finish()
    } catch {
        try? scratch.remove()
        throw error
    }
    try scratch.remove()
    return result
}
