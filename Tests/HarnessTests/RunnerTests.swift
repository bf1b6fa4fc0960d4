#if canImport(Glibc)
import Glibc
#endif
import Crypto
import ExecutorContract
import FaultEngine
import FaultFSTestSupport
import Foundation
import Harness
import Results
import Testing
import Yams

/// A small executor in Python whose behaviour is its first argument, so one
/// scenario can drive every outcome class through a real mount.
let scriptedExecutor = #"""
import json, os, subprocess, sys, time
mode = sys.argv[1]
task = json.load(sys.stdin)
path, data = task["path"], task["content"]["text"].encode()
def claim(status, error=None):
    print(json.dumps({"status": status, "produced": [path] if status == "success" else [], "attempts": 1, "error": error}))
    sys.exit(0)
if mode == "naive":          # ordinary code: truncate, write everything, report errors
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.close(fd)
    except OSError as e:
        claim("failure", str(e))
    claim("success")
if mode == "read-then-write":  # reads the file first (a stalled read hangs here), then writes it
    open(path).read()
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC); os.write(fd, data); os.close(fd)
    claim("success")
if mode == "halves":         # ordinary code writing in two calls
    try:
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
        half = len(data) // 2
        os.write(fd, data[:half]); os.write(fd, data[half:]); os.close(fd)
    except OSError as e:
        claim("failure", str(e))
    claim("success")
if mode in ("fsync", "slow"):   # write in place; then fsync it, or wait a while unsynced
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC); os.write(fd, data)
    if mode == "fsync": os.fsync(fd)
    else: time.sleep(0.05)
    os.close(fd)
    claim("success")
if mode == "atomic":         # temporary file, fsync, rename, fsync the directory
    tmp = path + ".tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd); os.close(fd)
        os.rename(tmp, path)
        d = os.open(".", os.O_RDONLY); os.fsync(d); os.close(d)
    except OSError as e:
        try: os.unlink(tmp)
        except OSError: pass
        claim("failure", str(e))
    claim("success")
if mode == "liar":           # claims success without writing anything
    claim("success")
if mode == "hang":
    time.sleep(100)
if mode == "crash":
    sys.exit(3)
if mode == "silent-exit":
    sys.exit(0)
if mode == "timed":          # logs when it ran, beside this script (outside the mount), and writes;
    # the run's first two trials (the first scenario's warm-ups) take 1 s, the others 0.3 s
    log = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), "times.log")
    start = time.monotonic(); time.sleep(1.0 if os.environ["FAULTBENCH_TRIAL"] in ("t000000", "t000001") else 0.3)
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC); os.write(fd, data); os.close(fd)
    with open(log, "a") as f: f.write("%s %f %f\n" % (os.environ["FAULTBENCH_TRIAL"], start, time.monotonic()))
    claim("success")
if mode == "stray-writer":   # leaves a process in a session of its own that keeps rewriting the file
    subprocess.Popen([sys.executable, "-c",
        "import os\ni = 0\nwhile True:\n    i += 1\n    fd = os.open('out.txt', os.O_WRONLY | os.O_TRUNC)\n    os.write(fd, b'%d\\n' % i)\n    os.close(fd)"],
        start_new_session=True)
    time.sleep(0.05)
    claim("success")
if mode == "claim-then-fail":  # does the work, claims success, then fails on the way out
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC); os.write(fd, data); os.close(fd)
    print(json.dumps({"status": "success", "produced": [path], "attempts": 1}))
    sys.exit(1)
if mode == "grandchild":     # leaves a process in a session of its own, then claims
    subprocess.Popen(["sleep", "1000"], start_new_session=True)
    claim("success")
if mode == "fresh":          # fails if anything but the setup is here, then leaves a marker
    extra = sorted(set(os.listdir(".")) - {"out.txt"})
    with open("marker", "w") as f: f.write("seen")
    if extra or open(path).read() != "old\n":
        claim("failure", "found %s from an earlier trial" % extra)
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC); os.write(fd, data); os.close(fd)
    claim("success")
if mode == "kill-mount":     # kills the filesystem under the run, as a crash of the daemon would
    root = os.environ["FAULTBENCH_ROOT"].rsplit("/", 2)[0]
    for pid in os.listdir("/proc"):
        try: cmd = open("/proc/%s/cmdline" % pid, "rb").read().split(b"\0")
        except OSError: continue
        if len(cmd) > 3 and cmd[1] == b"mount" and cmd[2].decode().startswith(root):
            os.kill(int(pid), 9)
    claim("success")
