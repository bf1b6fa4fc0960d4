#if canImport(Glibc)
import Glibc
#endif
import FaultFSTestSupport
import Foundation
import Gate
import Harness
import Results
import Testing

/// The repository's directory, two levels above this file.
let repositoryRoot: String = {
    var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/GateTests/GateCommandTests.swift
    return parts.joined(separator: "/")
}()

/// The built binary, run as a user runs it.
func faultbench(_ arguments: [String], in dir: TemporaryDirectory, timeout: Double = 60) throws -> ToolResult {
    try Tool.run(try FaultbenchBinary.path(), arguments, cwd: dir.path, environment: ["CI": "1"], timeout: timeout)
}

/// Writes a fixture results document as `faultbench run` would.
func writeFixture(_ run: RunResult, _ path: String) throws {
    if case .failure(let error) = ResultFile.write(run, to: path) { throw error }
}

/// Every file under a directory, with its bytes, to prove that nothing was written.
func snapshot(_ path: String) -> [String: Data] {
    var files: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(atPath: path)
    while let name = enumerator?.nextObject() as? String {
        files[name] = FileManager.default.contents(atPath: path + "/" + name) ?? Data()
    }
    return files
}

@Suite("compare, baseline update and merge through the built binary")
struct GateCommandTests {
    typealias Cell = Fixture.Cell

    static let steady = Fixture.run([Cell("p/a", offErrors: 20, onErrors: 1, n: 20), Cell("p/b", offErrors: 20, onErrors: 14, n: 20)])

    @Test("every exit code of compare on fixture results: 0, 2, 3, 4, and the JSON comparison")
    func exitCodes() throws {
        let dir = try TemporaryDirectory("gate")
        defer { try? dir.remove() }
        try writeFixture(Self.steady, dir.path("base.json"))
        var other = Fixture.environment
        other.libfuse = "3.16.2"
        let cases: [(String, RunResult, Int32, String)] = [
            ("same", Fixture.run([Cell("p/a", offErrors: 20, onErrors: 2, n: 20), Cell("p/b", offErrors: 20, onErrors: 13, n: 20)]), 0, "NO-CHANGE"),
            ("worse", Fixture.run([Cell("p/a", offErrors: 20, onErrors: 16, n: 20), Cell("p/b", offErrors: 20, onErrors: 14, n: 20)]), 2, "REGRESSION"),
            ("partial", Fixture.run([Cell("p/a", offErrors: 20, onErrors: 1, n: 20), Cell("p/b", offErrors: 20, onErrors: 14, n: 20)], complete: false), 3, "INCONCLUSIVE"),
            ("elsewhere", Fixture.run([Cell("p/a", offErrors: 20, onErrors: 1, n: 20), Cell("p/b", offErrors: 20, onErrors: 14, n: 20)], environment: other), 3, "INCONCLUSIVE"),
            ("better", Fixture.run([Cell("p/a", offErrors: 20, onErrors: 1, n: 20), Cell("p/b", offErrors: 20, onErrors: 0, n: 20)]), 4, "IMPROVEMENT"),
        ]
        for (name, run, code, word) in cases {
            try writeFixture(run, dir.path(name + ".json"))
            let tool = try faultbench(["compare", name + ".json", "--baseline", "base.json", "--json", name + ".cmp.json"], in: dir)
            #expect(tool.exit == .exited(code), "\(name): \(tool)")
            #expect(tool.stdout.hasPrefix("faultbench compare: \(word) (exit \(code))"), "\(name): \(tool.stdout)")
            #expect(tool.stderr.isEmpty, "\(name): \(tool.stderr)")
            let data = try #require(FileManager.default.contents(atPath: dir.path(name + ".cmp.json")))
            let comparison = try JSONDecoder().decode(Comparison.self, from: data)
            #expect(comparison.exitCode == code)
        }
        let partial = try faultbench(["compare", "partial.json", "--baseline", "base.json"], in: dir)
        #expect(partial.stdout.contains("The result is a partial (interrupted) run"))
        let elsewhere = try faultbench(["compare", "elsewhere.json", "--baseline", "base.json"], in: dir)
        #expect(elsewhere.stdout.contains("libfuse: '3.14.0' in the baseline, '3.16.2' in the result"))
        let allowed = try faultbench(["compare", "elsewhere.json", "--baseline", "base.json", "--allow-env-change"], in: dir)
        #expect(allowed.exit == .exited(0), "\(allowed)")
    }

