import Foundation
import Testing
import ExecutorContract
@testable import Figures
import Results

/// A small hand-made run:
/// - `a/torn` (EXEC-004, fault): off 4 corrupt, 1 silent, 5 success; on 8
///   success, 2 detected; plus a warm-up per arm that must not count;
/// - `a/control` (EXEC-004, control): every trial a success, on a bit slower;
/// - `r/transient` (PATTERN-003, fault): no error in either arm — did not bite;
/// - `b/partial` (EXEC-002, fault): off 6 corrupt of 10, on 1 crash of 10.
enum Fixture {
    static func trial(_ scenario: String, _ arm: Arm, _ number: Int, _ outcome: Outcome, seconds: Double,
                      attempts: Int = 1, warmup: Bool = false) -> TrialRecord {
        TrialRecord(index: 0, id: "t\(number)", scenario: scenario, arm: arm, number: number, warmup: warmup,
                    outcome: outcome, reason: "fixture", claim: nil, rawClaim: nil, exit: ExitStatus(code: 0),
                    seconds: seconds, overhead: 0.001, attempts: attempts, faults: [], groundTruth: [],
                    stderrTail: nil)
    }

    static func cell(_ scenario: String, _ arm: Arm, _ outcomes: [Outcome], base: Double, attempts: Int = 1) -> [TrialRecord] {
        outcomes.enumerated().map { i, outcome in
            trial(scenario, arm, i, outcome, seconds: base + Double(i) * 0.001, attempts: attempts)
        }
    }

    static func record(_ id: String, _ pattern: String, control: Bool = false) -> ScenarioRecord {
        ScenarioRecord(id: id, title: id, description: "", patterns: [pattern], file: id + ".yaml", sha256: "",
                       control: control, timeout: 10, rerun: RerunPolicy(max: 2, recoveryCost: 60))
    }

    static func run() -> RunResult {
        var trials: [TrialRecord] = []
        trials += cell("a/torn", .off, [.corrupt, .corrupt, .corrupt, .corrupt, .silent] + Array(repeating: .success, count: 5), base: 0.020)
        trials += cell("a/torn", .on, Array(repeating: .success, count: 8) + [.detected, .detected], base: 0.010, attempts: 2)
        trials.append(trial("a/torn", .off, 99, .success, seconds: 5, warmup: true))
        trials.append(trial("a/torn", .on, 99, .corrupt, seconds: 5, warmup: true))
        trials += cell("a/control", .off, Array(repeating: .success, count: 10), base: 0.010)
        trials += cell("a/control", .on, Array(repeating: .success, count: 10), base: 0.012)
        trials += cell("r/transient", .off, Array(repeating: .success, count: 10), base: 0.030)
        trials += cell("r/transient", .on, Array(repeating: .success, count: 10), base: 0.030)
        trials += cell("b/partial", .off, Array(repeating: .corrupt, count: 6) + Array(repeating: .success, count: 4), base: 0.040)
        trials += cell("b/partial", .on, [.crash] + Array(repeating: .success, count: 9), base: 0.050)
        return RunResult(
            runID: "fixture", complete: true, startedAt: "2026-01-01T00:00:00Z", finishedAt: nil, seed: 11,
            options: RunOptions(trials: 10, jobs: 1, scenarioGlob: nil, executors: [:], warmup: 1),
            environment: RunEnvironment(kernel: "", libfuse: "", mountOptions: [], cpuModel: "", cpuCount: 2,
                                        faultbenchVersion: "", gitCommit: nil, backingFilesystem: "tmpfs"),
            scenarios: [record("a/torn", "EXEC-004"), record("a/control", "EXEC-004", control: true),
                        record("r/transient", "PATTERN-003"), record("b/partial", "EXEC-002")],
            trials: trials, failureMix: .seed, timing: nil, figures: nil)
    }
}

@Suite struct ComputeTests {
    let report = Figures.compute(Fixture.run(), resamples: 500)

    func scenario(_ id: String) throws -> ScenarioFigures {
        try #require(report.scenarios.first { $0.id == id })
    }

