#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import Gate
import Harness
import Results

/// The exit codes of the CI gate, shared by `compare` and `run --baseline`.
let gateExitCodes = """
Exit codes: 0 no change; 2 regression; 3 inconclusive or not comparable (too few trials, a scenario on one side only, a \
fault that bit in neither run, a partial run, another environment); 4 improvement only; 1 usage or run error (nothing \
compared).
"""

/// The gate's thresholds and switches, as `compare` and `run --baseline` take them.
struct GateArguments: ParsableArguments {
    @Flag(help: "Compare even when the environments' fingerprints (kernel, libfuse, mount options, CPU count and model, backing filesystem, scenario files) differ.")
    var allowEnvChange = false

    @Option(help: "Family-wise significance level of each test, Holm-corrected across scenarios.")
    var alpha: Double = 0.05

    @Option(help: "Default largest prevention drop (0...1) that is not a regression; a scenario's thresholds.prevention-drop wins.")
    var preventionDrop: Double = 0.10

    @Option(help: "Default largest relative rise of the on arm's median time that is not a regression (0.05: 5%); a scenario's thresholds.time-worse wins.")
    var timeWorse: Double = 0.05

    @Option(help: "Counted trials the on arm needs on both sides before a scenario is judged.")
    var minTrials: Int = 5

    @Option(help: "What the time test compares: relative-to-off-arm (each on-arm time over its run's off-arm median, so a busier machine in one run is not a regression) or raw (seconds).")
    var timeBasis: String = TimeBasis.relativeToOffArm.rawValue

    @Option(help: "Also write the comparison as JSON to this file (atomically).")
    var json: String?

    func validate() throws {
        guard alpha > 0, alpha < 1 else { throw ValidationError("--alpha must be between 0 and 1, such as 0.05.") }
        guard (0...1).contains(preventionDrop) else { throw ValidationError("--prevention-drop must be from 0 to 1, such as 0.1.") }
        guard (0...1000).contains(timeWorse) else { throw ValidationError("--time-worse must be from 0 to 1000, such as 0.05.") }
        guard (1...1_000_000).contains(minTrials) else { throw ValidationError("--min-trials must be from 1 to 1000000.") }
        guard TimeBasis(rawValue: timeBasis) != nil else { throw ValidationError("--time-basis must be relative-to-off-arm or raw.") }
    }

    var options: GateOptions {
        var options = GateOptions()
        options.alpha = alpha
        options.preventionDrop = preventionDrop
        options.timeWorse = timeWorse
        options.minimumTrials = minTrials
        options.allowEnvironmentChange = allowEnvChange
        options.timeBasis = TimeBasis(rawValue: timeBasis) ?? .relativeToOffArm
        return options
    }

    /// Compares, prints the plain-text comparison, writes `--json`, and exits with the gate's code.
    func judge(_ result: RunResult, named resultName: String, against baseline: RunResult, named baselineName: String) throws -> Never {
        let comparison = Gate.compare(result, baseline: baseline, options: options)
        Output.line(comparison.plainText(baselineName: baselineName, resultName: resultName))
        if let json, case .failure(let error) = ResultFile.writeJSON(comparison, to: json) {
            throw Failure(error.description)
        }
        Glibc.exit(comparison.exitCode)
    }
}

/// Reads a results document the gate can use, or fails with one line.
func loadResult(_ path: String, as role: String) throws -> RunResult {
    if role == "baseline" && access(path, F_OK) != 0 {
        throw Failure("no baseline at '\(path)'; make one from a complete run with faultbench baseline update RESULT.")
    }
    let run: RunResult
    switch ResultFile.read(path) {
    case .failure(let error): throw Failure(error.description)
    case .success(let value): run = value
    }
    if case .failure(let error) = Gate.checkUsable(run, name: path) { throw Failure(error.description) }
    return run
}

