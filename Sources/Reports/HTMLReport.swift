import Crypto
import Figures
import Foundation
import Results

/// One self-contained HTML page: inline CSS, script and SVG, and a Content
/// Security Policy that forbids every network request and every script but
/// the page's own (by its SHA-256), so an escaping mistake still could not
/// run a claim's text as code.
///
/// Sections: the summary tables, the charts (prevention per pattern with
/// intervals, the outcome mix per arm, the time distribution per arm, and
/// the comparison with the baseline), then a table of trials per scenario;
/// clicking a trial (or its dot in the time chart) shows its claim, ground
/// truth and fault trace. Trials travel as JSON in a data block the script
/// reads, and the script writes them with `textContent` only.
///
/// The page marks itself for tests: `data-report-ready="1"` on `<html>` once
/// its script has run, and `data-script-errors` with the count of errors
/// the page caught (their messages in `#script-errors`).
public struct HTMLReport: Report {
    public init() {}

    public func render(_ input: ReportInput) throws(ReportError) -> String {
        let run = input.run, figures = input.figures
        let title = "faultbench report: run " + run.runID
        let style = HTMLAssets.style
        let script = HTMLAssets.script
        let csp = "default-src 'none'; style-src '\(Self.hash(style))'; script-src '\(Self.hash(script))'; img-src data:; base-uri 'none'; form-action 'none'"
        var body: [String] = []

        body.append("<header><h1>\(Escape.html(title))</h1>")
        if let notice = input.partialNotice {
            body.append("<p id=\"partial-banner\" class=\"banner\">\(Escape.html(notice))</p>")
        }
        body.append("<p class=\"meta\">\(Escape.html(MarkdownReport.runFacts(run).joined(separator: " · ")))</p>")
        body.append("<p id=\"script-errors\" class=\"banner\" hidden></p></header>")

        body.append("<section id=\"summary\"><h2>Summary</h2>")
        body.append("<p>Error rates and prevention with \(SummaryTable.percent(figures.level)) intervals; n counts trials per arm, warm-up excluded. Speedup is median(off)/median(on): above 1 the patterns are faster; a control shows its cost, median(on)/median(off).</p>")
        body.append(Self.table(id: "table-scenarios", first: "scenario", rows: figures.scenarios.map(SummaryTable.scenarioRow)))
        body.append(Self.table(id: "table-patterns", first: "pattern (weight)", rows: figures.patterns.map(SummaryTable.patternRow)))
        var suiteRows = [SummaryTable.aggregateRow("pooled", patterns: "all", figures.suite.pooled)]
        if let weighted = figures.suite.weighted {
            suiteRows.append(SummaryTable.aggregateRow("weighted (\(figures.suite.mixSource))", patterns: "mix", weighted))
        }
        body.append(Self.table(id: "table-suite", first: "suite", rows: suiteRows))
        body.append("</section>")

        body.append("<section id=\"charts\"><h2>Charts</h2>")
        body.append("<figure>" + SVGCharts.prevention(figures) + "</figure>")
        body.append("<figure>" + SVGCharts.outcomes(figures) + "</figure>")
        body.append("<figure>" + SVGCharts.times(run, figures) + "</figure>")
        body.append("</section>")

        if let baseline = input.baseline {
            body.append("<section id=\"baseline\"><h2>Against the baseline \(Escape.html(baseline.run.runID))</h2>")
            body.append("<div id=\"chart-baseline\"><figure>" + SVGCharts.baseline(figures, baseline) + "</figure></div>")
            if baseline.regressions.isEmpty {
                body.append("<p id=\"regressions\">No regression (\(Escape.html(baseline.judge))).</p>")
            } else {
                body.append("<div id=\"regressions\"><p><strong>Regressions</strong> (\(Escape.html(baseline.judge))):</p><ul>")
                body += baseline.regressions.map { "<li><code>\(Escape.html($0.scenario))</code>: \(Escape.html($0.message))</li>" }
                body.append("</ul></div>")
            }
            body.append("</section>")
        }

        body.append("<section id=\"trials\"><h2>Trials</h2><p>Click a trial to see its claim, its ground truth and its fault trace. Warm-up trials are listed but never counted.</p>")
        body.append(Self.trialTables(run))
        body.append("</section>")

        body.append("<section id=\"notes\"><h2>Notes</h2><ul>")
        body += figures.suite.notes.map { "<li>\(Escape.html($0))</li>" }
        body.append("</ul></section>")

        body.append("<aside id=\"trial-detail\" hidden><button type=\"button\" id=\"trial-detail-close\" aria-label=\"close\">×</button><div id=\"trial-detail-body\"></div></aside>")

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data
        do { data = try encoder.encode(run.trials) } catch {
            throw ReportError("the trials could not be encoded for the HTML report: \(error).")
        }
        body.append("<script type=\"application/json\" id=\"trial-data\">" + Escape.jsonForScript(String(decoding: data, as: UTF8.self)) + "</script>")
        body.append("<script>" + script + "</script>")

        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="\(csp)">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(Escape.html(title))</title>
        <style>\(style)</style>
        </head>
        <body>
        \(body.joined(separator: "\n"))
        </body>
        </html>

        """
    }

    /// A CSP source for an inline element's exact text.
    static func hash(_ text: String) -> String {
        "sha256-" + Data(SHA256.hash(data: Data(text.utf8))).base64EncodedString()
    }

    static func table(id: String, first: String, rows: [[String]]) -> String {
        var head = SummaryTable.header
        head[0] = first
        var out = "<table id=\"\(id)\" class=\"figures\"><thead><tr>" + head.map { "<th>\(Escape.html($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows {
            out += "<tr>" + row.enumerated().map { i, cell in "<td\(i < 2 ? " class=\"text\"" : "")>\(Escape.html(cell))</td>" }.joined() + "</tr>"
        }
        return out + "</tbody></table>"
    }

    /// One collapsible table per scenario; each row a trial, `data-trial` its index in the document's trials.
    static func trialTables(_ run: RunResult) -> String {
        let byScenario = Dictionary(grouping: run.trials.enumerated(), by: \.element.scenario)
        var out = ""
        var scenarios = run.scenarios.map { ($0.id, $0.title, $0.description) }
        // Trials of a scenario the document does not list are still shown.
        for id in byScenario.keys.sorted() where !scenarios.contains(where: { $0.0 == id }) {
            scenarios.append((id, "(not listed in the document)", ""))
        }
        for (id, title, description) in scenarios {
            let trials = (byScenario[id] ?? []).sorted { ($0.element.arm, $0.element.warmup ? 0 : 1, $0.element.number) < ($1.element.arm, $1.element.warmup ? 0 : 1, $1.element.number) }
            out += "<details class=\"scenario\"><summary><code>\(Escape.html(id))</code> \(Escape.html(title)) <span class=\"muted\">(\(trials.count) trials)</span></summary>"
            if !description.isEmpty { out += "<p class=\"description\">\(Escape.html(description))</p>" }
            out += "<table class=\"trials\"><thead><tr><th>trial</th><th>arm</th><th>#</th><th>outcome</th><th>time</th><th>attempts</th><th>faults</th><th>reason</th></tr></thead><tbody>"
            for (index, t) in trials {
                out += "<tr class=\"trial\" data-trial=\"\(index)\" tabindex=\"0\"><td><code>\(Escape.html(t.id))</code></td><td>\(t.arm.rawValue)</td><td>\(t.number)\(t.warmup ? " (warm-up)" : "")</td><td><span class=\"badge o-\(t.outcome.rawValue)\">\(t.outcome.rawValue)</span></td><td>\(SVGCharts.secondsLabel(t.seconds))</td><td>\(t.attempts)</td><td>\(t.faults.count)</td><td class=\"reason\">\(Escape.html(t.reason))</td></tr>"
            }
            out += "</tbody></table></details>"
        }
        return out
    }
}