    @Test func cellsCountOnlyRealTrials() throws {
        let torn = try scenario("a/torn")
        #expect(torn.arms.off.n == 10 && torn.arms.on.n == 10)
        #expect(torn.arms.off.outcomes.corrupt == 4 && torn.arms.off.outcomes.silent == 1)
        #expect(torn.arms.off.outcomes.success == 5)
        #expect(torn.arms.on.outcomes.corrupt == 0, "the on arm's corrupt warm-up trial was counted")
        #expect(torn.arms.on.outcomes.detected == 2)
        #expect(torn.arms.off.errors == 5 && torn.arms.on.errors == 0)
        #expect(torn.arms.on.meanAttempts == 2)
        // Wilson 5/10 and 0/10, from the closed form (scipy agrees).
        #expect(close(torn.arms.off.errorRate?.lower, 0.236593090512564, 1e-12))
        #expect(close(torn.arms.off.errorRate?.upper, 0.7634069094874361, 1e-12))
        #expect(close(torn.arms.on.errorRate?.upper, 0.2775327998628892, 1e-12))
        #expect(close(torn.arms.on.successRate?.estimate, 0.8))
    }

    @Test func timesAndTheModel() throws {
        let torn = try scenario("a/torn")
        // Off times 0.020 … 0.029: median 0.0245, p90 (type 7) 0.0281.
        #expect(close(torn.arms.off.wallTime?.median, 0.0245, 1e-12))
        #expect(close(torn.arms.off.wallTime?.p90, 0.0281, 1e-12))
        #expect(close(torn.speedup?.estimate, 0.0245 / 0.0145, 1e-12))
        // Off: q = 0.5, t = 0.0245, 2 reruns at 60 s: t + 0.5(60 + t) + 0.25(60 + t).
        let off = try #require(torn.arms.off.timeToCorrectState)
        #expect(close(off.expectedSeconds, 0.0245 + 0.75 * 60.0245, 1e-12))
        // On: the two detected trials did not reach the correct state either, q = 0.2.
        let on = try #require(torn.arms.on.timeToCorrectState)
        #expect(close(on.failureRate, 0.2, 1e-12))
        #expect(close(on.expectedSeconds, 0.0145 + 0.24 * 60.0145, 1e-12))
        #expect(close(torn.modelledSpeedup, off.expectedSeconds / on.expectedSeconds, 1e-12))
    }

    @Test func preventionAndItsAbsence() throws {
        let torn = try scenario("a/torn")
        #expect(!torn.faultDidNotBite)
        #expect(torn.prevention?.estimate == 1)
        #expect(torn.prevention?.upper == 1)
        let control = try scenario("a/control")
        #expect(control.prevention == nil && control.speedup == nil && !control.faultDidNotBite)
        #expect(close(control.cost?.estimate, 0.0165 / 0.0145, 1e-12))
        let transient = try scenario("r/transient")
        #expect(transient.faultDidNotBite)
        #expect(transient.prevention == nil)
        let partial = try scenario("b/partial")
        #expect(close(partial.prevention?.estimate, 1 - 1.0 / 6, 1e-12))
        // The score interval of 1 of 10 against 6 of 10, derived numerically in Python.
        #expect(close(partial.prevention?.lower, 0.2041244377885727, 1e-6))
        #expect(close(torn.prevention?.lower, 0.3871394161161823, 1e-6))
    }

