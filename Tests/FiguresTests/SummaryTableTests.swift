import Foundation
import Testing
@testable import Figures
import Results

@Suite struct SummaryTableTests {
    @Test func rowsAndAlignment() throws {
        let run = Fixture.run()
        let text = SummaryTable.render(Figures.compute(run, resamples: 200), run: run)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let torn = try #require(lines.first { $0.hasPrefix("a/torn ") } as String?)
        #expect(torn.contains("10/10"))
        #expect(torn.contains("50% [24, 76]"))
        #expect(torn.contains("100% ["))
        #expect(lines.contains { $0.hasPrefix("r/transient") && $0.contains("did not bite") })
        #expect(lines.contains { $0.hasPrefix("a/control") && $0.contains("control") && $0.contains("cost ") })
        #expect(lines.contains { $0.hasPrefix("EXEC-004 (8%)") })
        #expect(lines.contains { $0.hasPrefix("PATTERN-003 (unweighted)") && $0.contains("did not bite") })
        #expect(lines.contains { $0.hasPrefix("weighted (seed)") })
        // Columns line up: "patterns" starts where every scenario's patterns start.
        let header = lines.first { $0.hasPrefix("scenario") }!
        let column = header.range(of: "patterns")!.lowerBound.utf16Offset(in: header)
        for line in lines where line.hasPrefix("a/") || line.hasPrefix("b/") || line.hasPrefix("r/") {
            let start = line.index(line.startIndex, offsetBy: column)
            #expect(line[..<start].last == " " && line[start] != " ", "misaligned: \(line)")
        }
    }

    /// The whole table of the fixture against a golden file, so a change to
    /// the layout is seen in review. Re-record with
    /// `FAULTBENCH_RECORD_GOLDEN=1 swift test --filter SummaryTableTests`.
    @Test func matchesTheGoldenFile() throws {
        let run = Fixture.run()
        let text = SummaryTable.render(Figures.compute(run, resamples: 200), run: run)
        // Outside the test target's folder, so SwiftPM does not ask to declare it a resource.
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Golden/summary-table.txt")
        if ProcessInfo.processInfo.environment["FAULTBENCH_RECORD_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: golden.deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            try Data(text.utf8).write(to: golden, options: .atomic)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(text == expected, "re-record with FAULTBENCH_RECORD_GOLDEN=1 if the change is intended")
    }
}
