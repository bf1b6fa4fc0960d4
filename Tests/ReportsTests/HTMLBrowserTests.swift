import FaultFSTestSupport
import Figures
import Foundation
import Reports
import Results
import Testing

/// What `scripts/check-html-report.py` saw in headless Chromium.
struct BrowserView: Decodable {
    struct Shown: Decodable {
        var hidden: Bool
        var shown: String?
        var claim: String?
        var groundTruth: String?
        var faults: String?
        var heading: String?
        var clicked: String?
    }
    var ready: String?
    var scriptErrors: String?
    var svgIds: [String]
    var preventionPoints: Int
    var outcomeSegments: Int
    var timeDots: Int
    var baselinePoints: Int
    var trialRows: Int
    var partialBanner: String?
    var pwned: String?
    var pwnedAfterClicks: String?
    var scriptErrorsAfterClicks: String?
    var clicks: [String: Shown?]
    var exceptions: [String]
    var consoleErrors: [String]
    var requests: [String]
    var screenshot: String
}

/// Opens a report in Debian's headless Chromium (installed by
/// scripts/ensure-deps.sh, as `make test` runs it) and returns what it saw.
func openInChromium(_ html: String, in dir: TemporaryDirectory, clickText: String? = nil) throws -> (BrowserView, [UInt8]) {
    let page = dir.path("report.html"), shot = dir.path("report.png")
    try Data(html.utf8).write(to: URL(fileURLWithPath: page))
    var arguments = [repositoryRoot + "/scripts/check-html-report.py", page, shot]
    if let clickText { arguments += ["--click-text", clickText] }
    let result = try Tool.run(Tool.python3, arguments, timeout: 120)
    guard result.succeeded else { throw SupportError("the headless browser could not check the page: \(result)") }
    let view = try JSONDecoder().decode(BrowserView.self, from: Data(result.stdout.utf8))
    let png = Array(FileManager.default.contents(atPath: shot) ?? Data())
    return (view, png)
}

/// Width and height from a PNG's IHDR chunk; nil when it is not a PNG.
func pngSize(_ bytes: [UInt8]) -> (Int, Int)? {
    guard bytes.count > 24, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], bytes[12..<16] == Array("IHDR".utf8)[...] else { return nil }
    func be(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
    return (be(16), be(20))
}

@Suite("the HTML report in headless Chromium", .serialized)
struct HTMLBrowserTests {
    @Test("renders without script errors, draws every chart, shows a clicked trial, runs no injected script, loads nothing",
          .timeLimit(.minutes(3)))
    func fixtureWithBaseline() throws {
        let dir = try TemporaryDirectory("html")
        defer { try? dir.remove() }
        let input = try ReportsTests.fixtureWithBaseline()
        let (view, png) = try openInChromium(try HTMLReport().render(input), in: dir, clickText: "pattern-003/<b>hostile")

        #expect(view.ready == "1", "the page's script did not finish")
        #expect(view.scriptErrors == "0" && view.scriptErrorsAfterClicks == "0")
        #expect(view.exceptions.isEmpty, "\(view.exceptions)")
        #expect(view.consoleErrors.isEmpty, "\(view.consoleErrors)")
        #expect(view.requests == ["file://" + dir.path("report.html")], "the page asked for more than itself: \(view.requests)")

        #expect(view.svgIds == ["chart-prevention", "chart-outcomes", "chart-times", "chart-baseline-prevention", "chart-baseline-speedup"])
        let figures = input.figures
        let measured = figures.patterns.filter { $0.pooled.prevention != nil }.count
        #expect(view.preventionPoints == measured + 1 + (figures.suite.weighted?.prevention == nil ? 0 : 1))
        #expect(view.timeDots == input.run.trials.filter { !$0.warmup }.count)
        #expect(view.outcomeSegments > 2 * figures.scenarios.count)
        #expect(view.baselinePoints > 0)
        #expect(view.trialRows == input.run.trials.count)
        #expect(view.partialBanner == nil)

        // A click on a dot and on the row of a trial whose claim, trace and
        // stderr hold markup: shown as text, never run.
        let dot = try #require(view.clicks["dot"] ?? nil)
        #expect(!dot.hidden && dot.shown == dot.clicked && dot.heading?.hasPrefix("Trial t") == true)
        let row = try #require(view.clicks["row"] ?? nil)
        #expect(!row.hidden && row.shown == row.clicked)
        let claim = try #require(row.claim)
        #expect(claim.contains("</script><script>window.__pwned=1</script><img src=x onerror=") , "\(claim)")
        #expect(row.faults?.contains("window.__pwned=1") == true)
        #expect(row.groundTruth?.contains("out/data.json") == true)
        #expect(view.pwned == nil && view.pwnedAfterClicks == nil, "an injected script ran")

        let size = try #require(pngSize(png), "the screenshot is not a PNG")
        #expect(size.0 == 1280 && size.1 > 1000 && png.count > 20_000, "\(size) \(png.count) bytes")
        if let keep = ProcessInfo.processInfo.environment["FAULTBENCH_KEEP_SCREENSHOT"] {
            try Data(png).write(to: URL(fileURLWithPath: keep))
        }
    }

    @Test("an interrupted run's page says so at the top", .timeLimit(.minutes(3)))
    func partialRun() throws {
        let dir = try TemporaryDirectory("html")
        defer { try? dir.remove() }
        var run = ReportFixture.run(complete: false)
        run.trials.removeLast(15)
        run.figures = Figures.compute(run, resamples: 100)
        let (view, _) = try openInChromium(try HTMLReport().render(try ReportInput(run: run, source: "p.json")), in: dir)
        #expect(view.ready == "1" && view.scriptErrors == "0" && view.exceptions.isEmpty)
        #expect(view.partialBanner?.hasPrefix("Interrupted run: partial results.") == true)
        #expect(view.svgIds == ["chart-prevention", "chart-outcomes", "chart-times"])
    }
}