    @Test func patternsAndSuite() throws {
        let exec4 = try #require(report.patterns.first { $0.id == "EXEC-004" })
        #expect(exec4.scenarios == ["a/torn", "a/control"])
        #expect(exec4.pooled.scenarios == ["a/torn"])
        #expect(exec4.pooled.controlCost != nil)
        #expect(close(exec4.weight, 0.02 / 0.24, 1e-12))
        let retry = try #require(report.patterns.first { $0.id == "PATTERN-003" })
        #expect(retry.weight == nil && retry.didNotBite == ["r/transient"])

        let suite = report.suite
        #expect(suite.unweighted == ["PATTERN-003"])
        #expect(close(suite.weights["EXEC-002"], 0.22 / 0.24, 1e-12))
        #expect(suite.pooled.n.off == 30 && suite.pooled.n.on == 30)
        #expect(close(suite.pooled.errorRate?.off.estimate, 11.0 / 30, 1e-12))
        #expect(close(suite.pooled.errorRate?.on.estimate, 1.0 / 30, 1e-12))
        #expect(close(suite.pooled.prevention?.estimate, 1 - 1.0 / 11, 1e-12))

        let weighted = try #require(suite.weighted)
        let w4 = 0.02 / 0.24, w2 = 0.22 / 0.24
        #expect(close(weighted.errorRate?.off.estimate, w4 * 0.5 + w2 * 0.6, 1e-12))
        #expect(close(weighted.errorRate?.on.estimate, w2 * 0.1, 1e-12))
        // Kish: 1/(w4²/10 + w2²/10).
        #expect(close(weighted.n.off, 10 / (w4 * w4 + w2 * w2), 1e-9))
        #expect(close(weighted.prevention?.estimate, 1 - (w2 * 0.1) / (w4 * 0.5 + w2 * 0.6), 1e-12))
        // The score interval on the effective counts, derived numerically in Python.
        #expect(close(weighted.prevention?.lower, 0.28884276895527516, 1e-6))
        #expect(close(weighted.prevention?.upper, 0.9719133193188086, 1e-6))
        // Weighted geometric mean of the two fault scenarios' speedups.
        let speedTorn = 0.0245 / 0.0145, speedPartial = 0.0445 / 0.0545
        #expect(close(weighted.speedup?.estimate, exp(w4 * log(speedTorn) + w2 * log(speedPartial)), 1e-12))
        #expect(suite.notes.contains { $0.contains("67%") })
        #expect(suite.notes.contains { $0.hasSuffix("reported unweighted only: PATTERN-003.") })
    }

    /// Another mix: its own shares, and no note that only holds for the seed's.
    @Test func anotherMix() throws {
        var run = Fixture.run()
        run.failureMix = FailureMix(source: "mix.yaml", shares: ["EXEC-004": 1, "EXEC-002": 1, "PATTERN-003": 2])
        let suite = Figures.compute(run, resamples: 100).suite
        #expect(suite.weights == ["EXEC-004": 0.25, "EXEC-002": 0.25, "PATTERN-003": 0.5])
        #expect(suite.unweighted.isEmpty)
        #expect(!suite.notes.contains { $0.contains("67%") || $0.contains("unweighted only") })
        #expect(suite.notes.first == "The failure mix (mix.yaml) adds up to 400%; weights are its shares normalised over the 3 measured pattern(s) that have one.")
    }

    @Test func reproducibleAndEncodable() throws {
        let again = Figures.compute(Fixture.run(), resamples: 500)
        #expect(again == report)
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        #expect(json.contains("\"label\":\"model\""))
        #expect(json.contains("\"method\":\"koopman-score"))
        let decoded = try JSONDecoder().decode(FigureReport.self, from: Data(json.utf8))
        #expect(decoded == report)
        // The did-not-bite scenario carries no prevention at all.
        let transient = try #require(decoded.scenarios.first { $0.id == "r/transient" })
        #expect(transient.prevention == nil)
    }

    @Test func trialsOfAnUnlistedScenarioAreNotedNotCounted() throws {
        var run = Fixture.run()
        run.trials.append(Fixture.trial("gone/away", .off, 0, .corrupt, seconds: 1))
        let figures = Figures.compute(run, resamples: 100)
        #expect(figures.suite.pooled.n.off == 30)
        #expect(figures.suite.notes.first == "1 trial(s) name a scenario the document does not list (gone/away); they are not counted.")
    }

    @Test func emptyRun() {
        var run = Fixture.run()
        run.trials = []
        let empty = Figures.compute(run, resamples: 100)
        #expect(empty.scenarios.allSatisfy { $0.arms.off.n == 0 && $0.prevention == nil && $0.speedup == nil })
        #expect(empty.suite.weighted == nil)
        #expect(empty.suite.pooled.errorRate == nil)
        _ = SummaryTable.render(empty, run: run)
    }
}