/// `faultbench compare RESULT --baseline BASELINE`: the CI gate.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Judge a result against a baseline: a regression is significant and large.",
        discussion: """
        Per scenario, the pattern-on arm's error rate (one-sided Fisher exact test, Holm-corrected across scenarios, \
        together with a prevention drop above the threshold) and its wall times (one-sided Mann-Whitney U test, \
        Holm-corrected, together with a median more than 5% slower; by default each on-arm time is taken relative to \
        its own run's off-arm median, so a busier machine during one run moves nothing). Holm runs over every test that \
        could declare a regression, so noise alone fails a job with a chance of at most --alpha. Warm-up trials never \
        count. Thresholds per scenario: thresholds.prevention-drop and thresholds.time-worse in the scenario file.

        \(gateExitCodes)
        """
    )

    @Argument(help: "The result to judge (results/<run-id>.json).")
    var result: String

    @Option(help: "The baseline to judge it against.")
    var baseline: String = "results/baseline.json"

    @OptionGroup var gate: GateArguments

    func run() throws {
        let baselineRun = try loadResult(baseline, as: "baseline")
        let resultRun = try loadResult(result, as: "result")
        try gate.judge(resultRun, named: result, against: baselineRun, named: baseline)
    }
}

/// `faultbench baseline update RESULT`.
struct BaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Manage the baseline that faultbench compare judges results against.",
        subcommands: [Update.self]
    )

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update",
            abstract: "Make a complete result the baseline (written atomically, byte for byte).",
            discussion: "Refused, with nothing written: an unreadable file, another schema version, an empty or partial run, an unmerged shard. Exit codes: 0 written; 1 refused."
        )

        @Argument(help: "A complete result (results/<run-id>.json, or a merge of every shard).")
        var result: String

        @Option(help: "Where the baseline goes.")
        var baseline: String = "results/baseline.json"

        func run() throws {
            let run = try loadResult(result, as: "result")
            guard run.complete else {
                throw Failure("'\(result)' is a partial (interrupted) run; finish it with faultbench run --resume before making it the baseline.")
            }
            if let shard = run.options.shard {
                throw Failure("'\(result)' is only shard \(shard) of its run; merge every shard (faultbench merge) and make the merged result the baseline.")
            }
            if case .failure(let error) = ResultFile.install(result, to: baseline) { throw Failure(error.description) }
            Output.line("baseline: \(baseline) is now run \(run.runID) (\(run.scenarios.count) scenarios, \(run.trials.filter { !$0.warmup }.count) counted trials)")
        }
    }
}

/// `faultbench merge A.json B.json ... --output X`.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the shards of one run (faultbench run --shard i/n) into one result, and recompute its figures.",
        discussion: """
        Refused, with nothing written: shards of different runs (seed, trials, --scenario, executors, scenario files), \
        a shard missing, given twice or interrupted, and shards from different environments unless --allow-env-change. \
        The merged trials are the whole run's, with the same indices and fault seeds; their times are each shard's own. \
        Exit codes: 0 merged; 1 refused.
        """
    )

    @Argument(help: "Every shard's result.")
    var shards: [String] = []

    @Option(help: "Where the merged result goes.")
    var output: String

    @Flag(help: "Merge shards whose environments' fingerprints differ (the first shard's is recorded; each shard's is kept under mergedFrom).")
    var allowEnvChange = false

    func run() throws {
        // A shard may hold no counted trial (more shards than trials in a
        // scenario); only the merged result has to be usable.
        let runs = try shards.map { path in
            switch ResultFile.read(path) {
            case .failure(let error): throw Failure(error.description)
            case .success(let run): return run
            }
        }
        let merged: RunResult
        switch Gate.merge(runs, names: shards, allowEnvironmentChange: allowEnvChange) {
        case .failure(let error): throw Failure(error.description)
        case .success(let value): merged = value
        }
        if case .failure(let error) = Gate.checkUsable(merged, name: output) { throw Failure(error.description) }
        if case .failure(let error) = ResultFile.write(merged, to: output) { throw Failure(error.description) }
        Output.line("merged \(runs.count) shards of run seed \(merged.seed) into \(output) (\(merged.trials.filter { !$0.warmup }.count) counted trials)")
    }
}
