import Determinism
import ExecutorContract
import Foundation
import Results

/// Results documents built in code: every count and time is chosen by the
/// test, so each case can say exactly what the gate must decide.
enum Fixture {
    /// One scenario's counted trials in a fixture run.
    struct Cell {
        var id: String
        var control = false
        var offErrors: Int
        var onErrors: Int
        var n: Int
        /// The on arm's times.
        var onTimes: [Double]
        /// The off arm's times; 10 ms each unless given.
        var offTimes: [Double]
        var thresholds: Thresholds? = nil
        /// Warm-up trials per arm, all errors, to prove they are never counted.
        var warmups = 0

        init(_ id: String, control: Bool = false, offErrors: Int, onErrors: Int, n: Int, onTimes: [Double]? = nil,
             offTimes: [Double]? = nil, thresholds: Thresholds? = nil, warmups: Int = 0) {
            self.offTimes = offTimes ?? Array(repeating: 0.010, count: n)
            self.id = id
            self.control = control
            self.offErrors = offErrors
            self.onErrors = onErrors
            self.n = n
            self.onTimes = onTimes ?? Array(repeating: 0.010, count: n)
            self.thresholds = thresholds
            self.warmups = warmups
        }
    }

    static let environment = RunEnvironment(
        kernel: "Linux 6.1.0-test", libfuse: "3.14.0", mountOptions: ["--control", "--seed", "1", "--exit-with-parent"],
        cpuModel: "Test CPU", cpuCount: 2, faultbenchVersion: "0.2.0", gitCommit: "abc", backingFilesystem: "tmpfs")

    static func run(_ cells: [Cell], seed: UInt64 = 1, complete: Bool = true, environment: RunEnvironment = environment,
                    shard: Shard? = nil, runID: String = "fixture") -> RunResult {
        var trials: [TrialRecord] = []
        func add(_ cell: Cell, _ arm: Arm, _ number: Int, error: Bool, seconds: Double, warmup: Bool) {
            let outcome: Outcome = error ? .corrupt : (arm == .on ? .detected : .success)
            trials.append(TrialRecord(
                index: trials.count, id: String(format: "t%06d", trials.count), scenario: cell.id, arm: arm, number: number,
                warmup: warmup, outcome: outcome, reason: "fixture", claim: nil, rawClaim: nil, exit: ExitStatus(code: 0),
                seconds: seconds, overhead: 0.001, attempts: 1, faults: [], groundTruth: [], stderrTail: nil))
        }
        for cell in cells {
            for k in 0..<cell.warmups {
                add(cell, .off, k, error: true, seconds: 1, warmup: true)
                add(cell, .on, k, error: true, seconds: 1, warmup: true)
            }
            for k in 0..<cell.n {
                add(cell, .off, cell.warmups + k, error: k < cell.offErrors, seconds: cell.offTimes[k], warmup: false)
                add(cell, .on, cell.warmups + k, error: k < cell.onErrors, seconds: cell.onTimes[k], warmup: false)
            }
        }
        let scenarios = cells.map {
            ScenarioRecord(id: $0.id, title: $0.id, description: "fixture", patterns: ["EXEC-004"], file: "scenarios/\($0.id).yaml",
                           sha256: String(repeating: "a", count: 64), control: $0.control, timeout: 1,
                           rerun: RerunPolicy(max: 3, recoveryCost: 60), thresholds: $0.thresholds)
        }
        let options = RunOptions(trials: cells.first?.n ?? 0, jobs: 2, scenarioGlob: nil,
                                 executors: ["off": ["x", "off"], "on": ["x", "on"]], warmup: 0, shard: shard)
        return RunResult(runID: runID, complete: complete, startedAt: "2026-01-01T00:00:00Z", finishedAt: nil, seed: seed,
                         options: options, environment: environment, scenarios: scenarios, trials: trials,
                         failureMix: .seed, timing: nil, figures: nil)
    }

    /// Times around `median` seconds with ±`spread` relative jitter, from a seeded generator.
    static func times(_ count: Int, median: Double, spread: Double = 0.1, seed: UInt64) -> [Double] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in median * (1 + spread * (Double.random(in: -1...1, using: &generator))) }
    }

    /// A binomial draw, from a seeded generator.
    static func binomial(_ n: Int, _ p: Double, seed: UInt64) -> Int {
        var generator = SeededGenerator(seed: seed)
        return (0..<n).filter { _ in Double.random(in: 0..<1, using: &generator) < p }.count
    }
}

/// SplitMix64 as a RandomNumberGenerator, so every fixture is reproducible;
/// the seed is spread as it always was, so the fixtures' data is unchanged.
struct SeededGenerator: RandomNumberGenerator {
    var base: SplitMix64
    init(seed: UInt64) { base = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ 1) }
    mutating func next() -> UInt64 { base.next() }
}