    @Test("baseline update writes results/baseline.json byte for byte, and compare finds it by default")
    func baselineUpdate() throws {
        let dir = try TemporaryDirectory("gate")
        defer { try? dir.remove() }
        try writeFixture(Self.steady, dir.path("run.json"))
        let tool = try faultbench(["baseline", "update", "run.json"], in: dir)
        #expect(tool.succeeded, "\(tool)")
        #expect(FileManager.default.contents(atPath: dir.path("results/baseline.json")) == FileManager.default.contents(atPath: dir.path("run.json")))
        // No temporary file is left next to it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path("results")) == ["baseline.json"])
        let compare = try faultbench(["compare", "run.json"], in: dir)
        #expect(compare.exit == .exited(0), "\(compare)")
    }

    @Test("merge accepts shards that hold no counted trial (more shards than trials), and writes the whole run")
    func emptyShards() throws {
        let dir = try TemporaryDirectory("gate")
        defer { try? dir.remove() }
        let parts = MergeTests.shards(30)
        #expect(parts.contains { !$0.trials.contains { !$0.warmup } }, "some shard must be empty for this test")
        var names: [String] = []
        for (k, part) in parts.enumerated() {
            names.append("s\(k + 1).json")
            try writeFixture(part, dir.path(names.last!))
        }
        let tool = try faultbench(["merge"] + names + ["--output", "merged.json"], in: dir)
        #expect(tool.succeeded, "\(tool)")
        let merged = try { switch ResultFile.read(dir.path("merged.json")) { case .success(let r): return r; case .failure(let e): throw e } }()
        #expect(merged.trials.filter { !$0.warmup }.count == 24)
    }

    /// One bad input: the exact first words of its one line.
    struct BadCase: CustomTestStringConvertible, Sendable {
        var name: String
        var arguments: [String]
        var message: String
        var testDescription: String { name }
    }

    static let badCases: [BadCase] = [
        BadCase(name: "unknown result file", arguments: ["compare", "nope.json", "--baseline", "good.json"],
                message: "faultbench: cannot read the result file 'nope.json'; check the path.\n"),
        BadCase(name: "a directory as the result", arguments: ["compare", "dir", "--baseline", "good.json"],
                message: "faultbench: cannot read the result file 'dir'; check the path.\n"),
        BadCase(name: "missing baseline", arguments: ["compare", "good.json", "--baseline", "nope.json"],
                message: "faultbench: no baseline at 'nope.json'; make one from a complete run with faultbench baseline update RESULT.\n"),
        BadCase(name: "missing default baseline", arguments: ["compare", "good.json"],
                message: "faultbench: no baseline at 'results/baseline.json'; make one from a complete run with faultbench baseline update RESULT.\n"),
        BadCase(name: "not JSON", arguments: ["compare", "text.json", "--baseline", "good.json"],
                message: "faultbench: 'text.json' is not JSON; name a results document written by faultbench run.\n"),
        BadCase(name: "another schema version", arguments: ["compare", "v99.json", "--baseline", "good.json"],
                message: "faultbench: 'v99.json' has schema version 99; this faultbench reads version 1.\n"),
        BadCase(name: "a field missing", arguments: ["compare", "notrials.json", "--baseline", "good.json"],
                message: "faultbench: 'notrials.json' is not a valid results document: trials is missing; name a results document written by faultbench run.\n"),
        BadCase(name: "an empty run", arguments: ["compare", "empty.json", "--baseline", "good.json"],
                message: "faultbench: 'empty.json' holds no counted trial (run fixture); it is an empty run, so there is nothing to compare. Run it again, or name another result.\n"),
        BadCase(name: "an empty baseline", arguments: ["compare", "good.json", "--baseline", "empty.json"],
                message: "faultbench: 'empty.json' holds no counted trial (run fixture); it is an empty run, so there is nothing to compare. Run it again, or name another result.\n"),
        BadCase(name: "a bad threshold", arguments: ["compare", "good.json", "--baseline", "good.json", "--prevention-drop", "2"],
                message: "faultbench: --prevention-drop must be from 0 to 1, such as 0.1. (see faultbench --help)\n"),
        BadCase(name: "an unknown option", arguments: ["compare", "good.json", "--bogus"],
                message: "faultbench: Unknown option '--bogus' (see faultbench --help)\n"),
        BadCase(name: "baseline from a partial run", arguments: ["baseline", "update", "partial.json"],
                message: "faultbench: 'partial.json' is a partial (interrupted) run; finish it with faultbench run --resume before making it the baseline.\n"),
        BadCase(name: "baseline from a shard", arguments: ["baseline", "update", "shard1.json"],
                message: "faultbench: 'shard1.json' is only shard 1/2 of its run; merge every shard (faultbench merge) and make the merged result the baseline.\n"),
        BadCase(name: "baseline from an empty run", arguments: ["baseline", "update", "empty.json"],
                message: "faultbench: 'empty.json' holds no counted trial (run fixture); it is an empty run, so there is nothing to compare. Run it again, or name another result.\n"),
        BadCase(name: "merge: a shard twice", arguments: ["merge", "shard1.json", "shard1.json", "--output", "out.json"],
                message: "faultbench: 'shard1.json' and 'shard1.json' are both shard 1/2; their slices overlap. Name each shard once.\n"),
        BadCase(name: "merge: a shard missing", arguments: ["merge", "shard1.json", "good.json", "--output", "out.json"],
                message: "faultbench: 'good.json' is not a shard (it was run without --shard i/n); merge only the shards of one run.\n"),
        BadCase(name: "merge: shards of different runs", arguments: ["merge", "shard1.json", "shard2-seed9.json", "--output", "out.json"],
                message: "faultbench: 'shard2-seed9.json' is not a shard of the same run as 'shard1.json': seed 1 against 9. Merge shards run with the same seed, options and scenario files.\n"),
        BadCase(name: "merge: only one shard", arguments: ["merge", "shard1.json", "--output", "out.json"],
                message: "faultbench: merge needs at least two shards; name every shard's result (faultbench run --shard i/n).\n"),
        BadCase(name: "run: --json without --baseline", arguments: ["run", "--json", "x.json"],
                message: "faultbench: --json and --allow-env-change compare with a baseline; give --baseline FILE too. (see faultbench --help)\n"),
        BadCase(name: "run: shard 0/2", arguments: ["run", "--shard", "0/2"],
                message: "faultbench: --shard must be i/n with 1 <= i <= n <= 10000, such as 2/4. (see faultbench --help)\n"),
        BadCase(name: "run: shard 3/2", arguments: ["run", "--shard", "3/2"],
                message: "faultbench: --shard must be i/n with 1 <= i <= n <= 10000, such as 2/4. (see faultbench --help)\n"),
        BadCase(name: "run: a missing baseline, before anything is mounted", arguments: ["run", "--scenarios", repositoryRoot + "/scenarios", "--baseline", "nope.json"],
                message: "faultbench: no baseline at 'nope.json'; make one from a complete run with faultbench baseline update RESULT.\n"),
        BadCase(name: "run: a baseline of another schema, before anything is mounted", arguments: ["run", "--scenarios", repositoryRoot + "/scenarios", "--baseline", "v99.json"],
                message: "faultbench: 'v99.json' has schema version 99; this faultbench reads version 1.\n"),
    ]

