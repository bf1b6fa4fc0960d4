import FaultFSTestSupport
import Foundation
import Results
import Testing

/// `faultbench report` through the built binary.
func faultbench(_ arguments: [String], in dir: TemporaryDirectory) throws -> ToolResult {
    try Tool.run(try FaultbenchBinary.path(), arguments, cwd: dir.path, environment: ["CI": "1"], timeout: 600)
}

func writeJSON(_ run: RunResult, _ path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    try encoder.encode(run).write(to: URL(fileURLWithPath: path))
}

@Suite("faultbench report through the built binary", .serialized)
struct ReportCommandTests {
    @Test("bad input: one line, exit 1, nothing written, an existing output left as it was",
          arguments: ["missing", "notjson", "version2", "empty", "nobaseline", "emptybaseline", "format", "outputdir"])
    func badInput(_ kind: String) throws {
        let dir = try TemporaryDirectory("report")
        defer { try? dir.remove() }
        try writeJSON(ReportFixture.run(), dir.path("good.json"))
        var arguments = ["report", dir.path("good.json"), "--format", "html", "--output", dir.path("out.html")]
        var expected = ""
        switch kind {
        case "missing":
            arguments[1] = dir.path("nope.json")
            expected = "cannot read the result file '\(dir.path("nope.json"))'; check the path."
        case "notjson":
            try Data("not json at all".utf8).write(to: URL(fileURLWithPath: dir.path("bad.json")))
            arguments[1] = dir.path("bad.json")
            expected = "is not JSON"
        case "version2":
            let text = try String(contentsOfFile: dir.path("good.json"), encoding: .utf8)
                .replacingOccurrences(of: "\"schemaVersion\":1", with: "\"schemaVersion\":2")
            try Data(text.utf8).write(to: URL(fileURLWithPath: dir.path("v2.json")))
            arguments[1] = dir.path("v2.json")
            expected = "has schema version 2; this faultbench reads version 1."
        case "empty":
            var run = ReportFixture.run()
            run.trials = []
            try writeJSON(run, dir.path("empty.json"))
            arguments[1] = dir.path("empty.json")
            expected = "holds no counted trial (an empty run)"
        case "nobaseline":
            arguments += ["--baseline", dir.path("results/baseline.json")]
            expected = "baseline: cannot read the result file"
        case "emptybaseline":
            var run = ReportFixture.run()
            run.trials = run.trials.filter(\.warmup)
            try writeJSON(run, dir.path("base.json"))
            arguments += ["--baseline", dir.path("base.json")]
            expected = "'\(dir.path("base.json"))' holds no counted trial"
        case "format":
            arguments[3] = "pdf"
            expected = "--format 'pdf' is not a report format; use md, html, junit or json."
        default:  // an output path whose directory does not exist
            arguments[5] = dir.path("no/such/dir/out.html")
            expected = "cannot write the report to '\(dir.path("no/such/dir/out.html"))'"
        }
        // An output file from before must survive a failed report.
        try Data("previous report".utf8).write(to: URL(fileURLWithPath: dir.path("out.html")))
        let result = try faultbench(arguments, in: dir)
        #expect(result.exit == .exited(1), "\(result)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("faultbench: ") && lines[0].contains(expected), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(try String(contentsOfFile: dir.path("out.html"), encoding: .utf8) == "previous report")
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(left.allSatisfy { ["good.json", "bad.json", "v2.json", "empty.json", "base.json", "out.html"].contains($0) }, "\(left)")
    }

    @Test("a real run through the built binary, then every format of it, to a file and to stdout",
          .timeLimit(.minutes(5)))
    func realRunEveryFormat() throws {
        let dir = try TemporaryDirectory("report")
        defer { try? dir.remove() }
        let run = try faultbench(["run", "--scenarios", repositoryRoot + "/scenarios", "--results", dir.path("results"),
                                  "--scenario", "exec-004/*", "--trials", "3", "--seed", "3", "--jobs", "2"], in: dir)
        #expect(run.succeeded, "\(run)")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: dir.path("results")).first { $0.hasSuffix("-s3.json") })
        let path = dir.path("results/" + name)
        for format in ["md", "html", "junit", "json"] {
            let toFile = try faultbench(["report", path, "--format", format, "--output", dir.path("r." + format)], in: dir)
            #expect(toFile.succeeded && toFile.stdout.isEmpty && toFile.stderr.isEmpty, "\(toFile)")
            let toStdout = try faultbench(["report", path, "--format", format, "--baseline", path], in: dir)
            #expect(toStdout.succeeded, "\(toStdout)")
            let written = try String(contentsOfFile: dir.path("r." + format), encoding: .utf8)
            #expect(!written.isEmpty)
            switch format {
            case "md":
                #expect(written.hasPrefix("# faultbench report: run ` \(name.dropLast(5)) `\n"))
                #expect(written.contains("| exec-004/killed-mid-write | EXEC-004 | 3/3 |"))
                #expect(toStdout.stdout.contains("No regression ("), "a run against itself, whichever judge")
            case "junit":
                #expect(written.contains("tests=\"4\" failures=\"0\""), "every exec-004 fault bit: \(written)")
                #expect(try xmlWellFormed(written))
            case "json":
                #expect(written.contains("\"format\" : \"faultbench-figures\""))
            default:
                #expect(written.hasPrefix("<!DOCTYPE html>") && written.contains("<svg id=\"chart-times\""))
            }
        }
    }
}
