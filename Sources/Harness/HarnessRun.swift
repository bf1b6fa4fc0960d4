#if canImport(Glibc)
import Glibc
#endif
import ExecutorContract
import FaultEngine
import Figures
import Foundation
import Results
import SystemCalls

/// What `faultbench run` was asked to do.
public struct RunConfiguration: Sendable {
    public var scenarios: [Scenario]
    public var seed: UInt64
    /// Trials per arm for every scenario; nil keeps each scenario's own count.
    public var trialsPerArm: Int?
    public var warmup: Int = 1
    /// Concurrent trials; nil picks from the suite (see `defaultJobs`).
    public var jobs: Int?
    /// The command of each arm.
    public var executors: [Arm: [String]]
    /// The `faultbench` binary that serves the mount.
    public var faultbenchBinary: String
    public var resultsDirectory: String
    /// Where the backing directory, mount point and socket go; a new temporary directory when nil.
    public var workDirectory: String?
    public var scenarioGlob: String?
    /// The slice of the plan to run (`--shard i/n`); nil for all of it.
    public var shard: Shard?
    /// A journal to continue (`--resume`).
    public var resume: String?
    public var failureMix: FailureMix = .seed
    /// Whether the run owns this process's children: then it reaps every
    /// orphan a trial leaves (the command line). Leave it false when the run
    /// is embedded beside code that waits for children of its own.
    public var ownsProcess = false
    /// Receives the plain progress lines and notices.
    public var say: @Sendable (String) -> Void

    public init(scenarios: [Scenario], seed: UInt64, executors: [Arm: [String]], faultbenchBinary: String,
                resultsDirectory: String, say: @escaping @Sendable (String) -> Void) {
        self.scenarios = scenarios
        self.seed = seed
        self.executors = executors
        self.faultbenchBinary = faultbenchBinary
        self.resultsDirectory = resultsDirectory
        self.say = say
    }

    /// The machine's cores.
    static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Twice the core count when some scenarios wait on injected delays,
    /// the core count otherwise. A delayed trial waits for milliseconds to
    /// seconds where an ordinary one works for a few milliseconds, so the
    /// waiting ones take most of such a run's time, and a waiting trial
    /// leaves its core idle. By default the trials that do not wait still
    /// run at most one per core (see `RunConfiguration.waits`), so their
    /// times are not measured on an oversubscribed machine.
    public static func defaultJobs(for scenarios: [Scenario]) -> Int {
        scenarios.contains(where: waits) ? cores * 2 : cores
    }

    /// Whether a scenario's trials mostly wait: it injects delays.
    static func waits(_ scenario: Scenario) -> Bool {
        scenario.faults.rules.contains { if case .delay = $0.fault { true } else { false } }
    }
}

/// The end of a run.
public struct RunOutcome: Sendable {
    public var result: RunResult
    public var resultPath: String
    public var journalPath: String
    /// Why the run stopped early, if it did (Ctrl-C, a dead mount).
    public var stoppedBecause: String?
}

/// Runs a suite of scenarios against both arms on one mount and writes the results document.
public enum HarnessRun {
    public static func execute(_ configuration: RunConfiguration) -> Result<RunOutcome, HarnessError> {
        var config = configuration
        guard !config.scenarios.isEmpty else {
            return .failure(HarnessError("no scenario to run; check --scenarios and --scenario."))
        }
        for arm in Arm.allCases {
            guard let program = config.executors[arm]?.first else {
                return .failure(HarnessError("no executor command for the \(arm.rawValue) arm."))
            }
            guard Self.findExecutable(program) else {
                return .failure(HarnessError("the \(arm.rawValue) executor '\(program)' is not an executable file or a command on PATH; check --executor."))
            }
        }
        let warmup = config.warmup
        var records = config.scenarios.map { scenarioRecord($0, trials: config.trialsPerArm) }

        // Resume: the journal fixes the run; the scenarios must be the same files.
        var resumed: (Journal, Journal.Header, [TrialRecord])?
        if let path = config.resume {
            switch Journal.resume(at: path) {
            case .failure(let error): return .failure(error)
            case .success(let value): resumed = value
            }
            let header = resumed!.1
            guard header.scenarios.map(\.id) == records.map(\.id), header.scenarios.map(\.sha256) == records.map(\.sha256) else {
                return .failure(HarnessError("the scenarios differ from the ones run \(header.runID) started with; resume with the same scenario files and --scenario."))
            }
            let executors = Dictionary(uniqueKeysWithValues: config.executors.map { ($0.key.rawValue, $0.value) })
            guard header.options.executors == executors else {
                return .failure(HarnessError("run \(header.runID) ran other executors (\(header.options.executors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.joined(separator: " "))" }.joined(separator: ", "))); resume with the same --executor."))
            }
            config.seed = header.seed
            config.trialsPerArm = header.options.trials
            config.shard = header.options.shard
        }
        // A resumed run plans what its journal says, whatever this command's --trials.
        records = config.scenarios.map { scenarioRecord($0, trials: config.trialsPerArm) }
        let seed = config.seed
        let trialsPerArm = config.trialsPerArm
        // The whole run's plan, then this shard's slice of it: trial indices
        // and fault seeds stay those of the whole run, so shards merge back.
        let plan = TrialPlan.slice(
            TrialPlan.make(scenarios: config.scenarios, trialsPerArm: trialsPerArm, warmup: warmup, seed: seed),
            shard: config.shard)
        let jobs = max(1, config.jobs ?? RunConfiguration.defaultJobs(for: config.scenarios))

