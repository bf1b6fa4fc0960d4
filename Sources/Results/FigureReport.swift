/// The figures of a run, as the Figures module computes them from the trials
/// (DESIGN.md, "Figures"): per scenario (one cell per scenario and arm), per
/// pattern, and for the whole suite.
///
/// Every figure is recomputable from the trials of the same document, so a
/// reader who doubts one can check it. Warm-up trials are never counted.
/// A figure that cannot be computed (an empty arm, a fault that did not bite)
/// is absent, never zero.
public struct FigureReport: Codable, Sendable, Hashable {
    /// The confidence level of every interval in the report.
    public var level: Double
    /// Bootstrap resamples behind every bootstrap interval.
    public var resamples: Int
    /// The run seed the bootstrap generators were derived from.
    public var seed: UInt64
    public var scenarios: [ScenarioFigures]
    public var patterns: [PatternFigures]
    public var suite: SuiteFigures

    public init(level: Double, resamples: Int, seed: UInt64, scenarios: [ScenarioFigures],
                patterns: [PatternFigures], suite: SuiteFigures) {
        self.level = level
        self.resamples = resamples
        self.seed = seed
        self.scenarios = scenarios
        self.patterns = patterns
        self.suite = suite
    }
}

/// A point estimate with its interval and the method that produced it.
public struct Estimate: Codable, Sendable, Hashable {
    public var estimate: Double
    public var lower: Double
    public var upper: Double
    /// How the interval was computed, e.g. `wilson`, `koopman-score`, `percentile-bootstrap`.
    public var method: String

    public init(estimate: Double, lower: Double, upper: Double, method: String) {
        self.estimate = estimate
        self.lower = lower
        self.upper = upper
        self.method = method
    }
}

/// A value for each arm.
public struct PerArm<Value: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    public var off: Value
    public var on: Value

    public init(off: Value, on: Value) {
        self.off = off
        self.on = on
    }
}

/// How many counted trials of a cell ended in each outcome.
public struct OutcomeCounts: Codable, Sendable, Hashable {
    public var success = 0
    public var detected = 0
    public var silent = 0
    public var corrupt = 0
    public var crash = 0
    public var hang = 0

    public init() {}

    /// The count of one outcome.
    public subscript(outcome: Outcome) -> Int {
        get {
            switch outcome {
            case .success: success
            case .detected: detected
            case .silent: silent
            case .corrupt: corrupt
            case .crash: crash
            case .hang: hang
            }
        }
        set {
            switch outcome {
            case .success: success = newValue
            case .detected: detected = newValue
            case .silent: silent = newValue
            case .corrupt: corrupt = newValue
            case .crash: crash = newValue
            case .hang: hang = newValue
            }
        }
    }

    /// All trials counted.
    public var total: Int { Outcome.allCases.reduce(0) { $0 + self[$1] } }
    /// Trials whose outcome is an error (silent, corrupt, crash, hang).
    public var errors: Int { Outcome.allCases.filter(\.isError).reduce(0) { $0 + self[$1] } }
}

/// Median and 90th percentile of a cell's wall times, in seconds.
public struct TimeSummary: Codable, Sendable, Hashable {
    public var median: Double
    public var p90: Double

    public init(median: Double, p90: Double) {
        self.median = median
        self.p90 = p90
    }
}

/// The modelled time to a correct state of one arm: a model, never a measurement.
///
/// A run that does not end in `success` is rerun, up to `maxReruns` times;
/// each rerun costs `recoveryCost` (a person noticing and restarting) plus
/// the arm's measured median time, and fails again with probability
/// `failureRate`. `expectedSeconds` is the expected total;
/// `unresolvedProbability` is the chance that the last rerun fails too.
public struct ModelledTime: Codable, Sendable, Hashable {
    /// Always `model`, so no reader mistakes it for a measured time.
    public var label: String
    /// The measured median wall time the model starts from, in seconds.
    public var measuredMedian: Double
    /// The chance one run does not reach the correct state: 1 − success rate.
    public var failureRate: Double
    public var maxReruns: Int
    public var recoveryCost: Double
    public var expectedSeconds: Double
    public var unresolvedProbability: Double

    public init(measuredMedian: Double, failureRate: Double, maxReruns: Int, recoveryCost: Double,
                expectedSeconds: Double, unresolvedProbability: Double) {
        self.label = "model"
        self.measuredMedian = measuredMedian
        self.failureRate = failureRate
        self.maxReruns = maxReruns
        self.recoveryCost = recoveryCost
        self.expectedSeconds = expectedSeconds
        self.unresolvedProbability = unresolvedProbability
    }
}

/// The figures of one arm of one scenario.
public struct ArmFigures: Codable, Sendable, Hashable {
    /// Counted trials (warm-up excluded).
    public var n: Int
    public var outcomes: OutcomeCounts
    public var errors: Int
    /// errors / n with a Wilson interval; absent when n = 0.
    public var errorRate: Estimate?
    /// successes / n with a Wilson interval; absent when n = 0.
    public var successRate: Estimate?
    public var meanAttempts: Double?
    public var wallTime: TimeSummary?
    /// The modelled time to a correct state; absent when n = 0.
    public var timeToCorrectState: ModelledTime?

