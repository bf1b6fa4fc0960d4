import Figures
import Foundation
import Results

/// Markdown for a CI job summary (`>> $GITHUB_STEP_SUMMARY`): the summary
/// tables of `faultbench run` (scenarios, patterns, suite), a Mermaid chart
/// of prevention per pattern, the comparison with a baseline when one is
/// given, and the notes on the seed's claims. An interrupted run says so first.
public struct MarkdownReport: Report {
    public init() {}

    public func render(_ input: ReportInput) throws(ReportError) -> String {
        let run = input.run, figures = input.figures
        var out: [String] = ["# faultbench report: run \(code(run.runID))", ""]
        if let notice = input.partialNotice {
            out += ["> [!WARNING]", "> **\(notice)**", ""]
        }
        out.append(Self.runLine(run))
        out.append("")
        out.append("Error rates and prevention with \(SummaryTable.percent(figures.level)) intervals; n counts trials per arm, warm-up excluded.")
        out.append("")

        out += ["## Prevention per pattern", ""]
        out += Self.mermaid(figures)
        out.append("")

        out += ["## Scenarios", ""]
        out += table(header: SummaryTable.header, first: "scenario", rows: figures.scenarios.map(SummaryTable.scenarioRow))
        out += ["", "## Patterns", ""]
        out += table(header: SummaryTable.header, first: "pattern (weight)", rows: figures.patterns.map(SummaryTable.patternRow))
        out += ["", "## Suite", ""]
        var suiteRows = [SummaryTable.aggregateRow("pooled", patterns: "all", figures.suite.pooled)]
        if let weighted = figures.suite.weighted {
            suiteRows.append(SummaryTable.aggregateRow("weighted (\(figures.suite.mixSource))", patterns: "mix", weighted))
        }
        out += table(header: SummaryTable.header, first: "suite", rows: suiteRows)
        out.append("")
        out.append("Speedup is median(off)/median(on) (above 1: the patterns are faster); for a control, cost is median(on)/median(off). Aggregate speedups are geometric means over scenarios.")

        if let baseline = input.baseline {
            out += [""] + Self.comparison(figures, baseline)
        }

        out += ["", "## Notes", ""]
        out += figures.suite.notes.map { "- " + Escape.markdownCell($0) }
        if figures.suite.notes.isEmpty { out.append("- none") }
        return out.joined(separator: "\n") + "\n"
    }

    static func runLine(_ run: RunResult) -> String {
        runFacts(run).map(Escape.markdownCell).joined(separator: " · ")
    }

    /// What the run was, unescaped: each format escapes it its own way.
    static func runFacts(_ run: RunResult) -> [String] {
        let env = run.environment
        var parts = ["seed \(run.seed)",
                     "\(run.options.trials.map { "\($0) trials per arm" } ?? "each scenario's own trials per arm") (+\(run.options.warmup) warm-up)",
                     "\(run.scenarios.count) scenarios",
                     "started \(run.startedAt)",
                     "faultbench \(env.faultbenchVersion)" + (env.gitCommit.map { " (\($0))" } ?? ""),
                     "kernel \(env.kernel)", "libfuse \(env.libfuse)", "\(env.cpuCount) CPUs",
                     "backing \(env.backingFilesystem)"]
        if let glob = run.options.scenarioGlob { parts.insert("scenarios \(glob)", at: 3) }
        return parts
    }

    /// A Mermaid bar chart of each pattern's pooled prevention (point
    /// estimates: Mermaid draws no intervals; the pattern table has them).
    static func mermaid(_ figures: FigureReport) -> [String] {
        let measured = figures.patterns.compactMap { p in p.pooled.prevention.map { (p.id, $0) } }
        guard !measured.isEmpty else {
            return ["No pattern has a prevention figure (only controls, or no fault bit the pattern-off arm)."]
        }
        let values = measured.map { ($0.1.estimate * 100).rounded() }
        // Bars below zero (patterns that cause errors) are drawn by Mermaid
        // 11; the axis then scales itself, as a negative bound in the
        // axis line is not part of the documented syntax.
        let axis = (values.min() ?? 0) < 0 ? "    y-axis \"prevention (%)\"" : "    y-axis \"prevention (%)\" 0 --> 100"
        var lines = ["```mermaid", "xychart-beta",
                     "    title \"Error prevention per pattern (%), pooled over its fault scenarios\"",
                     "    x-axis [" + measured.map { "\"" + Escape.mermaidLabel($0.0) + "\"" }.joined(separator: ", ") + "]",
                     axis,
                     "    bar [" + values.map { String(Int($0)) }.joined(separator: ", ") + "]",
                     "```"]
        let missing = figures.patterns.filter { $0.pooled.prevention == nil }.map(\.id)
        if !missing.isEmpty {
            lines.append("")
            lines.append("Not charted (no prevention figure: only controls, or the fault did not bite): "
                         + missing.map(Escape.markdownCell).joined(separator: ", ") + ".")
        }
        return lines
    }

    static func comparison(_ figures: FigureReport, _ baseline: BaselineComparison) -> [String] {
        var out = ["## Against the baseline \(code(baseline.run.runID))", ""]
        let header = ["pattern", "prevention baseline", "prevention now", "speedup baseline", "speedup now"]
        let before = Dictionary(baseline.figures.patterns.map { ($0.id, $0.pooled) }, uniquingKeysWith: { a, _ in a })
        let now = Dictionary(figures.patterns.map { ($0.id, $0.pooled) }, uniquingKeysWith: { a, _ in a })
        let ids = Set(before.keys).union(now.keys).sorted()
        func p(_ a: AggregateFigures?) -> String { a?.prevention.map(SummaryTable.percentWithInterval) ?? "-" }
        func s(_ a: AggregateFigures?) -> String { a?.speedup.map(SummaryTable.ratioWithInterval) ?? "-" }
        var rows = ids.map { [$0, p(before[$0]), p(now[$0]), s(before[$0]), s(now[$0])] }
        rows.append(["suite (pooled)", p(baseline.figures.suite.pooled), p(figures.suite.pooled),
                     s(baseline.figures.suite.pooled), s(figures.suite.pooled)])
        out += table(header: header, first: "pattern", rows: rows)
        out.append("")
        if baseline.regressions.isEmpty {
            out.append("No regression (\(Escape.markdownCell(baseline.judge))).")
        } else {
            out.append("**Regressions** (\(Escape.markdownCell(baseline.judge))):")
            out.append("")
            out += baseline.regressions.map { "- " + Escape.markdownCell($0.scenario) + ": " + Escape.markdownCell($0.message) }
        }
        return out
    }
}

/// A Markdown table; every cell escaped.
private func table(header: [String], first: String, rows: [[String]]) -> [String] {
    var head = header
    head[0] = first
    var lines = ["| " + head.map(Escape.markdownCell).joined(separator: " | ") + " |",
                 "|" + head.indices.map { $0 == 0 || head[$0] == "patterns" ? "---" : "---:" }.joined(separator: "|") + "|"]
    lines += rows.map { row in "| " + row.map(Escape.markdownCell).joined(separator: " | ") + " |" }
    return lines
}

/// Inline code that survives any content: a fence longer than any run of backticks inside.
private func code(_ text: String) -> String {
    let cleaned = text.replacingOccurrences(of: "\n", with: " ")
    var longest = 0, current = 0
    for c in cleaned { current = c == "`" ? current + 1 : 0; longest = max(longest, current) }
    let fence = String(repeating: "`", count: longest + 1)
    return fence + " " + cleaned + " " + fence
}
