import FaultFSTestSupport
import Figures
import Foundation
import Reports
import Results
import Testing

/// The repository's directory, two levels above this file.
let repositoryRoot: String = {
    var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/ReportsTests/ReportFormatTests.swift
    return parts.joined(separator: "/")
}()

/// The fixture against a baseline in which `exec-004/torn` was better: its
/// pattern-on arm had no error and ran three times faster (a planted regression).
func fixtureWithBaseline(complete: Bool = true) throws -> ReportInput {
    let baseline = ReportFixture.run(runID: "baseline-run")
    let current = ReportFixture.run(complete: complete, tornErrorsOn: 6, slower: 3)
    return try ReportInput(run: current, source: "current.json", baseline: (baseline, "baseline.json"))
}

func render(_ format: ReportFormat, _ input: ReportInput) throws -> String {
    try format.report.render(input)
}

@Suite struct ReportFormatTests {
    /// Each format of the fixture against its golden file. Re-record with
    /// `FAULTBENCH_RECORD_GOLDEN=1 swift test --filter ReportFormatTests`.
    @Test(arguments: [(ReportFormat.md, "report.md"), (.html, "report.html"), (.junit, "report.junit.xml"), (.json, "report.json")])
    func matchesTheGoldenFile(format: ReportFormat, file: String) throws {
        let text = try render(format, try fixtureWithBaseline())
        let golden = URL(fileURLWithPath: repositoryRoot + "/Tests/Golden/" + file)
        if ProcessInfo.processInfo.environment["FAULTBENCH_RECORD_GOLDEN"] == "1" {
            try Data(text.utf8).write(to: golden, options: .atomic)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(text == expected, "\(file) differs; re-record with FAULTBENCH_RECORD_GOLDEN=1 if the change is intended")
    }

    @Test func theProvisionalRuleFindsThePlantedRegressionAndNothingInAnAACase() throws {
        let input = try fixtureWithBaseline()
        let regressions = try #require(input.baseline?.regressions)
        #expect(regressions.map(\.scenario) == ["exec-004/torn"])
        let message = try #require(regressions.first?.message)
        #expect(message.hasPrefix("prevention fell from 100% [") && !message.contains("speedup"), "\(message)")
        // A run against itself: nothing regressed.
        let run = ReportFixture.run()
        let same = try ReportInput(run: run, source: "a.json", baseline: (run, "a.json"))
        #expect(same.baseline?.regressions == [])
    }

    @Test func markdownHasTheTablesTheChartAndTheNotesAndEscapesEveryCell() throws {
        let text = try render(.md, try fixtureWithBaseline())
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "# faultbench report: run ` fixture-run `")
        #expect(!text.contains("[!WARNING]"), "a complete run is not flagged as partial")
        #expect(text.contains("```mermaid\nxychart-beta\n"))
        #expect(lines.contains { $0.hasPrefix("    x-axis [\"EXEC-004\", \"PATTERN-003\"]") }, "EXEC-002 did not bite and has no bar")
        #expect(text.contains("Not charted (no prevention figure: only controls, or the fault did not bite): EXEC-002."))
        for section in ["## Scenarios", "## Patterns", "## Suite", "## Against the baseline ` baseline-run `", "## Notes"] {
            #expect(lines.contains(section), "\(section)")
        }
        #expect(lines.contains { $0.hasPrefix("- exec-004/torn: prevention fell") })
        // Every table row has as many unescaped column separators as its header.
        let header = try #require(lines.first { $0.hasPrefix("| scenario |") })
        func columns(_ line: String) -> Int {
            var n = 0, previous: Character = " "
            for c in line { if c == "|" && previous != "\\" { n += 1 }; previous = c }
            return n
        }
        let hostileRow = try #require(lines.first { $0.hasPrefix("| pattern-003/") })
        #expect(columns(hostileRow) == columns(header), "\(hostileRow)")
        #expect(!text.contains("<b>") && !text.contains("<script") && !text.contains("<img"))
        let figures = try #require(ReportFixture.run().figures)
        for note in figures.suite.notes.prefix(2) { #expect(text.contains("- " + note.replacingOccurrences(of: "*", with: "\\*"))) }
    }

    @Test func theMermaidChartDrawsANegativePreventionWithAnAxisThatScalesItself() throws {
        var run = ReportFixture.run()
        let i = try #require(run.figures?.patterns.firstIndex { $0.id == "EXEC-004" })
        run.figures?.patterns[i].pooled.prevention = Estimate(estimate: -1.5, lower: -4, upper: 0.2, method: "koopman-score")
        let text = try render(.md, try ReportInput(run: run, source: "a.json"))
        #expect(text.contains("    y-axis \"prevention (%)\"\n    bar [-150, 80]\n"), "\(text)")
        let normal = try render(.md, try ReportInput(run: ReportFixture.run(), source: "a.json"))
        #expect(normal.contains("    y-axis \"prevention (%)\" 0 --> 100\n    bar [100, 80]\n"))
    }

    @Test func aPartialRunSaysSoAtTheTopOfEveryFormat() throws {
        let input = try fixtureWithBaseline(complete: false)
        let md = try render(.md, input).split(separator: "\n").map(String.init)
        #expect(md[1] == "> [!WARNING]" && md[2].hasPrefix("> **Interrupted run: partial results."), "\(md.prefix(3))")
        let html = try render(.html, input)
        let banner = try #require(html.range(of: "<p id=\"partial-banner\""))
        #expect(html[..<banner.lowerBound].contains("<h1>") && !html[..<banner.lowerBound].contains("<section"))
        let junit = try render(.junit, input)
        #expect(junit.contains("<testcase classname=\"faultbench.run\" name=\"complete\" time=\"0\">\n    <failure type=\"interrupted\""))
        #expect(try render(.json, input).contains("\"complete\" : false"))
        // And a complete one does not.
        let whole = try fixtureWithBaseline()
        #expect(!(try render(.html, whole)).contains("partial-banner"))
        #expect(!(try render(.junit, whole)).contains("name=\"complete\" time"))
    }

    @Test func junitFailsTheScenarioThatDidNotBiteAndTheRegressionOnly() throws {
        let xml = try render(.junit, try fixtureWithBaseline())
        let cases = xml.components(separatedBy: "<testcase ").dropFirst()
        #expect(cases.count == 4)
        func body(_ name: String) throws -> String { try #require(cases.first { $0.contains("name=\"\(name)\"") }) }
        #expect(try body("exec-002/nobite").contains("<failure type=\"fault-did-not-bite\""))
        #expect(try body("exec-004/torn").contains("<failure type=\"regression\" message=\"prevention fell"))
        #expect(try !body("exec-004/control").contains("<failure"))
        #expect(try !body("pattern-003/&lt;b&gt;hostile&lt;/b&gt;").contains("<failure"))
        #expect(xml.contains("tests=\"4\" failures=\"2\" errors=\"0\" skipped=\"0\""))
        // Without a baseline there is no regression to fail on.
        let alone = try render(.junit, try ReportInput(run: ReportFixture.run(tornErrorsOn: 6, slower: 3), source: "x.json"))
        #expect(alone.contains("failures=\"1\"") && !alone.contains("type=\"regression\""))
        // The XML is well formed, as a CI system's parser reads it.
        let parsed = try xmlWellFormed(xml)
        #expect(parsed, "JUnit XML does not parse")
    }

    /// The hook the gate's verdicts come in through: whatever the judge says is what every format shows.
    @Test func theRegressionJudgeHookDecidesWhatTheReportsShow() throws {
        struct FixedJudge: RegressionJudge {
            var name: String { "a fixed judge" }
            func regressions(current: RunResult, currentFigures: FigureReport, baseline: RunResult, baselineFigures: FigureReport) -> [Regression] {
                [Regression(scenario: "exec-004/control", message: "the control got 9% slower & that is <too much>.")]
            }
        }
        let run = ReportFixture.run()
        let input = try ReportInput(run: run, source: "a.json", baseline: (run, "b.json"), judge: FixedJudge())
        let junit = try render(.junit, input)
        #expect(junit.contains("<failure type=\"regression\" message=\"the control got 9% slower &amp; that is &lt;too much&gt;.\">a fixed judge</failure>"))
        #expect(junit.contains("failures=\"2\""), "the regression and the fault that did not bite")
        #expect(try render(.md, input).contains("- exec-004/control: the control got 9% slower &amp; that is &lt;too much&gt;."))
        #expect(try render(.html, input).contains("<li><code>exec-004/control</code>: the control got 9% slower &amp; that is &lt;too much&gt;.</li>"))
        #expect(try render(.json, input).contains("\"judge\" : \"a fixed judge\""))
    }

    @Test func jsonIsTheFiguresAsTheDocumentStoresThem() throws {
        let input = try fixtureWithBaseline()
        let text = try render(.json, input)
        let document = try JSONDecoder().decode(JSONReport.Document.self, from: Data(text.utf8))
        #expect(document.format == "faultbench-figures" && document.version == 1)
        #expect(document.figures == input.run.figures)
        #expect(document.baseline?.figures == input.baseline?.run.figures)
        #expect(document.baseline?.regressions.map(\.scenario) == ["exec-004/torn"])
    }

    @Test func htmlRunsNoScriptButItsOwnAndLoadsNothing() throws {
        let html = try render(.html, try fixtureWithBaseline())
        // One executable script (the page's) and one JSON data block; the
        // hostile text is in the document only escaped.
        #expect(html.components(separatedBy: "<script").count - 1 == 2)
        #expect(html.components(separatedBy: "<script>").count - 1 == 1)
        #expect(!html.contains("window.__pwned=1</script>") && !html.contains("<img"))
        #expect(!html.contains("<b>hostile"))
        #expect(html.contains("&lt;/script&gt;&lt;script&gt;window.__pwned=1"), "the scenario's title is shown, escaped")
        #expect(html.contains("\\u003c\\/script\\u003e\\u003cscript\\u003ewindow.__pwned=1"), "the claim's error travels escaped in the JSON")
        // No address the browser could fetch: nothing but the SVG namespace.
        let urls = html.components(separatedBy: "://").dropFirst().map { String($0.prefix(30)) }
        #expect(!urls.isEmpty && urls.allSatisfy { $0.hasPrefix("www.w3.org/2000/svg\"") }, "\(urls)")
        #expect(html.contains("default-src 'none'"))
        for id in ["chart-prevention", "chart-outcomes", "chart-times", "chart-baseline-prevention", "chart-baseline-speedup"] {
            #expect(html.contains("<svg id=\"\(id)\""), "\(id)")
        }
    }

    @Test func anEmptyRunIsRefused() throws {
        var run = ReportFixture.run()
        run.trials = run.trials.filter(\.warmup)
        #expect(throws: ReportError.self) { try ReportInput(run: run, source: "empty.json") }
        do {
            _ = try ReportInput(run: run, source: "empty.json")
        } catch {
            #expect(error.description == "'empty.json' holds no counted trial (an empty run); report on a run that ran at least one trial.")
        }
        #expect(throws: ReportError.self) { try ReportInput(run: ReportFixture.run(), source: "a.json", baseline: (run, "base.json")) }
    }
}

/// Whether `text` is well-formed XML, by Python's parser (the one a CI
/// system's JUnit reader resembles; FoundationXML is not on every toolchain).
/// Through the test support's ChildProcess, which waits for its own pid
/// only, as every child of the test process must.
func xmlWellFormed(_ text: String) throws -> Bool {
    let dir = try TemporaryDirectory("junit")
    defer { try? dir.remove() }
    try Data(text.utf8).write(to: URL(fileURLWithPath: dir.path("junit.xml")))
    let result = try Tool.run(Tool.python3, ["-c", "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])", dir.path("junit.xml")])
    return result.succeeded
}
