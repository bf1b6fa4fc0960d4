import ExecutorContract
import Figures
import Foundation
import Results

/// A hand-built run whose every figure is known: a fault scenario the
/// patterns fix, one where the fault did not bite, a control, and a
/// scenario whose text, claims and traces carry markup that must never
/// run or break a report.
enum ReportFixture {
    /// Markup an executor could print as its claim's error.
    static let hostile = "</script><script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">|*_`[x](y)&amp;\u{1}\u{2028}"

    static func trial(_ index: Int, _ scenario: String, _ arm: Arm, _ number: Int, _ outcome: Outcome, seconds: Double,
                      warmup: Bool = false, error: String? = nil, faults: [String] = []) -> TrialRecord {
        let claim = outcome == .crash ? nil
            : Claim(status: outcome == .success || outcome == .silent ? .success : .failure,
                    produced: ["out/data.json"], attempts: arm == .on ? 2 : 1, error: error)
        return TrialRecord(
            index: index, id: String(format: "t%06d", index), scenario: scenario, arm: arm, number: number, warmup: warmup,
            outcome: outcome, reason: "the oracle's reason for \(outcome.rawValue)", claim: claim,
            rawClaim: outcome == .crash ? "not json: " + hostile : nil,
            exit: outcome == .crash ? ExitStatus(signal: 9, killedByFault: true) : ExitStatus(code: outcome == .detected ? 1 : 0),
            seconds: seconds, overhead: 0.002, attempts: arm == .on ? 2 : 1, faults: faults,
            groundTruth: [FileState(path: "out/data.json", exists: outcome != .crash, size: 4096,
                                    sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")],
            stderrTail: outcome == .crash ? "fatal: " + hostile : nil)
    }

    static func record(_ id: String, _ pattern: String, control: Bool = false, title: String? = nil, description: String = "") -> ScenarioRecord {
        ScenarioRecord(id: id, title: title ?? "the \(id) scenario", description: description, patterns: [pattern], file: "scenarios/\(id).yaml",
                       sha256: "00", control: control, timeout: 10, rerun: RerunPolicy(max: 2, recoveryCost: 60))
    }

    /// - Parameters:
    ///   - complete: false for an interrupted run.
    ///   - slower: how much slower the on arm of `exec-004/torn` is (a planted regression against `run()`).
    ///   - tornErrorsOn: errors of the on arm of `exec-004/torn` in 10 trials.
    static func run(complete: Bool = true, runID: String = "fixture-run", tornErrorsOn: Int = 0, slower: Double = 1) -> RunResult {
        var trials: [TrialRecord] = []
        func add(_ scenario: String, _ arm: Arm, _ outcomes: [Outcome], base: Double, error: String? = nil, faults: [String] = []) {
            for (i, o) in outcomes.enumerated() {
                trials.append(trial(trials.count, scenario, arm, i, o, seconds: base * (1 + Double(i) * 0.07), error: o == .detected || o == .crash ? error : nil,
                                    faults: faults))
            }
        }
        let trace = "{\"seq\":1,\"t\":0.01,\"rule\":\"torn\",\"fault\":\"torn-write\",\"op\":\"write\",\"path\":\"out/data.json\",\"result\":\"torn 4096/10000\"}"
        trials.append(trial(0, "exec-004/torn", .off, 0, .success, seconds: 0.5, warmup: true))
        add("exec-004/torn", .off, [.corrupt, .corrupt, .corrupt, .corrupt, .silent, .corrupt, .success, .success, .corrupt, .corrupt], base: 0.020, faults: [trace])
        add("exec-004/torn", .on, Array(repeating: .corrupt, count: tornErrorsOn) + Array(repeating: .success, count: 8 - tornErrorsOn) + [.detected, .detected],
            base: 0.012 * slower, error: hostile, faults: [trace])
        add("exec-002/nobite", .off, Array(repeating: .success, count: 10), base: 0.030)
        add("exec-002/nobite", .on, Array(repeating: .success, count: 10), base: 0.031)
        add("exec-004/control", .off, Array(repeating: .success, count: 10), base: 0.010)
        add("exec-004/control", .on, Array(repeating: .success, count: 10), base: 0.011)
        add("pattern-003/<b>hostile</b>", .off, [.crash, .crash, .hang, .success, .success, .crash, .corrupt, .success, .success, .success], base: 0.2,
            error: hostile, faults: [hostile])
        add("pattern-003/<b>hostile</b>", .on, [.crash, .success, .success, .success, .success, .success, .detected, .success, .success, .success], base: 1.5,
            error: hostile, faults: [hostile])
        for i in trials.indices { trials[i].index = i; trials[i].id = String(format: "t%06d", i) }
        var result = RunResult(
            runID: runID, complete: complete, startedAt: "2026-11-30T01:00:00Z", finishedAt: complete ? "2026-11-30T01:01:00Z" : nil, seed: 7,
            options: RunOptions(trials: 10, jobs: 2, scenarioGlob: nil, executors: ["off": ["builtin"], "on": ["builtin"]], warmup: 1),
            environment: RunEnvironment(kernel: "6.1.0-test", libfuse: "3.14.0", mountOptions: ["--control"], cpuModel: "test cpu", cpuCount: 2,
                                        faultbenchVersion: "0.1.0", gitCommit: "abc1234", backingFilesystem: "tmpfs"),
            scenarios: [record("exec-004/torn", "EXEC-004", description: "A write torn at 4 KiB while the executor writes out/data.json."),
                        record("exec-002/nobite", "EXEC-002"),
                        record("exec-004/control", "EXEC-004", control: true),
                        record("pattern-003/<b>hostile</b>", "PATTERN-003", title: hostile, description: hostile)],
            trials: trials, failureMix: .seed, timing: RunTiming(wallSeconds: 12.5, trialsPerSecond: 6.6, overheadMedian: 0.01, overheadP90: 0.02),
            figures: nil)
        result.figures = Figures.compute(result, resamples: 300)
        return result
    }
}
