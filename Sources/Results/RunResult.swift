import ExecutorContract

/// The results document of one run: what `faultbench run` writes to
/// `results/<run-id>.json`, and the only thing figures, reports, compare
/// and merge ever read.
///
/// `schemaVersion` changes whenever a reader of an older document would
/// misread this one; readers refuse a version they do not know.
public struct RunResult: Codable, Sendable {
    /// The version this code writes and reads.
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    public var runID: String
    /// Whether every planned trial ran (for a shard: every trial of its slice);
    /// false for an interrupted run.
    public var complete: Bool
    public var startedAt: String
    public var finishedAt: String?
    public var seed: UInt64
    public var options: RunOptions
    public var environment: RunEnvironment
    public var scenarios: [ScenarioRecord]
    public var trials: [TrialRecord]
    /// The failure mix used to weight the suite's aggregates.
    public var failureMix: FailureMix
    public var timing: RunTiming?
    public var figures: FigureReport?
    /// The shards this result was merged from (`faultbench merge`); nil for a
    /// run made in one go. `options.shard` is nil in a merged result.
    public var mergedFrom: [MergedShard]?

    public init(
        runID: String, complete: Bool, startedAt: String, finishedAt: String?, seed: UInt64, options: RunOptions,
        environment: RunEnvironment, scenarios: [ScenarioRecord], trials: [TrialRecord], failureMix: FailureMix,
        timing: RunTiming?, figures: FigureReport?, mergedFrom: [MergedShard]? = nil
    ) {
        self.schemaVersion = Self.currentSchemaVersion
        self.runID = runID
        self.complete = complete
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.seed = seed
        self.options = options
        self.environment = environment
        self.scenarios = scenarios
        self.trials = trials
        self.failureMix = failureMix
        self.timing = timing
        self.figures = figures
        self.mergedFrom = mergedFrom
    }
}

/// How the run was asked for.
public struct RunOptions: Codable, Sendable, Hashable {
    /// Trials per arm per scenario (warm-up not included); nil: each scenario's own count.
    public var trials: Int?
    public var jobs: Int
    /// The `--scenario` glob, if one was given.
    public var scenarioGlob: String?
    /// The command of each arm; `builtin` for the built-in executors.
    public var executors: [String: [String]]
    /// Warm-up trials per arm per scenario.
    public var warmup: Int
    /// The slice of the plan this run ran (`--shard i/n`); nil for the whole plan.
    /// Absent in documents written before shards existed, which read as whole runs.
    public var shard: Shard?

    public init(trials: Int?, jobs: Int, scenarioGlob: String?, executors: [String: [String]], warmup: Int,
                shard: Shard? = nil) {
        self.trials = trials
        self.jobs = jobs
        self.scenarioGlob = scenarioGlob
        self.executors = executors
        self.warmup = warmup
        self.shard = shard
    }
}

/// Where the run ran: what must match before two results are compared.
public struct RunEnvironment: Codable, Sendable, Hashable {
    public var kernel: String
    public var libfuse: String
    public var mountOptions: [String]
    public var cpuModel: String
    public var cpuCount: Int
    public var faultbenchVersion: String
    public var gitCommit: String?
    /// The backing directory's filesystem type (tmpfs, ext4, ...).
    public var backingFilesystem: String

    public init(kernel: String, libfuse: String, mountOptions: [String], cpuModel: String, cpuCount: Int,
                faultbenchVersion: String, gitCommit: String?, backingFilesystem: String) {
        self.kernel = kernel
        self.libfuse = libfuse
        self.mountOptions = mountOptions
        self.cpuModel = cpuModel
        self.cpuCount = cpuCount
        self.faultbenchVersion = faultbenchVersion
        self.gitCommit = gitCommit
        self.backingFilesystem = backingFilesystem
    }
}

/// A scenario as the run used it.
public struct ScenarioRecord: Codable, Sendable, Hashable {
    public var id: String
    public var title: String
    public var description: String
    public var patterns: [String]
    /// The scenario file, relative to the working directory of the run.
    public var file: String
    /// SHA-256 of the scenario file's bytes.
    public var sha256: String
    /// Whether the scenario injects no fault (a control: the pattern's cost when nothing goes wrong).
    public var control: Bool
    public var timeout: Double
    public var rerun: RerunPolicy
    /// The scenario's own regression thresholds for `faultbench compare`; nil: the defaults.
    public var thresholds: Thresholds?
    /// Trials per arm the run planned for this scenario (warm-ups not
    /// included); nil in documents written before it was recorded.
    public var plannedTrials: Int?

    public init(id: String, title: String, description: String, patterns: [String], file: String, sha256: String,
                control: Bool, timeout: Double, rerun: RerunPolicy, thresholds: Thresholds? = nil, plannedTrials: Int? = nil) {
        self.id = id
        self.title = title
        self.description = description
        self.patterns = patterns
        self.file = file
        self.sha256 = sha256
        self.control = control
        self.timeout = timeout
        self.rerun = rerun
        self.thresholds = thresholds
        self.plannedTrials = plannedTrials
    }
}

/// What `faultbench compare` may call noise for one scenario.
public struct Thresholds: Codable, Sendable, Hashable {
    /// The largest drop in prevention (0...1) that is not a regression.
    public var preventionDrop: Double?
    /// The largest relative increase of a median time that is not a regression (0.05: 5 %).
    public var timeWorse: Double?

    public init(preventionDrop: Double? = nil, timeWorse: Double? = nil) {
        self.preventionDrop = preventionDrop
        self.timeWorse = timeWorse
    }
}

/// How a failed trial is rerun in the modelled time to a correct state.
public struct RerunPolicy: Codable, Sendable, Hashable {
    /// Reruns after a failure, at most.
    public var max: Int
    /// Seconds each failure adds (a person noticing and restarting); the
    /// seed's minutes per failure of the pattern unless the scenario says.
    public var recoveryCost: Double

    public init(max: Int, recoveryCost: Double) {
        self.max = max
        self.recoveryCost = recoveryCost
    }
}

/// Shares of failures per pattern, used to weight suite-wide aggregates.
public struct FailureMix: Codable, Sendable, Hashable {
    /// Where the mix came from: `seed` or a file name.
    public var source: String
    /// Pattern ID to share (need not add up to 1; weights are normalised over the patterns measured).
    public var shares: [String: Double]

    public init(source: String, shares: [String: Double]) {
        self.source = source
        self.shares = shares
    }

    /// The seed's shares (../shared/seed/patterns-facts.md, section 2):
    /// PATTERN-003 has none there.
    public static let seed = FailureMix(source: "seed", shares: [
        "EXEC-001": 0.07, "EXEC-002": 0.22, "EXEC-003": 0.16, "EXEC-004": 0.02,
        "PATTERN-001": 0.04, "PATTERN-002": 0.16,
    ])
}

/// How fast the run went.
public struct RunTiming: Codable, Sendable, Hashable {
    public var wallSeconds: Double
    public var trialsPerSecond: Double
    /// The harness's own time per trial outside the executor, median and p90, in seconds.
    public var overheadMedian: Double
    public var overheadP90: Double

    public init(wallSeconds: Double, trialsPerSecond: Double, overheadMedian: Double, overheadP90: Double) {
        self.wallSeconds = wallSeconds
        self.trialsPerSecond = trialsPerSecond
        self.overheadMedian = overheadMedian
        self.overheadP90 = overheadP90
    }
}
