import ArgumentParser
import ExecutionPatterns
import Harness
import Reports
import Results
import SystemPackage

/// `faultbench report`: renders a results document as Markdown, HTML,
/// JUnit XML or JSON. Parses, reads, and hands over to the Reports module.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render a results document as Markdown, a self-contained HTML page, JUnit XML or JSON.",
        discussion: """
        md: the summary tables and a Mermaid chart of prevention per pattern, for a CI job summary ($GITHUB_STEP_SUMMARY).
        html: one file that needs no network, with SVG charts and every trial's claim, ground truth and fault trace.
        junit: one test case per scenario, failing when its fault did not bite or, with --baseline, when it regressed.
        json: the run's figures (the results document's `figures`), and with --baseline the baseline's and the regressions.

        A report of an interrupted run says so at the top. With --output the file is written atomically, and not at all on an error.

        Exit codes: 0 the report was written; 1 bad input (an unreadable or unknown result file, another schema version, an empty run,
        a missing baseline) or the output could not be written. A regression does not change the exit code: that is faultbench compare's job.
        """
    )

    @Argument(help: "The results document (results/<run-id>.json).")
    var result: String

    @Option(help: "md, html, junit or json.")
    var format: String = "md"

    @Option(help: "Write the report to this file (atomically) instead of standard output.")
    var output: String?

    @Option(help: "A baseline results document to compare with (e.g. results/baseline.json).")
    var baseline: String?

    func run() throws {
        guard let chosen = ReportFormat(rawValue: format) else {
            throw Failure("--format '\(format)' is not a report format; use md, html, junit or json.")
        }
        let run = try Self.read(result)
        var base: (run: Results.RunResult, source: String)?
        if let baseline { base = (try Self.read(baseline, what: "baseline"), baseline) }
        let text: String
        do {
            let input = try ReportInput(run: run, source: result, baseline: base, judge: GateJudge())
            text = try chosen.report.render(input)
        } catch {
            throw Failure(error.description)
        }
        if let output {
            do {
                try AtomicFile.write(Array(text.utf8), to: FilePath(output))
            } catch {
                throw Failure("cannot write the report to '\(output)': \(error)")
            }
        } else {
            Output.text(text)
        }
    }

    static func read(_ path: String, what: String = "result") throws -> Results.RunResult {
        switch ResultFile.read(path) {
        case .success(let run): return run
        case .failure(let error):
            throw Failure(what == "baseline" ? "baseline: " + error.description : error.description)
        }
    }
}
