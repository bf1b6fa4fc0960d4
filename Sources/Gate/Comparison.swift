import Results

/// A verdict of the gate, for one scenario or for the whole comparison.
public enum Verdict: String, Codable, Sendable, Hashable, Comparable {
    /// Nothing significant and large changed.
    case noChange = "no-change"
    /// Significantly and largely better, and nothing worse.
    case improvement
    /// The gate cannot tell: too few trials, a scenario on one side only, a
    /// fault that bit in neither run, a partial run, another environment.
    case inconclusive
    /// Significantly and largely worse.
    case regression

    /// The exit code `faultbench compare` ends with for this overall verdict.
    public var exitCode: Int32 {
        switch self {
        case .noChange: 0
        case .regression: 2
        case .inconclusive: 3
        case .improvement: 4
        }
    }

    /// Regression outranks inconclusive, which outranks improvement, which outranks no change.
    private var rank: Int {
        switch self {
        case .noChange: 0
        case .improvement: 1
        case .inconclusive: 2
        case .regression: 3
        }
    }

    public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.rank < rhs.rank }
}

/// One result against its baseline: what `faultbench compare` decides and why.
public struct Comparison: Codable, Sendable, Hashable {
    /// `faultbench.comparison/1`.
    public var format = "faultbench.comparison/1"
    public var verdict: Verdict
    /// 0 no change, 2 regression, 3 inconclusive or not comparable, 4 improvement only.
    public var exitCode: Int32
    /// Why the overall verdict is what it is, in sentences.
    public var summary: [String]
    public var baseline: RunSummary
    public var result: RunSummary
    /// What differs between the two environments' fingerprints.
    public var environmentDifferences: [String]
    /// Whether scenarios were compared (false: the environments differ and `--allow-env-change` was not given).
    public var compared: Bool
    public var options: GateOptions
    public var scenarios: [ScenarioComparison]

    public init(verdict: Verdict, summary: [String], baseline: RunSummary, result: RunSummary,
                environmentDifferences: [String], compared: Bool, options: GateOptions,
                scenarios: [ScenarioComparison]) {
        self.verdict = verdict
        self.exitCode = verdict.exitCode
        self.summary = summary
        self.baseline = baseline
        self.result = result
        self.environmentDifferences = environmentDifferences
        self.compared = compared
        self.options = options
        self.scenarios = scenarios
    }
}

/// Which run a side of the comparison is.
public struct RunSummary: Codable, Sendable, Hashable {
    public var runID: String
    public var startedAt: String
    public var seed: UInt64
    public var complete: Bool
    public var shard: Shard?
    public var gitCommit: String?

    public init(_ run: RunResult) {
        runID = run.runID
        startedAt = run.startedAt
        seed = run.seed
        complete = run.complete
        shard = run.options.shard
        gitCommit = run.environment.gitCommit
    }
}

/// One scenario in both results.
public struct ScenarioComparison: Codable, Sendable, Hashable {
    public var id: String
    public var control: Bool
    public var verdict: Verdict
    /// Why, one sentence each.
    public var reasons: [String]
    /// The error rates of the pattern-on arm; absent when the scenario is on one side only.
    public var errors: ErrorComparison?
    /// The pattern-on arm's wall times; absent when the scenario is on one side only.
    public var time: TimeComparison?

    public init(id: String, control: Bool, verdict: Verdict, reasons: [String], errors: ErrorComparison?,
                time: TimeComparison?) {
        self.id = id
        self.control = control
        self.verdict = verdict
        self.reasons = reasons
        self.errors = errors
        self.time = time
    }
}

/// Counted errors and trials of one arm.
public struct ErrorCount: Codable, Sendable, Hashable {
    public var errors: Int
    public var n: Int

    public init(errors: Int, n: Int) {
        self.errors = errors
        self.n = n
    }

    public var rate: Double? { n > 0 ? Double(errors) / Double(n) : nil }
}

/// The pattern-on arm's errors in the baseline and the result, and prevention on each side.
public struct ErrorComparison: Codable, Sendable, Hashable {
    public var baselineOn: ErrorCount
    public var resultOn: ErrorCount
    public var baselineOff: ErrorCount
    public var resultOff: ErrorCount
    /// Absent where the fault did not bite or an arm is empty.
    public var baselinePrevention: Double?
    public var resultPrevention: Double?
    /// How much worse the result is, on a 0...1 scale: the drop in prevention
    /// when both sides have one, otherwise the rise of the on arm's error rate.
    public var worsening: Double?
    /// What `worsening` measures: `prevention-drop` or `on-error-rate-rise`.
    public var measure: String?
    /// The largest worsening (and improvement) that is not counted.
    public var threshold: Double
    /// One-sided Fisher exact p that the result's on arm has more errors, and its Holm adjustment.
    public var pWorse: Double?
    public var pWorseHolm: Double?
    /// One-sided Fisher exact p that it has fewer, and its Holm adjustment.
    public var pBetter: Double?
    public var pBetterHolm: Double?
}

/// The pattern-on arm's wall times in the baseline and the result.
public struct TimeComparison: Codable, Sendable, Hashable {
    /// What was compared: the on arm's times relative to its own run's off arm, or raw seconds.
    public var basis: TimeBasis
    /// The on arm's median seconds.
    public var baselineMedian: Double?
    public var resultMedian: Double?
    /// The off arm's median seconds, the yardstick of `relative-to-off-arm`.
    public var baselineOffMedian: Double?
    public var resultOffMedian: Double?
    /// The change of the compared median, result over baseline − 1 (for
    /// `relative-to-off-arm`: of median(on)/median(off)); above 0 the result is slower.
    public var change: Double?
    public var threshold: Double
    /// One-sided Mann–Whitney U p that the result is slower, and its Holm adjustment.
    public var pSlower: Double?
    public var pSlowerHolm: Double?
    /// One-sided Mann–Whitney U p that it is faster, and its Holm adjustment.
    public var pFaster: Double?
    public var pFasterHolm: Double?
    /// `exact` or `normal`, as the Mann–Whitney test reports.
    public var method: String?

    public init(threshold: Double, basis: TimeBasis) {
        self.threshold = threshold
        self.basis = basis
    }
}
