import FaultFSTestSupport
import Testing

/// `faultbench check` on scenario files, through the built binary.
@Suite("faultbench check: scenarios")
struct CheckCommandTests {
    @Test("a valid scenario: its summary and exit 0; the whole standard suite at once")
    func valid() throws {
        let binary = try FaultbenchBinary.path()
        let file = scenariosDirectory + "/exec-004/disk-full-midway.yaml"
        let result = try Tool.run(binary, ["check", file], timeout: 60)
        #expect(result.exit == .exited(0), "\(result)")
        #expect(result.stdout == "\(file): scenario exec-004/disk-full-midway (EXEC-004; write-file; 1 rule), valid.\n")
        #expect(result.stderr == "")

        let control = scenariosDirectory + "/exec-004/control-catalog-rewrite.yaml"
        let both = try Tool.run(binary, ["check", control, file], timeout: 60)
        #expect(both.exit == .exited(0), "\(both)")
        #expect(both.stdout.hasPrefix("\(control): scenario exec-004/control-catalog-rewrite (EXEC-004; write-file; control, no faults), valid.\n"))
    }

    @Test("a bad scenario: one line on stderr with file, line and field, exit 1; the good files are still reported")
    func invalid() throws {
        let binary = try FaultbenchBinary.path()
        let dir = try TemporaryDirectory("check")
        defer { try? dir.remove() }
        // Outside any scenarios/ directory: the `task:` key makes it a scenario.
        let bad = dir.path("rollout.yaml")
        try write(bad, "title: t\ndescription: d\npatterns: [EXEC-004]\ntask:\n  kind: write-file\n  path: /etc/motd\n  content: {text: hi}\nexpect: {absent: [x]}\n")
        let result = try Tool.run(binary, ["check", bad], timeout: 60)
        #expect(result.exit == .exited(1), "\(result)")
        #expect(result.stderr == "faultbench: \(bad):6: task.path: /etc/motd is absolute; write a path relative to the trial's directory, e.g. motd.\n")
        #expect(result.stdout == "")

        let plan = dir.path("plan.yaml")
        try write(plan, "rules:\n  - fault: missing\n    path: bin/jq\n")
        let mixed = try Tool.run(binary, ["check", plan, bad, dir.path("none.yaml")], timeout: 60)
        #expect(mixed.exit == .exited(1), "\(mixed)")
        #expect(mixed.stdout == "rules[0] (unnamed): missing on bin/jq\n\(plan): 1 rule, valid.\n")
        #expect(mixed.stderr == """
            faultbench: \(bad):6: task.path: /etc/motd is absolute; write a path relative to the trial's directory, e.g. motd.
            faultbench: the plan or scenario file '\(dir.path("none.yaml"))' does not exist; check the path.

            """)
    }

    @Test("a file under scenarios/ is a scenario even without a task: key, so its error is about the scenario")
    func byDirectory() throws {
        let binary = try FaultbenchBinary.path()
        let dir = try TemporaryDirectory("check")
        defer { try? dir.remove() }
        try dir.makeDirectory("scenarios")
        let file = dir.path("scenarios/x.yaml")
        try write(file, "rules: []\n")
        let result = try Tool.run(binary, ["check", file], timeout: 60)
        #expect(result.exit == .exited(1), "\(result)")
        #expect(result.stderr == "faultbench: \(file):1: rules: is not a field of a scenario; use id, title, description, patterns, setup, task, faults, expect, timeout, trials, rerun, thresholds.\n")
    }
}
