import ExecutionPatterns
import Testing

@Suite("Pattern catalog")
struct CatalogTests {
    /// The fault names of DESIGN.md; the catalog must not invent others.
    static let faults: Set<String> = [
        "missing", "errno", "transient", "short-write", "torn-write", "lost-write", "delay",
        "corrupt-read", "kill-caller", "power-loss", "fsync-fail", "disk-full",
    ]

    @Test("Seven patterns with the seed's IDs, each mapped to known faults, together covering all of them")
    func catalog() {
        let ids = ExecutionPatterns.catalog.map(\.id)
        #expect(ids == ["EXEC-001", "EXEC-002", "EXEC-003", "EXEC-004", "PATTERN-001", "PATTERN-002", "PATTERN-003"])
        let used = Set(ExecutionPatterns.catalog.flatMap(\.defeats))
        #expect(used.isSubset(of: Self.faults))
        #expect(used == Self.faults)
        #expect(ExecutionPatterns.catalog.allSatisfy { !$0.antiPattern.isEmpty })
    }
}
