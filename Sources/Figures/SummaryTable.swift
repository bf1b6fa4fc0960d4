import Foundation
import Results

/// The plain-text summary `faultbench run` prints at the end: one row per
/// scenario, then per pattern, then the suite, then the notes.
///
/// A pure function of the figures and the document, so it can be checked
/// against a golden file and printed again from a stored result.
public enum SummaryTable {
    /// The header row, shared by the scenario, pattern and suite sections.
    public static let header = ["", "patterns", "n off/on", "errors off", "errors on", "prevention",
                         "median off", "median on", "speedup"]

    /// Renders the summary of a run.
    ///
    /// - Parameters:
    ///   - report: the figures, as `Figures.compute(_:)` returns them.
    ///   - run: the document they were computed from (for its id, seed and completeness).
    /// - Returns: lines separated by `\n`, ending with one.
    public static func render(_ report: FigureReport, run: RunResult) -> String {
        var lines = ["faultbench run \(run.runID), seed \(run.seed)" + (run.complete ? "" : " (INTERRUPTED: partial results)"),
                     "Error rates and prevention with \(percent(report.level)) intervals; n counts trials per arm, warm-up excluded."]
        var rows: [[String]] = [header.with(first: "scenario")]
        rows += report.scenarios.map(scenarioRow)
        rows.append([])
        rows.append(header.with(first: "pattern (weight)"))
        rows += report.patterns.map(patternRow)
        rows.append([])
        rows.append(header.with(first: "suite"))
        rows.append(aggregateRow("pooled", patterns: "all", report.suite.pooled))
        if let weighted = report.suite.weighted {
            rows.append(aggregateRow("weighted (\(report.suite.mixSource))", patterns: "mix", weighted))
        }
        lines += align(rows)
        lines.append("")
        lines.append("Speedup is median(off)/median(on) (above 1: the patterns are faster); for a control, cost is median(on)/median(off).")
        lines.append("Aggregate speedups are geometric means over scenarios; \"model\" figures are modelled, never measured.")
        if let modelled = report.suite.weighted?.modelledSpeedup ?? report.suite.pooled.modelledSpeedup {
            lines.append("Modelled time to a correct state, off/on (model, with reruns and recovery cost): \(ratio(modelled)).")
        }
        lines.append("Notes:")
        lines += report.suite.notes.map { "  - " + $0 }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: Rows
    // Public so that every report (Markdown, HTML) shows the very cells
    // this table shows, formatted once.

    public static func scenarioRow(_ s: ScenarioFigures) -> [String] {
        let preventionText: String
        if s.control {
            preventionText = "control"
        } else if s.faultDidNotBite {
            preventionText = "did not bite"
        } else {
            preventionText = s.prevention.map(percentWithInterval) ?? "-"
        }
        let ratioText = s.control
            ? s.cost.map { "cost " + ratioWithInterval($0) } ?? "-"
            : s.speedup.map(ratioWithInterval) ?? "-"
        return [s.id, s.patterns.joined(separator: ","), "\(s.arms.off.n)/\(s.arms.on.n)",
                s.arms.off.errorRate.map(percentWithInterval) ?? "-",
                s.arms.on.errorRate.map(percentWithInterval) ?? "-",
                preventionText,
                s.arms.off.wallTime.map { seconds($0.median) } ?? "-",
                s.arms.on.wallTime.map { seconds($0.median) } ?? "-",
                ratioText]
    }

    public static func patternRow(_ p: PatternFigures) -> [String] {
        let name = p.id + " (" + (p.weight.map(percent) ?? "unweighted") + ")"
        var row = aggregateRow(name, patterns: "\(p.scenarios.count) scen.", p.pooled)
        if !p.pooled.scenarios.isEmpty && p.didNotBite.count == p.pooled.scenarios.count {
            row[5] = "did not bite"
        }
        return row
    }

    public static func aggregateRow(_ name: String, patterns: String, _ a: AggregateFigures) -> [String] {
        let n = "\(whole(a.n.off))/\(whole(a.n.on))"
        var ratioText = a.speedup.map(ratioWithInterval) ?? "-"
        if let cost = a.controlCost {
            ratioText += "; cost " + ratioWithInterval(cost)
        }
        return [name, patterns, n,
                a.errorRate.map { percentWithInterval($0.off) } ?? "-",
                a.errorRate.map { percentWithInterval($0.on) } ?? "-",
                a.prevention.map(percentWithInterval) ?? "-",
                "", "", ratioText]
    }

    // MARK: Formatting

    /// Pads every column to its widest cell; an empty row is a blank line.
    static func align(_ rows: [[String]]) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        return rows.map { row in
            let padded = row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }
            return padded.joined(separator: "  ")
        }
    }

    public static func percent(_ value: Double) -> String {
        String(format: "%.0f%%", value * 100)
    }

    public static func percentWithInterval(_ e: Estimate) -> String {
        String(format: "%.0f%% [%.0f, %.0f]", e.estimate * 100, e.lower * 100, e.upper * 100)
    }

    public static func ratio(_ value: Double) -> String {
        String(format: "%.2fx", value)
    }

    public static func ratioWithInterval(_ e: Estimate) -> String {
        String(format: "%.2fx [%.2f, %.2f]", e.estimate, e.lower, e.upper)
    }

    /// Milliseconds below a second, seconds above: trial times span both.
    public static func seconds(_ value: Double) -> String {
        value < 1 ? String(format: "%.1f ms", value * 1000) : String(format: "%.2f s", value)
    }

    /// A count, or an effective count to one decimal.
    public static func whole(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}

private extension Array where Element == String {
    func with(first: String) -> [String] {
        var copy = self
        copy[0] = first
        return copy
    }
}
