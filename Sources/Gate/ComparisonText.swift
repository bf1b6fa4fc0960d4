import Foundation

extension Comparison {
    /// The comparison as plain text for a terminal or a CI log: the overall
    /// verdict and exit code, what differs, then one block per scenario
    /// (regressions first) with its reasons.
    public func plainText(baselineName: String, resultName: String) -> String {
        var lines: [String] = []
        lines.append("faultbench compare: \(verdict.rawValue.uppercased()) (exit \(exitCode))")
        lines.append("baseline: \(baselineName) (run \(baseline.runID)\(baseline.complete ? "" : ", partial"))")
        lines.append("result:   \(resultName) (run \(result.runID)\(result.complete ? "" : ", partial"))")
        for sentence in summary { lines.append("  " + sentence) }
        if environmentDifferences.isEmpty { lines.append("environment: the same fingerprint on both sides") }
        guard compared else { return lines.joined(separator: "\n") }
        lines.append("")
        let width = max(8, scenarios.map(\.id.count).max() ?? 8)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        lines.append(pad("scenario", width) + "  " + pad("verdict", 12) + "  on-arm errors   prevention      median on-arm time")
        let order: [Verdict] = [.regression, .inconclusive, .improvement, .noChange]
        let sorted = scenarios.enumerated().sorted {
            (order.firstIndex(of: $0.element.verdict)!, $0.offset) < (order.firstIndex(of: $1.element.verdict)!, $1.offset)
        }.map(\.element)
        for scenario in sorted {
            var errors = "-", prevention = "-", time = "-"
            if let e = scenario.errors {
                errors = "\(e.baselineOn.errors)/\(e.baselineOn.n) -> \(e.resultOn.errors)/\(e.resultOn.n)"
                prevention = scenario.control ? "control" : "\(Gate.percent(e.baselinePrevention)) -> \(Gate.percent(e.resultPrevention))"
            }
            if let t = scenario.time, let change = t.change {
                let judged = t.basis == .relativeToOffArm ? "; against off \(Gate.signedPercent(change))" : " (\(Gate.signedPercent(change)))"
                time = "\(Gate.seconds(t.baselineMedian)) -> \(Gate.seconds(t.resultMedian))" + judged
            }
            lines.append(pad(scenario.id, width) + "  " + pad(scenario.verdict.rawValue, 12) + "  " + pad(errors, 14)
                         + "  " + pad(prevention, 14) + "  " + time)
            if scenario.verdict != .noChange {
                for reason in scenario.reasons { lines.append("    " + reason) }
            }
        }
        return lines.joined(separator: "\n")
    }
}