    @Test("bad input: one exact line on stderr, exit 1, nothing written", arguments: badCases)
    func badInput(_ bad: BadCase) throws {
        let dir = try TemporaryDirectory("gate")
        defer { try? dir.remove() }
        try writeFixture(Self.steady, dir.path("good.json"))
        try writeFixture(Fixture.run([Cell("p/a", offErrors: 1, onErrors: 0, n: 0)]), dir.path("empty.json"))
        try writeFixture(Fixture.run([Cell("p/a", offErrors: 20, onErrors: 1, n: 20)], complete: false), dir.path("partial.json"))
        let whole = Fixture.run([Cell("p/a", offErrors: 5, onErrors: 1, n: 6)])
        var shard1 = whole
        shard1.options.shard = Shard(number: 1, count: 2)
        shard1.trials = whole.trials.filter { $0.index % 2 == 0 }
        try writeFixture(shard1, dir.path("shard1.json"))
        var shard2 = Fixture.run([Cell("p/a", offErrors: 5, onErrors: 1, n: 6)], seed: 9)
        shard2.options.shard = Shard(number: 2, count: 2)
        shard2.trials = shard2.trials.filter { $0.index % 2 == 1 }
        try writeFixture(shard2, dir.path("shard2-seed9.json"))
        try Data("not json at all\n".utf8).write(to: URL(fileURLWithPath: dir.path("text.json")))
        var raw = try JSONSerialization.jsonObject(with: FileManager.default.contents(atPath: dir.path("good.json"))!) as! [String: Any]
        raw["schemaVersion"] = 99
        try JSONSerialization.data(withJSONObject: raw).write(to: URL(fileURLWithPath: dir.path("v99.json")))
        raw["schemaVersion"] = 1
        raw.removeValue(forKey: "trials")
        try JSONSerialization.data(withJSONObject: raw).write(to: URL(fileURLWithPath: dir.path("notrials.json")))
        try FileManager.default.createDirectory(atPath: dir.path("dir"), withIntermediateDirectories: false)

        let before = snapshot(dir.path)
        let tool = try faultbench(bad.arguments, in: dir)
        #expect(tool.exit == .exited(1), "\(tool)")
        #expect(tool.stderr == bad.message)
        #expect(tool.stdout.isEmpty, "\(tool.stdout)")
        #expect(snapshot(dir.path) == before, "something was written")
        #expect(MountTable.fuseMounts(under: dir.path).isEmpty)
    }
}