        // The work directory: backing, mount point, socket, the daemon's log.
        let work: String
        if let given = config.workDirectory {
            work = given
        } else {
            var template = Array((NSTemporaryDirectory() + "/faultbench-run-XXXXXX").utf8CString)
            guard case .success = Syscall.pointer({ mkdtemp(&template) }) else {
                return .failure(HarnessError("cannot create a temporary directory for the mount."))
            }
            work = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        let backing = work + "/backing", mountpoint = work + "/mnt"
        for directory in [backing, mountpoint, config.resultsDirectory] {
            if case .failure(let e) = Syscall.run({ mkdir(directory, 0o755) }), e != .fileExists {
                return .failure(HarnessError("cannot create '\(directory)': \(e)."))
            }
        }
        defer { if config.workDirectory == nil { try? FileManager.default.removeItem(atPath: work) } }

        // Signals: SIGPIPE ignored (an executor may close its stdin early);
        // SIGINT, SIGTERM and SIGHUP blocked in every thread and taken by one
        // waiting thread, which asks the run to stop after the trials in flight.
        signal(SIGPIPE, SIG_IGN)
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        for s in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&stopSignals, s) }
        var previousMask = sigset_t()
        pthread_sigmask(SIG_BLOCK, &stopSignals, &previousMask)
        defer { pthread_sigmask(SIG_SETMASK, &previousMask, nil) }
        _ = ProcessControl.becomeSubreaper()

        let mount: RunMount
        switch RunMount.start(binary: config.faultbenchBinary, backing: backing, mountpoint: mountpoint, workDirectory: work, seed: seed, jobs: jobs) {
        case .failure(let error): return .failure(error)
        case .success(let value): mount = value
        }
        defer { mount.stop() }

        let startedAt = resumed?.1.startedAt ?? ISO8601DateFormatter().string(from: Date())
        let runID = resumed?.1.runID ?? Self.runID(seed: seed, shard: config.shard)
        let options = RunOptions(
            trials: trialsPerArm, jobs: jobs, scenarioGlob: config.scenarioGlob,
            executors: Dictionary(uniqueKeysWithValues: config.executors.map { ($0.key.rawValue, $0.value) }), warmup: warmup,
            shard: config.shard)
        let environment = resumed?.1.environment ?? EnvironmentProbe.probe(mountArguments: mount.arguments, backing: backing)
        let journal: Journal
        var done: [TrialRecord] = []
        if let resumed {
            journal = resumed.0
            done = resumed.2
        } else {
            let header = Journal.Header(runID: runID, startedAt: startedAt, seed: seed, options: options,
                                        environment: environment, scenarios: records, failureMix: config.failureMix)
            switch Journal.create(at: config.resultsDirectory + "/" + runID + ".journal.jsonl", header: header) {
            case .failure(let error): return .failure(error)
            case .success(let value): journal = value
            }
        }
        defer { journal.close() }

        // A resumed run continues in directories no earlier trial used.
        let doneIndices = Set(done.map(\.index))
        let todo = plan.filter { !doneIndices.contains($0.index) }
        var inherited = ProcessInfo.processInfo.environment
        inherited.removeValue(forKey: ExecutorEnvironment.trial)
        let strays = StrayProcesses(reapsOrphans: config.ownsProcess)
        strays.keep(mount.pid)
        // An executor dies with the harness thread that started it, even if
        // the harness is SIGKILLed: setpriv (util-linux) sets the parent-death
        // signal and then becomes the executor. posix_spawn cannot set it.
        let setpriv = "/usr/bin/setpriv"
        let tied = access(setpriv, X_OK) == 0
        let executors = config.executors.mapValues { tied ? [setpriv, "--pdeathsig", "KILL", "--"] + $0 : $0 }
        let runner = TrialRunner(mount: mount, traces: TraceRouter(mount: mount), strays: strays,
                                 executors: executors, environment: inherited)
        let progress = Progress(plan: plan, scenarios: config.scenarios, alreadyDone: done.count, output: config.say)
        let state = RunState(todo: todo)
        let signalWatcher = SignalWatcher(signals: stopSignals, state: state)
        signalWatcher.start()
        defer { signalWatcher.stop() }

        let begin = Monotonic.now
        let scenarios = config.scenarios
        let gate = TrialGate()
        // With the default --jobs, trials that do not wait on delays take a
        // core slot, so at most one per core runs at a time; the waiting
        // trials use the jobs above that. An explicit --jobs is taken as it is.
        let slots = DispatchSemaphore(value: config.jobs == nil ? min(jobs, RunConfiguration.cores) : jobs)
        let workers = min(jobs, max(1, todo.count))
        let finished = DispatchSemaphore(value: 0)
        for _ in 0..<workers {
            Thread.detachNewThread {
                while let trial = state.next() {
                    let scenario = scenarios[trial.scenario]
                    let needsCore = !RunConfiguration.waits(scenario)
                    if needsCore { slots.wait() }
                    let result = gate.run(alone: scenario.needsMountAlone) { runner.run(trial, of: scenario) }
                    if needsCore { slots.signal() }
                    state.finish(trial)
                    runner.strays.sweep(mountpoint: mountpoint) { state.isFinished($0) }
                    switch result.flatMap({ record in mount.checkAlive().map { record } }) {
                    case .failure(let error):
                        // Nothing from this trial on is counted: the filesystem under it is gone or not answering.
                        // The mount's own state says more than the request that noticed.
                        let cause: String
                        if case .failure(let health) = mount.checkAlive() { cause = health.description } else { cause = error.description }
                        state.stop(failed: true, because: "trial \(trial.id) of \(scenarios[trial.scenario].id) (\(trial.arm.rawValue)): \(cause)")
                    case .success(let record):
                        guard state.accept(record) else { continue }
                        journal.record(record)
                        progress.finished(record)
                    }
                }
                finished.signal()
            }
        }
        for _ in 0..<workers { finished.wait() }
        let wall = Monotonic.now - begin
        progress.end()
        runner.strays.sweep(mountpoint: mountpoint) { _ in true }
        runner.strays.endOrphans()

        let trials = (done + state.accepted).sorted { $0.index < $1.index }
        let complete = state.stopReason == nil && trials.count == plan.count
        let new = state.accepted.filter { !$0.warmup }
        let overheads = new.map(\.overhead).sorted()
        // The speed of this session's trials (a resumed run's earlier
        // sessions are in their own journal lines, not timed here); none
        // when this session ran none.
        let timing = state.accepted.isEmpty ? nil : RunTiming(
            wallSeconds: wall, trialsPerSecond: wall > 0 ? Double(state.accepted.count) / wall : 0,
            overheadMedian: Self.quantile(overheads, 0.5), overheadP90: Self.quantile(overheads, 0.9))
        var result = RunResult(
            runID: runID, complete: complete, startedAt: startedAt,
            finishedAt: ISO8601DateFormatter().string(from: Date()), seed: seed, options: options,
            environment: environment, scenarios: records, trials: trials, failureMix: resumed?.1.failureMix ?? config.failureMix,
            timing: timing, figures: nil)
        result.figures = Figures.compute(result)
        let path = config.resultsDirectory + "/" + runID + ".json"
        if case .failure(let error) = ResultFile.write(result, to: path) { return .failure(error) }
        return .success(RunOutcome(result: result, resultPath: path, journalPath: journal.path, stoppedBecause: state.stopReason))
    }

    /// Whether `program` names an executable: a path, or a name found on PATH.
    static func findExecutable(_ program: String) -> Bool {
        if program.contains("/") { return access(program, X_OK) == 0 }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { access("\($0)/\(program)", X_OK) == 0 }
    }

    static func runID(seed: UInt64, shard: Shard?) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        // Shards of one run may start in the same second in one results directory.
        let suffix = shard.map { "-shard\($0.number)of\($0.count)" } ?? ""
        return formatter.string(from: Date()) + "-s\(seed)" + suffix
    }

    static func scenarioRecord(_ scenario: Scenario, trials: Int?) -> ScenarioRecord {
        ScenarioRecord(id: scenario.id, title: scenario.title, description: scenario.description,
                       patterns: scenario.patterns, file: scenario.file, sha256: scenario.sha256,
                       control: scenario.isControl, timeout: scenario.timeout, rerun: scenario.rerun,
                       thresholds: scenario.thresholds, plannedTrials: trials ?? scenario.trials ?? TrialPlan.defaultTrials)
    }

    /// A quantile by linear interpolation between order statistics (R's type 7); 0 for no values.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down)), high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
    }
}

