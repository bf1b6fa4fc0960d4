import Gate
import Reports
import Results

/// The CI gate's verdicts as the reports' `RegressionJudge`: a scenario
/// regressed when `faultbench compare` (with its default options) says so,
/// so a report and the gate never disagree. Lives in the CLI, the one
/// module that sees both Gate and Reports.
struct GateJudge: RegressionJudge {
    var options = GateOptions()

    var name: String { "the verdicts of faultbench compare" }

    func regressions(current: RunResult, currentFigures: FigureReport,
                     baseline: RunResult, baselineFigures: FigureReport) -> [Regression] {
        Gate.compare(current, baseline: baseline, options: options).scenarios
            .filter { $0.verdict == .regression }
            .map { Regression(scenario: $0.id, message: $0.reasons.joined(separator: " ")) }
    }
}
