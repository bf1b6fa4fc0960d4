#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Determinism
import Foundation
import Subprocess
import Synchronization
import SystemPackage

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
    ///
    /// An explicit `installHint` wins over the built-in one, and over the
    /// hint of an earlier, cached answer: the cache keeps where the tool is
    /// (or that it is missing), not how a caller wants it installed.
    public func locate(_ name: String, installHint: String? = nil) -> Result<FilePath, ToolProblem> {
        let hint = installHint ?? hints[name]
        if let cached = cache.withLock({ $0.locations[name] }) {
            if case .failure(.missing(let n, _, let notExecutable)) = cached {
                return .failure(.missing(name: n, installHint: hint, notExecutable: notExecutable))
            }
            return cached
        }
        let result = scan(name, installHint: hint)
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
            let run: ToolRunResult
            do throws(ToolGuardError) {
                run = try await execute(path, arguments: arguments, timeout: timeout, workingDirectory: nil, outputLimit: 64 << 10)
            } catch {
                // The version is near the start of even a long banner.
                guard case .outputLimitExceeded(_, let partial) = error.kind else { throw error }
                run = partial
            }
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
    /// A non-zero exit is a normal result; look at `status`. The tool runs in
    /// a session of its own (no controlling terminal); on timeout its whole
    /// process group gets SIGTERM, then SIGKILL after `killGrace` for whatever
    /// is left of it (even when the tool itself has exited), and the result
    /// has `timedOut` set and the output read until then. (A process blocked
    /// in uninterruptible I/O, such as a read from a hung network or FUSE
    /// filesystem, dies only when that I/O ends; it runs nothing more.) With a `deadline`
    /// (a planning budget's), the timeout is cut to the time left.
    ///
    /// - Throws: `ToolGuardError`: `.unavailable` when the tool is not on
    ///   PATH, `.launchFailed` when it could not be started, and
    ///   `.outputLimitExceeded` (with the run and the first `outputLimit`
    ///   bytes of each stream) when it wrote more than that.
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
            throw ToolGuardError(tool: name, kind: error.kind)
        }
    }

    private func execute(_ path: FilePath, arguments: [String], timeout: Duration, workingDirectory: FilePath?, outputLimit: Int, killGrace: Duration = .milliseconds(500)) async throws(ToolGuardError) -> ToolRunResult {
        var options = PlatformOptions()
        // Its own session (and process group), so that a timeout reaches what
        // the tool started too: killing only the direct child would leave a
        // shell's background jobs running and writing after the "timeout".
        options.createSession = true
        // Used by swift-subprocess only when the caller's task is cancelled;
        // a timeout is handled below, because this sequence stops as soon as
        // the group leader exits, before the SIGKILL step.
        options.teardownSequence = [
            .send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: killGrace),
            .send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .milliseconds(100)),
        ]
        let start = ContinuousClock.now
        let configuration = Configuration(executable: .path(path), arguments: Arguments(arguments),
                                          environment: .inherit, workingDirectory: workingDirectory, platformOptions: options)
        let standardOutput = BoundedOutput(limit: outputLimit)
        let standardError = BoundedOutput(limit: outputLimit)
        let run: ExecutionResult<Bool, SequenceOutput, SequenceOutput>
        do {
            run = try await Subprocess.run(configuration, input: .none, output: .sequence, error: .sequence) { execution in
                // The timeout is kept by a thread of its own, not by a task: busy
                // async threads (a caller that blocks them) must not delay the kill.
                let stopper = GroupStopper(group: execution.processIdentifier.value, grace: killGrace, timeout: timeout)
                await withTaskCancellationHandler {
                    await withTaskGroup(of: Void.self) { readers in
                        readers.addTask { await standardOutput.drain(execution.standardOutput) }
                        readers.addTask { await standardError.drain(execution.standardError) }
                    }
                } onCancel: {
                    stopper.stopNow()
                }
                return await stopper.settle()
            }
        } catch {
            throw ToolGuardError(tool: path.string, kind: .launchFailed("\(error)"))
        }
        let out = standardOutput.collected, err = standardError.collected
        let result = ToolRunResult(executable: path, arguments: arguments, status: run.terminationStatus, timedOut: run.closureResult,
                                   standardOutput: String(decoding: out.bytes, as: UTF8.self),
                                   standardError: String(decoding: err.bytes, as: UTF8.self),
                                   duration: ContinuousClock.now - start,
                                   outputTruncated: out.truncated || err.truncated)
        if result.outputTruncated { throw ToolGuardError(tool: path.string, kind: .outputLimitExceeded(limit: outputLimit, result)) }
        return result
    }

    /// Stops a timed-out tool's whole process group: SIGTERM, then SIGKILL once `grace` has passed, whoever is left.
    ///
    /// Sent to the group, not to the leader: the leader may exit on SIGTERM
    /// while a grandchild that ignores it goes on (swift-subprocess's own
    /// teardown stops at the leader's exit and never sends the SIGKILL). The
    /// group id cannot be handed to another process while any member is
    /// alive, so the signals reach only the tool's processes. Blocks the
    /// calling thread (at most `grace` and one second).
    static func stopProcessGroup(_ group: pid_t, grace: Duration) {
        // Never 0 (our own group) or 1 (every process we may signal).
        guard group > 1 else { return }
        _ = Posix.signalProcessGroup(group, SIGTERM)
        if waitUntilGone(group, within: grace) { return }
        _ = Posix.signalProcessGroup(group, SIGKILL)
        _ = waitUntilGone(group, within: .seconds(1))
    }

    /// Whether the process group has no live member within `limit`. A
    /// member that died but is not yet reaped (the leader, which
    /// swift-subprocess reaps in its own time) counts as gone: it runs
    /// nothing more. Counting it made every timeout wait out the grace and
    /// the second after SIGKILL in full.
    private static func waitUntilGone(_ group: pid_t, within limit: Duration) -> Bool {
        let end = ContinuousClock.now + limit
        while true {
            if !Posix.processGroupHasLiveMembers(group) { return true }
            if ContinuousClock.now >= end { return false }
            SystemClock().sleepBlocking(for: .milliseconds(10))
        }
    }
}