/// The shared state of a run's workers.
final class RunState: @unchecked Sendable {
    // @unchecked: every var is only touched with `lock` held.
    private let lock = NSCondition()
    /// The trials not yet handed out, in the run's order.
    private var pending: [PlannedTrial]
    private var finished: Set<String> = []
    /// Per scenario, its warm-ups not yet finished. A measured trial waits
    /// for its scenario's warm-ups: run beside them on another job, it
    /// would meet the cold caches they are there to warm.
    private var warmupsLeft: [Int: Int] = [:]
    private(set) var accepted: [TrialRecord] = []
    private var reason: String?
    /// Whether trials still running may be kept: yes after Ctrl-C, no after
    /// the filesystem failed under them.
    private var keepInFlight = true

    init(todo: [PlannedTrial]) {
        pending = todo
        for trial in todo where trial.warmup { warmupsLeft[trial.scenario, default: 0] += 1 }
    }

    /// The next trial to run, or nil when all are taken or the run stops:
    /// the first in the run's order that may start. A measured trial may
    /// not while its scenario has a warm-up running; the trials behind it
    /// may (the next scenario's warm-ups, say), so a slow warm-up holds up
    /// its own scenario only. Each scenario's trials still start in their
    /// order. Waits when every trial left is held up.
    func next() -> PlannedTrial? {
        lock.lock()
        defer { lock.unlock() }
        while reason == nil, !pending.isEmpty {
            if let ready = pending.firstIndex(where: { $0.warmup || warmupsLeft[$0.scenario, default: 0] == 0 }) {
                return pending.remove(at: ready)
            }
            lock.wait()
        }
        return nil
    }

