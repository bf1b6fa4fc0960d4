#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import ExecutorContract
import Figures
import Foundation
import Harness
import Results

/// `faultbench run`: the main job. Replays the scenarios against the
/// pattern-off and pattern-on executors on one mount, judges every trial
/// from the ground truth, and writes `results/<run-id>.json`.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run failure scenarios against the pattern-off and pattern-on executors and report what the patterns prevent.",
        discussion: """
        With no arguments it runs the standard suite in ./scenarios on a temporary mount and writes results/<run-id>.json.

        Executors: by default the built-in ones (faultbench-executor off|on, next to this binary). --executor off=CMD,on=CMD
        names others (CMD split at spaces); one CMD for both arms (--executor CMD) is an A/A calibration run.

        --shard i/n runs one slice of the run's trials (those with index % n == i-1, plus each scenario's warm-ups), so a
        CI matrix can spread a suite over n machines with the same seed and options; faultbench merge puts them back together.

        --baseline FILE compares the finished result with FILE as faultbench compare does, and ends with the gate's exit code.

        Exit codes: 0 the run finished (with --baseline: no change); 1 bad input or the run failed (e.g. the filesystem died;
        no trial after that point is counted); 130 stopped by Ctrl-C or SIGTERM (the partial result is written; --resume
        continues it). With --baseline: 2 regression; 3 inconclusive or not comparable; 4 improvement only.
        """
    )

    @Option(name: .customLong("scenarios"), help: "Scenario files or directories (searched for *.yaml).")
    var paths: [String] = ["scenarios"]

    @Option(help: "Only scenarios whose id matches this glob (e.g. 'exec-004/*').")
    var scenario: String?

    @Option(help: "The run's seed: the trial order and every fault's random draws derive from it.")
    var seed: UInt64 = 1

    @Option(help: "Trials per arm per scenario (default: each scenario's own, 20 if it says none).")
    var trials: Int?

    @Option(help: "Trials run at once (default: twice the core count when scenarios inject delays, with at most one trial per core that does not wait; else the core count).")
    var jobs: Int?

    @Option(help: "off=CMD,on=CMD, or one CMD for both arms (an A/A run).")
    var executor: [String] = []

    @Option(help: "Where results/<run-id>.json and its journal go.")
    var results: String = "results"

    @Option(help: "Continue an interrupted run: its journal (results/<run-id>.journal.jsonl) or its run id.")
    var resume: String?

    @Option(help: "A failure-mix file (JSON: {\"EXEC-001\": 0.07, ...}) to weight the suite's aggregates; default the seed's shares.")
    var failureMix: String?

    @Option(help: "Run only slice i of n of the trials (e.g. 2/4); merge the shards with faultbench merge.")
    var shard: String?

    @Option(help: "After the run, compare its result with this baseline (as faultbench compare) and exit with the gate's code.")
    var baseline: String?

    @OptionGroup var gate: GateArguments

    func validate() throws {
        if baseline == nil && (gate.json != nil || gate.allowEnvChange) {
            throw ValidationError("--json and --allow-env-change compare with a baseline; give --baseline FILE too.")
        }
        if let shard, Shard.parse(shard) == nil {
            throw ValidationError("--shard must be i/n with 1 <= i <= n <= \(Shard.maximumCount), such as 2/4.")
        }
        if let trials, !(1...100_000).contains(trials) { throw ValidationError("--trials must be from 1 to 100000.") }
        if let jobs, !(1...256).contains(jobs) { throw ValidationError("--jobs must be from 1 to 256.") }
    }

    func run() throws {
        // A baseline that cannot be used is refused before anything is mounted or written.
        let baselineRun = try baseline.map { try loadResult($0, as: "baseline") }
        let scenarios: [Scenario]
        do { scenarios = try ScenarioLoader.loadSuite(paths, matching: scenario) } catch { throw Failure(error.description) }
        guard !scenarios.isEmpty else {
            throw Failure("no scenario matches '\(scenario ?? "*")' in \(paths.joined(separator: ", ")); check --scenarios and --scenario.")
        }
        let binary = Self.selfPath()
        var config = RunConfiguration(
            scenarios: scenarios, seed: seed, executors: try executors(besides: binary), faultbenchBinary: binary,
            resultsDirectory: results, say: { Output.line($0) })
        config.trialsPerArm = trials
        config.ownsProcess = true
        config.jobs = jobs
        config.scenarioGlob = scenario
        config.shard = shard.flatMap(Shard.parse)
        if let resume {
            config.resume = resume.hasSuffix(".jsonl") || resume.contains("/") ? resume : results + "/" + resume + ".journal.jsonl"
        }
        if let failureMix { config.failureMix = try Self.loadMix(failureMix) }

        let outcome: RunOutcome
        switch HarnessRun.execute(config) {
        case .failure(let error): throw Failure(error.description)
        case .success(let value): outcome = value
        }
        if let figures = outcome.result.figures {
            Output.line(SummaryTable.render(figures, run: outcome.result))
        }
        Output.line("results: \(outcome.resultPath)")
        if let reason = outcome.stoppedBecause {
            Output.error("the run stopped early: \(reason)")
            if reason.hasPrefix("stopped by signal") { Glibc.exit(130) }
            Glibc.exit(1)
        }
        if let baselineRun, let baseline {
            try gate.judge(outcome.result, named: outcome.resultPath, against: baselineRun, named: baseline)
        }
    }

    /// The command of each arm.
    private func executors(besides binary: String) throws -> [Arm: [String]] {
        if executor.isEmpty {
            let slash = binary.lastIndex(of: "/").map { String(binary[..<$0]) } ?? "."
            let builtin = slash + "/faultbench-executor"
            guard access(builtin, X_OK) == 0 else {
                throw Failure("the built-in executor '\(builtin)' is missing; build the package (swift build) or name executors with --executor.")
            }
            return [.off: [builtin, "off"], .on: [builtin, "on"]]
        }
        var commands: [Arm: [String]] = [:]
        for item in executor.flatMap({ $0.split(separator: ",").map(String.init) }) {
            if item.hasPrefix("off=") || item.hasPrefix("on=") {
                let arm: Arm = item.hasPrefix("off=") ? .off : .on
                commands[arm] = item.dropFirst(arm == .off ? 4 : 3).split(separator: " ").map(String.init)
            } else {
                let command = item.split(separator: " ").map(String.init)
                commands[.off] = command
                commands[.on] = command
            }
        }
        for arm in Arm.allCases where commands[arm]?.isEmpty ?? true {
            throw Failure("--executor names no command for the \(arm.rawValue) arm; write off=CMD,on=CMD or one CMD for both.")
        }
        // An executor runs in its trial's directory, so a relative path in its
        // command (python3 scripts/x.py) is taken from here and made absolute.
        let here = FileManager.default.currentDirectoryPath
        return commands.mapValues { command in
            command.map { word in
                guard !word.hasPrefix("/"), word.contains("/"), FileManager.default.fileExists(atPath: word) else { return word }
                return here + "/" + word
            }
        }
    }

    static func loadMix(_ path: String) throws -> FailureMix {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure("cannot read the failure mix '\(path)'; check the path.")
        }
        guard let shares = try? JSONDecoder().decode([String: Double].self, from: data), !shares.isEmpty,
              shares.values.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw Failure("\(path): a failure mix is a JSON object of pattern IDs to non-negative shares, such as {\"EXEC-002\": 0.22}.")
        }
        return FailureMix(source: path, shares: shares)
    }

    /// This executable's path, so the mount and the built-in executors are the same build.
    static func selfPath() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