/// Keeps a tool run's timeout on a thread of its own and stops the tool's process group when it passes (or when the caller is cancelled).
///
/// `@unchecked Sendable`: every stored property is either immutable or
/// guarded by `condition`'s lock.
private final class GroupStopper: @unchecked Sendable {
    private enum Phase { case armed, stopping, stopped, disarmed }

    private let group: pid_t
    private let grace: Duration
    private let condition = NSCondition()
    private var phase = Phase.armed
    private var byTimer = false
    private var waiters: [CheckedContinuation<Bool, Never>] = []

    init(group: pid_t, grace: Duration, timeout: Duration) {
        self.group = group
        self.grace = grace
        let deadline = Date(timeIntervalSinceNow: timeout.seconds)
        Thread.detachNewThread { [self] in
            condition.lock()
            while phase == .armed, Date() < deadline { _ = condition.wait(until: deadline) }
            let fire = phase == .armed
            condition.unlock()
            if fire { stop(byTimer: true) }
        }
    }

    /// Stops the group now, on a thread of its own (for a cancelled caller).
    func stopNow() {
        Thread.detachNewThread { [self] in stop(byTimer: false) }
    }

    private func stop(byTimer: Bool) {
        // A tool that ended before its timeout did not time out, even if this
        // process was too busy to notice at once (its output is still being
        // read); what it left running in the background is not stopped, as
        // after any normal end.
        if byTimer, Posix.childHasEnded(group) { return }
        condition.lock()
        guard phase == .armed else { condition.unlock(); return }
        phase = .stopping
        self.byTimer = byTimer
        condition.unlock()
        ToolGuard.stopProcessGroup(group, grace: grace)
        condition.lock()
        phase = .stopped
        let resumed = waiters
        waiters = []
        condition.unlock()
        for w in resumed { w.resume(returning: byTimer) }
    }

    /// Once the tool's output has ended: disarms a stop that has not begun, or waits for one that has; returns whether the timeout fired.
    func settle() async -> Bool {
        await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            condition.lock()
            switch phase {
            case .armed:
                phase = .disarmed
                condition.signal()
                condition.unlock()
                c.resume(returning: false)
            case .stopping:
                waiters.append(c)
                condition.unlock()
            case .stopped, .disarmed:
                let fired = byTimer
                condition.unlock()
                c.resume(returning: fired)
            }
        }
    }
}

/// Keeps the first `limit` bytes of a stream and drains the rest, so a chatty tool neither blocks on a full pipe nor fills memory.
private final class BoundedOutput: Sendable {
    struct Collected {
        var bytes: [UInt8] = []
        var truncated = false
    }

    let limit: Int
    private let state = Mutex(Collected())

    init(limit: Int) { self.limit = max(0, limit) }

    var collected: Collected { state.withLock { $0 } }

    func drain(_ stream: SubprocessOutputSequence) async {
        // The stream ends (or throws) when the tool and everything holding the pipe are gone,
        // or when swift-subprocess stops reading after the tool exited.
        do {
            for try await buffer in stream {
                buffer.withUnsafeBytes { raw in
                    state.withLock { c in
                        let room = limit - c.bytes.count
                        if raw.count > room { c.truncated = true }
                        if room > 0 { c.bytes.append(contentsOf: raw.prefix(room)) }
                    }
                }
            }
        } catch {
            // What was read so far is kept; the run's status tells how it ended.
        }
    }
}