    func finish(_ trial: PlannedTrial) {
        lock.lock()
        finished.insert(trial.id)
        if trial.warmup { warmupsLeft[trial.scenario, default: 1] -= 1 }
        lock.broadcast()
        lock.unlock()
    }

    func isFinished(_ id: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return finished.contains(id)
    }

    /// Keeps a trial's record unless the run has already stopped: after a
    /// failure of the filesystem, no later verdict can be trusted.
    func accept(_ record: TrialRecord) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard keepInFlight else { return false }
        accepted.append(record)
        return true
    }

    /// Stops handing out trials. `failed`: the filesystem failed, so not
    /// even the trials in flight are kept.
    func stop(failed: Bool, because text: String) {
        lock.lock()
        if reason == nil || failed { reason = text }
        if failed { keepInFlight = false }
        lock.broadcast()
        lock.unlock()
    }

    var stopReason: String? {
        lock.lock()
        defer { lock.unlock() }
        return reason
    }
}

/// Waits for the stop signals the run blocked, and turns the first into a
/// request to stop after the trials in flight.
final class SignalWatcher: @unchecked Sendable {
    // @unchecked: `running` is an atomic flag read by the watcher thread.
    private let signals: sigset_t
    private let state: RunState
    private let lock = NSLock()
    private var running = true
    private let ended = DispatchSemaphore(value: 0)

    init(signals: sigset_t, state: RunState) {
        self.signals = signals
        self.state = state
    }

    func start() {
        Thread.detachNewThread { [self] in
            var set = signals
            var timeout = timespec(tv_sec: 0, tv_nsec: 100_000_000)
            while isRunning {
                let signal = sigtimedwait(&set, nil, &timeout)
                if signal > 0 {
                    state.stop(failed: false, because: "stopped by signal \(signal); the trials finished so far are kept, and --resume continues the run.")
                }
            }
            ended.signal()
        }
    }

    private var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    func stop() {
        lock.lock()
        running = false
        lock.unlock()
        ended.wait()
    }
}
