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
}
