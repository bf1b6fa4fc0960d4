import FaultFSTestSupport
import Foundation
import Testing

/// Runs scripts/check-workflow.py on a workflow against the built binary.
func checkWorkflow(_ path: String) throws -> ToolResult {
    try Tool.run(Tool.python3, [repositoryRoot + "/scripts/check-workflow.py", path, try FaultbenchBinary.path()], timeout: 120)
}

@Suite("the example GitHub Actions workflow", .serialized)
struct WorkflowCheckTests {
    /// Passes once every command it runs is in the binary: `run --shard`,
    /// `merge` and `compare` come with the Gate module, `report` with Reports.
    @Test("docs/ci/faultbench.yml is valid, and every faultbench command and option it runs exists")
    func theExampleWorkflow() throws {
        let result = try checkWorkflow(repositoryRoot + "/docs/ci/faultbench.yml")
        #expect(result.succeeded, "\(result.stderr)")
        struct Seen: Decodable { struct Command: Decodable { var command: [String]; var options: [String] }; var jobs: [String]; var checked: [Command] }
        let seen = try JSONDecoder().decode(Seen.self, from: Data(result.stdout.utf8))
        #expect(seen.jobs == ["gate", "shard"])
        let commands = Set(seen.checked.map { $0.command.joined(separator: " ") })
        #expect(commands == ["run", "merge", "compare", "report"], "\(commands)")
        #expect(seen.checked.contains { $0.command == ["run"] && $0.options.contains("--shard") })
        #expect(seen.checked.contains { $0.command == ["compare"] && $0.options.contains("--baseline") })
    }

    @Test("README shows the same workflow as docs/ci/faultbench.yml")
    func readmeMatchesTheFile() throws {
        let file = try String(contentsOfFile: repositoryRoot + "/docs/ci/faultbench.yml", encoding: .utf8)
        let readme = try String(contentsOfFile: repositoryRoot + "/README.md", encoding: .utf8)
        // The file's header comment is for someone who copies the file; the README says it in prose.
        let body = try #require(file.range(of: "name: faultbench\n")).lowerBound
        #expect(readme.contains("```yaml\n" + file[body...] + "```\n"), "copy docs/ci/faultbench.yml (from `name:`) into README's Reports and CI section")
    }

    @Test("the check fails, naming the step, on a missing subcommand, an unknown option, a broken step and invalid YAML",
          arguments: [
            ("  - run: faultbench frobnicate results.json", "faultbench has no subcommand 'frobnicate'"),
            ("  - run: .build/release/faultbench report r.json --colour", "`faultbench report` has no option --colour"),
            ("  - run: sudo faultbench run --seed 1 && faultbench report x.json --format md --shinier", "`faultbench report` has no option --shinier"),
            ("  - name: neither run nor uses", "a step has exactly one of run and uses"),
            ("  - run: faultbench report x.json\n   bad: [indent", "not valid YAML"),
          ])
    func theCheckCanFail(step: String, expected: String) throws {
        let dir = try TemporaryDirectory("workflow")
        defer { try? dir.remove() }
        let good = "on: push\njobs:\n  j:\n    runs-on: ubuntu-24.04\n    steps:\n  - run: faultbench report x.json --format md >> \"$GITHUB_STEP_SUMMARY\"\n"
            .replacingOccurrences(of: "\n  - ", with: "\n      - ")
        try Data(good.utf8).write(to: URL(fileURLWithPath: dir.path("good.yml")))
        let passes = try checkWorkflow(dir.path("good.yml"))
        #expect(passes.succeeded, "the control workflow must pass: \(passes)")
        let bad = good + step.replacingOccurrences(of: "  - ", with: "      - ") + "\n"
        try Data(bad.utf8).write(to: URL(fileURLWithPath: dir.path("bad.yml")))
        let result = try checkWorkflow(dir.path("bad.yml"))
        #expect(result.exit == .exited(1), "\(result)")
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(expected == "not valid YAML" || result.stderr.contains("jobs.j.steps[1]"), "\(result.stderr)")
    }
}
