import Figures
import Results

/// One output format of `faultbench report`: a pure function from a run's
/// results document (and, optionally, a baseline's) to the report's text.
///
/// One format is one type in one file (hyperfine's `Exporter`); adding a
/// format touches neither the runner nor the other formats.
public protocol Report: Sendable {
    /// Renders the report.
    ///
    /// - Parameter input: the run, its figures and the optional baseline comparison.
    /// - Returns: the whole report, ready to be written as it is.
    /// - Throws: `ReportError` when the report cannot be encoded.
    func render(_ input: ReportInput) throws(ReportError) -> String
}

/// The formats `faultbench report --format` knows.
public enum ReportFormat: String, CaseIterable, Sendable {
    /// Markdown for a CI job summary.
    case md
    /// One self-contained HTML page with SVG charts.
    case html
    /// JUnit XML: one test case per scenario.
    case junit
    /// The figures as JSON (see `JSONReport`).
    case json

    /// The type that renders this format.
    public var report: any Report {
        switch self {
        case .md: MarkdownReport()
        case .html: HTMLReport()
        case .junit: JUnitReport()
        case .json: JSONReport()
        }
    }
}

/// A report that cannot be made, in one sentence.
public struct ReportError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What every report reads: a run's results document, its figures, and the
/// comparison with a baseline when one was given.
public struct ReportInput: Sendable {
    public var run: RunResult
    /// The document's own figures; computed from its trials only when the
    /// document carries none (a report never recomputes stored figures).
    public var figures: FigureReport
    public var baseline: BaselineComparison?

    /// Checks that `run` (and `baseline`) can be reported on and gathers their figures.
    ///
    /// - Parameters:
    ///   - run: the results document.
    ///   - source: where it was read from, for the messages.
    ///   - baseline: a baseline results document and where it came from.
    ///   - judge: decides which scenarios regressed against the baseline.
    /// - Throws: `ReportError` for a run (or baseline) with no counted trial.
    public init(run: RunResult, source: String, baseline: (run: RunResult, source: String)? = nil,
                judge: any RegressionJudge = IntervalOverlapRule()) throws(ReportError) {
        try Self.requireTrials(run, source: source)
        self.run = run
        self.figures = run.figures ?? Figures.compute(run)
        if let baseline {
            try Self.requireTrials(baseline.run, source: baseline.source)
            let baseFigures = baseline.run.figures ?? Figures.compute(baseline.run)
            self.baseline = BaselineComparison(
                run: baseline.run, figures: baseFigures,
                regressions: judge.regressions(current: run, currentFigures: figures,
                                               baseline: baseline.run, baselineFigures: baseFigures),
                judge: judge.name)
        }
    }

    private static func requireTrials(_ run: RunResult, source: String) throws(ReportError) {
        guard run.trials.contains(where: { !$0.warmup }) else {
            throw ReportError("'\(source)' holds no counted trial (an empty run); report on a run that ran at least one trial.")
        }
    }

    /// Counted (non-warm-up) trials, in the document's order.
    var countedTrials: Int { run.trials.lazy.filter { !$0.warmup }.count }

    /// The trials the run planned: scenarios × arms × (trials + warm-up).
    var plannedTrials: Int {
        run.scenarios.reduce(0) { $0 + 2 * (($1.plannedTrials ?? run.options.trials ?? 0) + run.options.warmup) }
    }

    /// One sentence for the top of a report of an interrupted run; nil for a complete one.
    var partialNotice: String? {
        guard !run.complete else { return nil }
        return "Interrupted run: partial results. \(run.trials.count) of about \(plannedTrials) planned trials were recorded before the run stopped; every figure covers only those, and a scenario may be missing an arm. Finish it with faultbench run --resume."
    }
}
