import Figures
import Foundation
import Results

/// JUnit XML for a CI system's test view: one test case per scenario.
///
/// A scenario fails when its fault did not bite (the pattern-off arm shows
/// no error, so the scenario measures nothing) and, with a baseline, when the
/// `RegressionJudge` finds it worse. A scenario with an empty arm (an
/// interrupted run) is skipped, and an interrupted run adds a failing case
/// `faultbench.run/complete`, so a partial run never passes a gate unseen.
public struct JUnitReport: Report {
    public init() {}

    public func render(_ input: ReportInput) throws(ReportError) -> String {
        let run = input.run
        let regressions = Dictionary(grouping: input.baseline?.regressions ?? [], by: \.scenario)
        let seconds = Dictionary(grouping: run.trials.filter { !$0.warmup }, by: \.scenario)
            .mapValues { $0.reduce(0) { $0 + $1.seconds } }
        var cases: [String] = []
        var failures = 0, skipped = 0
        for s in input.figures.scenarios {
            let name = Escape.xml(s.id)
            let classname = Escape.xml("faultbench." + (s.patterns.first ?? "scenario"))
            let time = String(format: "%.3f", seconds[s.id] ?? 0)
            var body: [String] = []
            if s.arms.off.n == 0 || s.arms.on.n == 0 {
                let arm = s.arms.off.n == 0 ? "off" : "on"
                body.append("    <skipped message=\"\(Escape.xml("the \(arm) arm has no counted trial (an interrupted run?); nothing to judge."))\"/>")
                skipped += 1
            } else {
                var failed = false
                if s.faultDidNotBite {
                    let message = "the fault did not bite: the pattern-off arm shows no error in \(s.arms.off.n) trials, so this scenario says nothing about prevention."
                    body.append("    <failure type=\"fault-did-not-bite\" message=\"\(Escape.xml(message))\"/>")
                    failed = true
                }
                for r in regressions[s.id] ?? [] {
                    body.append("    <failure type=\"regression\" message=\"\(Escape.xml(r.message))\">\(Escape.xml(input.baseline?.judge ?? ""))</failure>")
                    failed = true
                }
                if failed { failures += 1 }
            }
            body.append("    <system-out>\(Escape.xml(Self.summary(s)))</system-out>")
            cases.append("  <testcase classname=\"\(classname)\" name=\"\(name)\" time=\"\(time)\">\n" + body.joined(separator: "\n") + "\n  </testcase>")
        }
        if let notice = input.partialNotice {
            cases.insert("  <testcase classname=\"faultbench.run\" name=\"complete\" time=\"0\">\n    <failure type=\"interrupted\" message=\"\(Escape.xml(notice))\"/>\n  </testcase>", at: 0)
            failures += 1
        }
        var properties = [("runID", run.runID), ("seed", String(run.seed)), ("complete", String(run.complete)),
                          ("kernel", run.environment.kernel), ("libfuse", run.environment.libfuse)]
        if let baseline = input.baseline { properties.append(("baseline", baseline.run.runID)) }
        let props = properties.map { "    <property name=\"\($0.0)\" value=\"\(Escape.xml($0.1))\"/>" }.joined(separator: "\n")
        let total = String(format: "%.3f", run.timing?.wallSeconds ?? seconds.values.reduce(0, +))
        let suiteName = Escape.xml("faultbench " + run.runID)
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuites name="faultbench" tests="\(cases.count)" failures="\(failures)" errors="0" skipped="\(skipped)" time="\(total)">
        <testsuite name="\(suiteName)" tests="\(cases.count)" failures="\(failures)" errors="0" skipped="\(skipped)" time="\(total)" timestamp="\(Escape.xml(run.startedAt))">
          <properties>
        \(props)
          </properties>
        \(cases.joined(separator: "\n"))
        </testsuite>
        </testsuites>

        """
    }

    /// The scenario's row of the summary table, as one line.
    static func summary(_ s: ScenarioFigures) -> String {
        let row = SummaryTable.scenarioRow(s)
        return zip(SummaryTable.header.dropFirst(), row.dropFirst()).map { "\($0): \($1)" }.joined(separator: "; ")
    }
}
