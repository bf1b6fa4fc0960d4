import Determinism
import Foundation
import ExecutorContract
import Results

extension FigureReport {
    /// The figures of a run, computed from its counted trials; see
    /// `Figures.compute(_:resamples:)`.
    public static func compute(from run: RunResult) -> FigureReport {
        Figures.compute(run)
    }
}

extension Figures {
    /// Computes every figure of a run from its trials (warm-up trials are
    /// never counted), per scenario, per pattern and for the suite.
    ///
    /// Bootstrap intervals are seeded from `run.seed` and the figure's own
    /// label (the scenario or pattern id), so the same document always gives
    /// the same figures.
    ///
    /// - Parameters:
    ///   - run: the results document.
    ///   - resamples: bootstrap resamples per interval.
    public static func compute(_ run: RunResult, resamples: Int = defaultResamples) -> FigureReport {
        let counted = run.trials.filter { !$0.warmup }
        let byScenario = Dictionary(grouping: counted, by: \.scenario)
        var cells: [String: PerArm<[TrialRecord]>] = [:]
        for record in run.scenarios {
            let trials = byScenario[record.id] ?? []
            cells[record.id] = PerArm(off: trials.filter { $0.arm == .off }, on: trials.filter { $0.arm == .on })
        }
        let context = AggregateContext(run: run, cells: cells, resamples: resamples)
        let scenarios = run.scenarios.map { scenarioFigures($0, cells[$0.id]!, context) }
        let byID = Dictionary(scenarios.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var patterns = Set(run.scenarios.flatMap(\.patterns)).sorted().map {
            patternFigures($0, run: run, figures: byID, context)
        }
        let suite = suiteFigures(run: run, scenarios: scenarios, patterns: patterns, context)
        for i in patterns.indices { patterns[i].weight = suite.weights[patterns[i].id] }
        return FigureReport(level: 0.95, resamples: resamples, seed: run.seed, scenarios: scenarios,
                            patterns: patterns, suite: suite)
    }

    // MARK: One scenario

    static func armFigures(_ trials: [TrialRecord], rerun: RerunPolicy) -> ArmFigures {
        var outcomes = OutcomeCounts()
        for trial in trials { outcomes[trial.outcome] += 1 }
        let n = trials.count
        let times = trials.map(\.seconds).sorted()
        var wallTime: TimeSummary?
        var model: ModelledTime?
        if let median = percentile(sorted: times, 0.5), let p90 = percentile(sorted: times, 0.9) {
            wallTime = TimeSummary(median: median, p90: p90)
            let failureRate = 1 - Double(outcomes.success) / Double(n)
            model = modelledTime(medianSeconds: median, failureRate: failureRate, policy: rerun)
        }
        return ArmFigures(
            n: n, outcomes: outcomes, errors: outcomes.errors,
            errorRate: wilson(successes: outcomes.errors, n: n),
            successRate: wilson(successes: outcomes.success, n: n),
            meanAttempts: mean(trials.map { Double($0.attempts) }),
            wallTime: wallTime, timeToCorrectState: model)
    }

    static func scenarioFigures(_ record: ScenarioRecord, _ cell: PerArm<[TrialRecord]>,
                                _ context: AggregateContext) -> ScenarioFigures {
        let off = armFigures(cell.off, rerun: record.rerun)
        let on = armFigures(cell.on, rerun: record.rerun)
        // Only a fault scenario can fail to bite; an empty off arm says nothing.
        let didNotBite = !record.control && off.n > 0 && off.errors == 0
        let prevention = record.control || didNotBite
            ? nil : Figures.prevention(errorsOn: on.errors, nOn: on.n, errorsOff: off.errors, nOff: off.n)
        let offTimes = cell.off.map(\.seconds), onTimes = cell.on.map(\.seconds)
        let seed = SplitMix64.derive(seed: context.run.seed, label: "scenario:" + record.id)
        let speedup = record.control
            ? nil : ratioOfMedians(offTimes, onTimes, resamples: context.resamples, seed: seed)
        let cost = record.control
            ? ratioOfMedians(onTimes, offTimes, resamples: context.resamples, seed: seed) : nil
        var modelled: Double?
        if let offModel = off.timeToCorrectState, let onModel = on.timeToCorrectState,
           onModel.expectedSeconds > 0 {
            modelled = offModel.expectedSeconds / onModel.expectedSeconds
        }
        return ScenarioFigures(id: record.id, patterns: record.patterns, control: record.control,
                               arms: PerArm(off: off, on: on), faultDidNotBite: didNotBite,
                               prevention: prevention, speedup: speedup, cost: cost, modelledSpeedup: modelled)
    }
}

/// What the aggregates need besides the figures of each scenario.
struct AggregateContext {
    let run: RunResult
    let cells: [String: PerArm<[TrialRecord]>]
    let resamples: Int
}