if mode == "ignore-term":    # a child that ignores SIGTERM, and a hang
    subprocess.Popen(["sh", "-c", "trap '' TERM; sleep 1000"])
    time.sleep(100)
"""#

/// A write-file scenario: `out.txt` holds "old\n" and is to hold `content`.
func writeScenario(id: String, content: String, rules: String?, timeout: Double = 5, trials: Int = 3) throws -> Scenario {
    var faults = Scenario.Faults()
    if let rules {
        let plan = try Plan.parse(yaml: "rules:\n" + rules, file: "test")
        let node = try #require(try Yams.compose(yaml: "rules:\n" + rules))
        faults = Scenario.Faults(rules: plan.rules, sources: (node.mapping?["rules"]?.sequence.map { Array($0) } ?? []).map(PlanValue.init))
    }
    return Scenario(
        id: id, title: id, description: "test", patterns: ["EXEC-004"],
        setup: Scenario.Setup(files: [Scenario.SetupFile(path: "out.txt", bytes: .text("old\n"))]),
        task: TaskSpec(.writeFile(TaskSpec.WriteFile(path: "out.txt", content: TaskSpec.Content(text: content)))),
        faults: faults,
        expect: Scenario.Expectation(
            correct: Scenario.State(files: [Scenario.FileCondition(path: "out.txt", checks: [.bytes(.text(content))])], absent: ["*.tmp"]),
            consistent: [Scenario.NamedState(name: "old content intact",
                                             state: Scenario.State(files: [Scenario.FileCondition(path: "out.txt", checks: [.unchanged])]))]),
        timeout: timeout, trials: trials, rerun: RerunPolicy(max: 1, recoveryCost: 60), thresholds: nil,
        file: "test.yaml", sha256: String(repeating: "0", count: 64))
}

extension Scenario {
    func with(id: String) -> Scenario {
        var copy = self
        copy.id = id
        return copy
    }
}

/// Runs `scenarios` with the scripted executor in `off` and `on` modes.
func runScripted(_ scenarios: [Scenario], off: String, on: String, in dir: TemporaryDirectory, jobs: Int = 2) throws -> RunOutcome {
    let script = dir.path("executor.py")
    try #require(FileManager.default.createFile(atPath: script, contents: Data(scriptedExecutor.utf8)))
    var config = RunConfiguration(
        scenarios: scenarios, seed: 7,
        executors: [.off: [Tool.python3, script, off], .on: [Tool.python3, script, on]],
        faultbenchBinary: try FaultbenchBinary.path(), resultsDirectory: dir.path("results"), say: { _ in })
    config.workDirectory = try dir.makeDirectory("work")
    config.jobs = jobs
    switch HarnessRun.execute(config) {
    case .success(let outcome): return outcome
    case .failure(let error): throw error
    }
}

/// The pids of live processes whose environment names a trial under `root`.
func processesOfTrials(under root: String) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(pid_t.init).filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
        return String(decoding: data, as: UTF8.self).contains("FAULTBENCH_ROOT=" + root)
    }
}

@Suite("Trial runner on a real mount", .serialized)
struct RunnerTests {
    @Test("a disk filling up mid-write: a naive writer corrupts, an atomic writer leaves the old content")
    func diskFullBothArms() throws {
        let dir = try TemporaryDirectory("runner")
        defer { try? dir.remove() }
        let scenario = try writeScenario(id: "t/disk-full", content: String(repeating: "n", count: 5000),
                                         rules: "  - {fault: disk-full, bytes: 1000}\n")
        let outcome = try runScripted([scenario], off: "naive", on: "atomic", in: dir)
        let result = outcome.result
        #expect(result.complete)
        let measured = result.trials.filter { !$0.warmup }
        #expect(measured.count == 6)
        #expect(result.trials.count == 8)
        for trial in measured where trial.arm == .off {
            #expect(trial.outcome == .corrupt, "\(trial.reason)")
            #expect(trial.faults.contains { $0.contains("disk-full") })
            #expect(trial.groundTruth.first { $0.path == "out.txt" }?.size == 1000)
        }
        for trial in measured where trial.arm == .on {
            #expect(trial.outcome == .detected, "\(trial.reason)")
        }
        // Every trial in a directory of its own, and no one saw another's state.
        #expect(Set(result.trials.map(\.id)).count == result.trials.count)
        #expect(FileManager.default.fileExists(atPath: outcome.resultPath))
        #expect(MountTable.fuseMounts(under: dir.path).isEmpty)
    }

    @Test("no fault: both arms succeed; a liar's claim is caught by the ground truth")
    func controlAndLiar() throws {
        let dir = try TemporaryDirectory("runner")
        defer { try? dir.remove() }
        let scenario = try writeScenario(id: "t/control", content: "new\n", rules: nil)
        let outcome = try runScripted([scenario], off: "liar", on: "naive", in: dir)
        for trial in outcome.result.trials where !trial.warmup {
            #expect(trial.outcome == (trial.arm == .off ? .silent : .success), "\(trial.reason)")
        }
    }

    @Test("hang, crash, no claim: classified, and nothing of the trial survives it")
    func misbehavingExecutors() throws {
        let dir = try TemporaryDirectory("runner")
        defer { try? dir.remove() }
        let hang = try writeScenario(id: "t/hang", content: "x", rules: nil, timeout: 0.5, trials: 2)
        let outcome = try runScripted([hang], off: "ignore-term", on: "grandchild", in: dir)
        for trial in outcome.result.trials {
            if trial.arm == .off {
                #expect(trial.outcome == .hang, "\(trial.reason)")
                #expect(trial.exit.timedOut)
            } else {
                #expect(trial.outcome == .silent, "\(trial.reason)")  // claimed success, wrote nothing
            }
        }
        #expect(processesOfTrials(under: dir.path).isEmpty)

        let dir2 = try TemporaryDirectory("runner")
        defer { try? dir2.remove() }
        let crash = try writeScenario(id: "t/crash", content: "x", rules: nil, trials: 2)
        let crashed = try runScripted([crash], off: "crash", on: "silent-exit", in: dir2)
        for trial in crashed.result.trials {
            #expect(trial.outcome == .crash, "\(trial.reason)")
        }
        #expect(crashed.result.trials.first { $0.arm == .off }?.exit.code == 3)

        // A claim of success over the correct state, then exit status 1: the
        // contract says a claim comes with status 0, so this is a crash.
        let dir3 = try TemporaryDirectory("runner")
        defer { try? dir3.remove() }
        let lying = try writeScenario(id: "t/claim-then-fail", content: "new\n", rules: nil, trials: 2)
        let failed = try runScripted([lying], off: "claim-then-fail", on: "naive", in: dir3)
        for trial in failed.result.trials where !trial.warmup {
            #expect(trial.outcome == (trial.arm == .off ? .crash : .success), "\(trial.reason)")
        }
        let offTrial = try #require(failed.result.trials.first { $0.arm == .off && !$0.warmup })
        #expect(offTrial.exit.code == 1)
        #expect(offTrial.reason.contains("exited with code 1"), "\(offTrial.reason)")
    }

    @Test("a scenario's measured trials start only once its warm-ups have ended; later scenarios do not wait for them")
    func warmupsFirst() throws {
        let dir = try TemporaryDirectory("runner")
        defer { try? dir.remove() }
        let scenarios = [try writeScenario(id: "t/a", content: "new\n", rules: nil, trials: 3),
                         try writeScenario(id: "t/b", content: "new\n", rules: nil, trials: 3)]
        let outcome = try runScripted(scenarios, off: "timed", on: "timed", in: dir, jobs: 4)
        let warmups = Set(outcome.result.trials.filter(\.warmup).map(\.id))
        #expect(warmups.count == 4)
        let scenarioOf = Dictionary(uniqueKeysWithValues: outcome.result.trials.map { ($0.id, $0.scenario) })
        let log = try String(contentsOfFile: dir.path("times.log"), encoding: .utf8)
        let runs = log.split(separator: "\n").map { $0.split(separator: " ") }
            .map { (id: String($0[0]), start: Double($0[1])!, end: Double($0[2])!) }
        #expect(runs.count == 16)
        for scenario in ["t/a", "t/b"] {
            let mine = runs.filter { scenarioOf[$0.id] == scenario }
            let warmEnd = try #require(mine.filter { warmups.contains($0.id) }.map(\.end).max())
            let firstMeasured = try #require(mine.filter { !warmups.contains($0.id) }.map(\.start).min())
            #expect(firstMeasured >= warmEnd, "\(scenario): a measured trial started \(warmEnd - firstMeasured) s before the warm-ups ended")
        }
        // The first scenario's warm-ups are slow; the jobs they leave free
        // start the second scenario meanwhile.
        let firstWarmEnd = try #require(runs.filter { scenarioOf[$0.id] == "t/a" && warmups.contains($0.id) }.map(\.end).max())
        let secondStart = try #require(runs.filter { scenarioOf[$0.id] == "t/b" }.map(\.start).min())
        #expect(secondStart < firstWarmEnd, "t/b waited for t/a's warm-ups")
    }

    @Test("a process the executor left writing is ended before the ground truth is read: the recorded state is the final one")
    func strayEndedBeforeTruth() throws {
        let dir = try TemporaryDirectory("runner")
        defer { try? dir.remove() }
        let scenario = try writeScenario(id: "t/stray", content: "new\n", rules: nil, trials: 3)
        let outcome = try runScripted([scenario], off: "stray-writer", on: "stray-writer", in: dir)
        #expect(processesOfTrials(under: dir.path).isEmpty)
        for trial in outcome.result.trials {
            let recorded = try #require(trial.groundTruth.first { $0.path == "out.txt" })
            let final = try #require(FileManager.default.contents(atPath: dir.path("work/backing/\(trial.id)/out.txt")))
            #expect(recorded.sha256 == SHA256.hash(data: final).map { String(format: "%02x", $0) }.joined(),
                    "\(trial.id): the file changed after the ground truth was read (now \(String(decoding: final, as: UTF8.self)))")
        }
    }

    @Test("no trial sees an earlier trial's files")
    func freshDirectories() throws {
        let dir = try TemporaryDirectory("runner")
        defer { try? dir.remove() }
        let scenario = try writeScenario(id: "t/fresh", content: "new\n", rules: "  - {fault: delay, ms: 1, ops: [write]}\n", trials: 15)
        let outcome = try runScripted([scenario], off: "fresh", on: "fresh", in: dir, jobs: 3)
        #expect(outcome.result.trials.count == 32)
        for trial in outcome.result.trials {
            #expect(trial.outcome == .success, "\(trial.id): \(trial.reason)")
        }
    }

    @Test("a filesystem that dies mid-run stops the run; no later trial is counted, nothing stays mounted")
    func deadMountStopsTheRun() throws {
        let dir = try TemporaryDirectory("runner")
        defer { try? dir.remove() }
        let scenario = try writeScenario(id: "t/dies", content: "new\n", rules: nil, trials: 10)
        let outcome = try runScripted([scenario], off: "kill-mount", on: "kill-mount", in: dir, jobs: 1)
        #expect(!outcome.result.complete)
        let reason = try #require(outcome.stoppedBecause)
        #expect(reason.contains("filesystem process ended"), "\(reason)")
        // The trial during which the mount died is not counted either.
        #expect(outcome.result.trials.isEmpty)
        #expect(MountTable.fuseMounts(under: dir.path).isEmpty)
    }

    @Test("a power loss in one trial never undoes another trial's writes")
    func powerLossRunsAlone() throws {
        let dir = try TemporaryDirectory("runner")
        defer { try? dir.remove() }
        let crash = try writeScenario(id: "t/crash", content: "new\n", rules: "  - {fault: power-loss}\n", trials: 6)
        let bystander = try writeScenario(id: "t/bystander", content: "new\n", rules: "  - {fault: delay, ms: 1, ops: [write]}\n", trials: 12)
        let outcome = try runScripted([bystander, crash, bystander.with(id: "t/bystander-2")], off: "fsync", on: "slow", in: dir, jobs: 4)
        // The on arm's slow writer never fsyncs: only another trial's power loss could undo its write.
        for trial in outcome.result.trials where trial.arm == .on {
            #expect(trial.outcome == .success, "\(trial.scenario) \(trial.id): \(trial.reason)")
        }
        #expect(outcome.result.trials.contains { $0.scenario == "t/crash" && $0.arm == .off && $0.exit.killedByFault })
    }

    @Test("trials stuck in long delays do not stall the mount for the trials beside them")
    func stalledReadsDoNotStallOthers() throws {
        let dir = try TemporaryDirectory("runner")
        defer { try? dir.remove() }
        let stalled = try writeScenario(id: "t/stalled", content: "new\n", rules: "  - {fault: delay, ops: [read], ms: 60000}\n",
                                        timeout: 0.5, trials: 4)
        let bystander = try writeScenario(id: "t/bystander", content: "new\n", rules: nil, trials: 8)
        let begin = Date()
        let outcome = try runScripted([stalled, bystander], off: "read-then-write", on: "read-then-write", in: dir, jobs: 4)
        for trial in outcome.result.trials {
            #expect(trial.outcome == (trial.scenario == "t/stalled" ? .hang : .success), "\(trial.id) \(trial.scenario): \(trial.reason)")
            if trial.outcome == .hang { #expect(trial.seconds == 0.5) }
        }
        // Ten stalled trials of 0.5 s on four jobs, and quick ones: far below one 60 s delay.
        #expect(Date().timeIntervalSince(begin) < 30)
    }

    @Test("arm after-calls: the fault starts after the task's first calls of its operation")
    func armAfterCalls() throws {
        let dir = try TemporaryDirectory("runner")
        defer { try? dir.remove() }
        var scenario = try writeScenario(id: "t/after-calls", content: String(repeating: "z", count: 4000),
                                         rules: "  - {fault: errno, errno: EIO, ops: [write]}\n", trials: 2)
        scenario.faults.arm = .afterCalls(1)
        let outcome = try runScripted([scenario], off: "halves", on: "halves", in: dir)
        for trial in outcome.result.trials {
            // The first write got through, the second failed: half the file is there.
            #expect(trial.outcome == .corrupt, "\(trial.reason)")
            #expect(trial.groundTruth.first { $0.path == "out.txt" }?.size == 2000, "\(trial.groundTruth)")
            #expect(trial.faults.count == 1)
        }
    }

    @Test("the same seed gives the same trial order")
    func seededOrder() throws {
        let scenarios = try [writeScenario(id: "a", content: "x", rules: nil, trials: 10),
                             writeScenario(id: "b", content: "y", rules: nil, trials: 10)]
        let first = TrialPlan.make(scenarios: scenarios, trialsPerArm: nil, warmup: 1, seed: 42)
        let again = TrialPlan.make(scenarios: scenarios, trialsPerArm: nil, warmup: 1, seed: 42)
        let other = TrialPlan.make(scenarios: scenarios, trialsPerArm: nil, warmup: 1, seed: 43)
        #expect(first == again)
        #expect(first != other)
        #expect(first.count == 44)
        // Warm-ups first in each scenario, then both arms interleaved.
        #expect(first.prefix(2).allSatisfy { $0.warmup })
        let arms = first[2..<22].map(\.arm)
        #expect(arms.filter { $0 == .off }.count == 10)
        #expect(arms != Array(repeating: .off, count: 10) + Array(repeating: .on, count: 10))
    }
}

@Suite("Runner speed probe", .serialized)
struct RunnerSpeedProbe {
    /// Not a speed test: it prints the harness's own overhead per trial so a
    /// developer can see it, and checks only that it was measured.
    @Test("the harness's overhead per trial is recorded")
    func overheadIsMeasured() throws {
        let dir = try TemporaryDirectory("runner")
        defer { try? dir.remove() }
        let scenario = try writeScenario(id: "t/speed", content: "x", rules: "  - {fault: delay, ms: 0.1, ops: [write]}\n", trials: Int(ProcessInfo.processInfo.environment["FAULTBENCH_PROBE_TRIALS"] ?? "20")!)
        var config = RunConfiguration(
            scenarios: [scenario], seed: 1,
            executors: [.off: ["/bin/sh", "-c", "cat >/dev/null; echo '{\"status\":\"failure\"}'"],
                        .on: ["/bin/sh", "-c", "cat >/dev/null; echo '{\"status\":\"failure\"}'"]],
            faultbenchBinary: try FaultbenchBinary.path(), resultsDirectory: dir.path("results"), say: { _ in })
        config.workDirectory = try dir.makeDirectory("work")
        config.jobs = 2
        let outcome = try { switch HarnessRun.execute(config) { case .success(let o): return o; case .failure(let e): throw e } }()
        let timing = try #require(outcome.result.timing)
        print("probe: \(outcome.result.trials.count) trials, \(timing.trialsPerSecond) trials/s, overhead median \(timing.overheadMedian * 1000) ms, p90 \(timing.overheadP90 * 1000) ms; executor median \(outcome.result.trials.map(\.seconds).sorted()[outcome.result.trials.count / 2] * 1000) ms")
        #expect(timing.overheadMedian > 0)
        #expect(outcome.result.trials.allSatisfy { $0.outcome == .detected })
    }
}
