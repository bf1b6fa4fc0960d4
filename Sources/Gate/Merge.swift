import Figures
import Foundation
import Results

extension Gate {
    /// Puts the shards of one run (`faultbench run --shard i/n`, same seed,
    /// options and scenario files, possibly on different machines) back
    /// together into one result, with its figures recomputed.
    ///
    /// Refused: a document that is not a shard; shards of different runs
    /// (seed, trials, warm-ups, `--scenario`, executors, scenario files or
    /// failure mix differ); a different number of shards; a shard given
    /// twice or missing; a partial shard; a trial in the wrong shard; and
    /// shards from machines whose fingerprints differ unless
    /// `allowEnvironmentChange`. `jobs` may differ (machines differ in cores).
    ///
    /// Measured trials keep their plan index, so the merged trials are the
    /// whole run's; of the warm-ups, which every shard runs for itself, the
    /// lowest shard's are kept (they are never counted).
    ///
    /// - Parameter names: how to name each document in messages (its path).
    public static func merge(_ shards: [RunResult], names: [String], allowEnvironmentChange: Bool = false)
        -> Result<RunResult, GateError> {
        precondition(shards.count == names.count, "merge: one name per shard")
        guard shards.count >= 2 else {
            return .failure(GateError("merge needs at least two shards; name every shard's result (faultbench run --shard i/n)."))
        }
        var parts: [(run: RunResult, name: String, shard: Shard)] = []
        for (run, name) in zip(shards, names) {
            guard let shard = run.options.shard else {
                return .failure(GateError("'\(name)' is not a shard (it was run without --shard i/n); merge only the shards of one run."))
            }
            guard run.complete else {
                return .failure(GateError("'\(name)' is a partial (interrupted) shard \(shard); finish it with faultbench run --shard \(shard) --resume before merging."))
            }
            parts.append((run, name, shard))
        }
        let first = parts[0]
        for part in parts.dropFirst() {
            if let difference = runDifference(first.run, part.run) {
                return .failure(GateError("'\(part.name)' is not a shard of the same run as '\(first.name)': \(difference). Merge shards run with the same seed, options and scenario files."))
            }
            let envDiff = Fingerprint(part.run).differences(from: Fingerprint(first.run))
            if !envDiff.isEmpty && !allowEnvironmentChange {
                return .failure(GateError("'\(part.name)' ran on a different environment from '\(first.name)': \(envDiff.joined(separator: "; ")). Run the shards on the same kind of machine, or pass --allow-env-change."))
            }
        }
        let count = first.shard.count
        var seen: [Int: String] = [:]
        for part in parts {
            if part.shard.count != count {
                return .failure(GateError("'\(part.name)' is shard \(part.shard) but '\(first.name)' is shard \(first.shard); shards of one run share the same n."))
            }
            if let other = seen[part.shard.number] {
                return .failure(GateError("'\(part.name)' and '\(other)' are both shard \(part.shard); their slices overlap. Name each shard once."))
            }
            seen[part.shard.number] = part.name
        }
        let missing = (1...count).filter { seen[$0] == nil }
        guard missing.isEmpty else {
            let list = missing.prefix(10).map { "\($0)/\(count)" }.joined(separator: ", ")
            return .failure(GateError("shard\(missing.count == 1 ? "" : "s") \(list)\(missing.count > 10 ? ", ..." : "") of the run \(missing.count == 1 ? "is" : "are") missing; name every shard from 1/\(count) to \(count)/\(count)."))
        }
        parts.sort { $0.shard.number < $1.shard.number }

        var measured: [Int: (TrialRecord, String)] = [:]
        var warmups: [Int: TrialRecord] = [:]
        for part in parts {
            for trial in part.run.trials {
                if trial.warmup {
                    if warmups[trial.index] == nil { warmups[trial.index] = trial }
                    continue
                }
                guard part.shard.owns(index: trial.index) else {
                    return .failure(GateError("'\(part.name)' holds trial \(trial.index), which belongs to shard \(trial.index % count + 1)/\(count), not \(part.shard); it was not made by faultbench run --shard."))
                }
                if let (_, other) = measured[trial.index] {
                    return .failure(GateError("trial \(trial.index) is in both '\(other)' and '\(part.name)'; their slices overlap."))
                }
                measured[trial.index] = (trial, part.name)
            }
        }
        let measuredIndices = Set(measured.keys)
        let trials = (measured.values.map(\.0) + warmups.values.filter { !measuredIndices.contains($0.index) })
            .sorted { $0.index < $1.index }
        // The plan's indices run from 0 without a gap; a gap is a trial no shard holds.
        if let gap = trials.indices.first(where: { trials[$0].index != $0 }) {
            return .failure(GateError("trial \(gap) of the run is in none of the shards; a shard was edited or is not from this run."))
        }

        var options = first.run.options
        options.shard = nil
        let starts = parts.map(\.run.startedAt).sorted()
        let ends = parts.compactMap(\.run.finishedAt).sorted()
        var runID = first.run.runID
        if let range = runID.range(of: "-shard", options: .backwards) { runID = String(runID[..<range.lowerBound]) }
        runID += "-merged"
        var merged = RunResult(
            runID: runID, complete: true, startedAt: starts.first ?? first.run.startedAt, finishedAt: ends.last,
            seed: first.run.seed, options: options, environment: first.run.environment, scenarios: first.run.scenarios,
            trials: trials, failureMix: first.run.failureMix, timing: mergedTiming(parts.map(\.run), trials: trials),
            figures: nil,
            mergedFrom: parts.map {
                MergedShard(shard: $0.shard, runID: $0.run.runID, startedAt: $0.run.startedAt,
                            finishedAt: $0.run.finishedAt, environment: $0.run.environment, timing: $0.run.timing)
            })
        merged.figures = Figures.compute(merged)
        return .success(merged)
    }