    public init(n: Int, outcomes: OutcomeCounts, errors: Int, errorRate: Estimate?, successRate: Estimate?,
                meanAttempts: Double?, wallTime: TimeSummary?, timeToCorrectState: ModelledTime?) {
        self.n = n
        self.outcomes = outcomes
        self.errors = errors
        self.errorRate = errorRate
        self.successRate = successRate
        self.meanAttempts = meanAttempts
        self.wallTime = wallTime
        self.timeToCorrectState = timeToCorrectState
    }
}

/// The figures of one scenario: its two cells and how they compare.
public struct ScenarioFigures: Codable, Sendable, Hashable {
    public var id: String
    public var patterns: [String]
    public var control: Bool
    public var arms: PerArm<ArmFigures>
    /// A fault scenario whose off arm shows no error: the fault did not bite,
    /// so the scenario says nothing about prevention.
    public var faultDidNotBite: Bool
    /// 1 − rate(on)/rate(off); absent for a control, when the fault did not
    /// bite, or when an arm is empty.
    public var prevention: Estimate?
    /// median(off)/median(on): above 1 the on arm is faster.
    public var speedup: Estimate?
    /// A control's cost: median(on)/median(off), above 1 the patterns cost time.
    public var cost: Estimate?
    /// Modelled expected time to a correct state, off/on. A model.
    public var modelledSpeedup: Double?

    public init(id: String, patterns: [String], control: Bool, arms: PerArm<ArmFigures>, faultDidNotBite: Bool,
                prevention: Estimate?, speedup: Estimate?, cost: Estimate?, modelledSpeedup: Double?) {
        self.id = id
        self.patterns = patterns
        self.control = control
        self.arms = arms
        self.faultDidNotBite = faultDidNotBite
        self.prevention = prevention
        self.speedup = speedup
        self.cost = cost
        self.modelledSpeedup = modelledSpeedup
    }
}

/// Figures over several scenarios: pooled or weighted.
public struct AggregateFigures: Codable, Sendable, Hashable {
    /// How the scenarios were combined (pooled counts, or the failure-mix weights).
    public var method: String
    /// The fault scenarios whose error counts entered the figures.
    public var scenarios: [String]
    /// Counted trials per arm (for weighted figures: the Kish effective n).
    public var n: PerArm<Double>
    public var errorRate: PerArm<Estimate>?
    public var successRate: PerArm<Double>?
    public var prevention: Estimate?
    /// Geometric mean of the scenarios' median(off)/median(on), with a
    /// bootstrap interval that resamples every cell.
    public var speedup: Estimate?
    /// Geometric mean of the controls' median(on)/median(off).
    public var controlCost: Estimate?
    /// Geometric mean of the scenarios' modelled speedups. A model.
    public var modelledSpeedup: Double?

    public init(method: String, scenarios: [String], n: PerArm<Double>, errorRate: PerArm<Estimate>?,
                successRate: PerArm<Double>?, prevention: Estimate?, speedup: Estimate?, controlCost: Estimate?,
                modelledSpeedup: Double?) {
        self.method = method
        self.scenarios = scenarios
        self.n = n
        self.errorRate = errorRate
        self.successRate = successRate
        self.prevention = prevention
        self.speedup = speedup
        self.controlCost = controlCost
        self.modelledSpeedup = modelledSpeedup
    }
}

/// The figures of one pattern, pooled over the scenarios that list it.
public struct PatternFigures: Codable, Sendable, Hashable {
    public var id: String
    /// The pattern's share in the failure mix, as given; absent when it has none.
    public var share: Double?
    /// Its weight in the suite's weighted figures (shares normalised over the
    /// patterns measured); absent when it is not weighted.
    public var weight: Double?
    /// Every scenario listing the pattern.
    public var scenarios: [String]
    /// Fault scenarios left out of prevention because the fault did not bite.
    public var didNotBite: [String]
    /// Counted-trial pooled figures (the fault scenarios only; controls give `controlCost`).
    public var pooled: AggregateFigures

    public init(id: String, share: Double?, weight: Double?, scenarios: [String], didNotBite: [String],
                pooled: AggregateFigures) {
        self.id = id
        self.share = share
        self.weight = weight
        self.scenarios = scenarios
        self.didNotBite = didNotBite
        self.pooled = pooled
    }
}

/// The whole suite: unweighted pooled figures and the failure-mix weighted ones.
public struct SuiteFigures: Codable, Sendable, Hashable {
    /// Where the mix came from (`seed` or a file name).
    public var mixSource: String
    /// The weight of each pattern in `weighted`, adding up to 1.
    public var weights: [String: Double]
    /// Patterns measured but not weighted (no share in the mix), reported unweighted only.
    public var unweighted: [String]
    public var pooled: AggregateFigures
    /// Absent when no measured pattern has a share.
    public var weighted: AggregateFigures?
    /// Where the mix or the seed's own numbers do not add up, in sentences.
    public var notes: [String]

    public init(mixSource: String, weights: [String: Double], unweighted: [String], pooled: AggregateFigures,
                weighted: AggregateFigures?, notes: [String]) {
        self.mixSource = mixSource
        self.weights = weights
        self.unweighted = unweighted
        self.pooled = pooled
        self.weighted = weighted
        self.notes = notes
    }
}
