import Results

/// A run's figures beside a baseline's, and the scenarios judged worse.
public struct BaselineComparison: Sendable {
    public var run: RunResult
    public var figures: FigureReport
    public var regressions: [Regression]
    /// The name of the rule that judged the regressions, printed with them.
    public var judge: String
}

/// A scenario found worse than in the baseline.
public struct Regression: Codable, Sendable, Hashable {
    /// The scenario's id.
    public var scenario: String
    /// What got worse, in one sentence.
    public var message: String

    public init(scenario: String, message: String) {
        self.scenario = scenario
        self.message = message
    }
}

/// Decides which scenarios regressed against a baseline.
///
/// The hook through which the CI gate's verdicts (`faultbench compare`:
/// Fisher's exact test with Holm's correction and a threshold for error
/// rates, Mann-Whitney and a 5% median threshold for times) reach the
/// JUnit, Markdown and HTML reports. Reports never compute a test of
/// their own; they show what the judge says.
public protocol RegressionJudge: Sendable {
    /// A short name, shown with the verdicts.
    var name: String { get }
    /// The scenarios of `current` that are worse than in `baseline`.
    func regressions(current: RunResult, currentFigures: FigureReport,
                     baseline: RunResult, baselineFigures: FigureReport) -> [Regression]
}

/// PROVISIONAL: a regression is a scenario whose prevention 95% interval
/// lies wholly below the baseline's, read from the figures both documents
/// already carry.
///
/// Deliberately conservative (non-overlapping intervals are stricter than
/// a test at 5%) and free of statistics of its own. Times are left out: two
/// runs of the same code on a shared machine gave one scenario speedup
/// intervals that did not overlap (2.7x [2.32, 3.37] against 1.4x [1.17,
/// 1.74]), and judging times needs the gate's care (times relative to the
/// run's own off arm, a threshold, Holm's correction). It stands in until
/// the gate's own verdicts are wired in as the `RegressionJudge`.
public struct IntervalOverlapRule: RegressionJudge {
    public init() {}

    public var name: String { "provisional rule: prevention intervals that do not overlap" }

    public func regressions(current: RunResult, currentFigures: FigureReport,
                            baseline: RunResult, baselineFigures: FigureReport) -> [Regression] {
        let before = Dictionary(baselineFigures.scenarios.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var found: [Regression] = []
        for now in currentFigures.scenarios {
            guard let then = before[now.id] else { continue }
            var reasons: [String] = []
            if let a = then.prevention, let b = now.prevention, b.upper < a.lower {
                reasons.append("prevention fell from \(pct(a)) to \(pct(b))")
            }
            if !reasons.isEmpty {
                found.append(Regression(scenario: now.id, message: reasons.joined(separator: "; ") + "."))
            }
        }
        return found
    }

    private func pct(_ e: Estimate) -> String {
        "\(Int((e.estimate * 100).rounded()))% [\(Int((e.lower * 100).rounded())), \(Int((e.upper * 100).rounded()))]"
    }

}