    /// What makes two shards parts of different runs, or nil.
    static func runDifference(_ a: RunResult, _ b: RunResult) -> String? {
        if a.seed != b.seed { return "seed \(a.seed) against \(b.seed)" }
        if a.options.trials != b.options.trials {
            func text(_ trials: Int?) -> String { trials.map(String.init) ?? "each scenario's own" }
            return "--trials \(text(a.options.trials)) against \(text(b.options.trials))"
        }
        if a.options.warmup != b.options.warmup { return "warm-up \(a.options.warmup) against \(b.options.warmup)" }
        if a.options.scenarioGlob != b.options.scenarioGlob {
            return "--scenario '\(a.options.scenarioGlob ?? "*")' against '\(b.options.scenarioGlob ?? "*")'"
        }
        if a.options.executors != b.options.executors {
            func text(_ e: [String: [String]]) -> String {
                e.keys.sorted().map { "\($0)=\(e[$0]!.joined(separator: " "))" }.joined(separator: ",")
            }
            return "executors \(text(a.options.executors)) against \(text(b.options.executors))"
        }
        if a.scenarios.map(\.id) != b.scenarios.map(\.id) { return "they list different scenarios" }
        for (x, y) in zip(a.scenarios, b.scenarios) where x.sha256 != y.sha256 {
            return "scenario \(x.id) comes from different files (sha256 \(x.sha256.prefix(12)) against \(y.sha256.prefix(12)))"
        }
        if a.failureMix != b.failureMix { return "their failure mixes differ (\(a.failureMix.source) against \(b.failureMix.source))" }
        return nil
    }

    /// Shards run side by side: the merged run took as long as its slowest
    /// shard, its rate is the shards' rates added up, and the harness's
    /// overhead per trial is recomputed from the counted trials.
    static func mergedTiming(_ runs: [RunResult], trials: [TrialRecord]) -> RunTiming? {
        let timings = runs.compactMap(\.timing)
        guard timings.count == runs.count else { return nil }
        let overheads = trials.filter { !$0.warmup }.map(\.overhead).sorted()
        return RunTiming(wallSeconds: timings.map(\.wallSeconds).max() ?? 0,
                         trialsPerSecond: timings.map(\.trialsPerSecond).reduce(0, +),
                         overheadMedian: Figures.percentile(sorted: overheads, 0.5) ?? 0,
                         overheadP90: Figures.percentile(sorted: overheads, 0.9) ?? 0)
    }
}
