#if canImport(Glibc)
import Glibc
#endif
import ExecutorContract
import FaultEngine
@testable import Harness
import Results
import Testing
import FaultFSTestSupport

/// A scenario with every field given, to check that each lands where it should.
let fullScenario = """
id: exec-004/full
title: Everything at once
description: >
  Every field of the format, so that the loader is seen to fill each one.
patterns: [EXEC-004, PATTERN-002]
setup:
  dirs: [out, "deep/er"]
  files:
    - path: settings.json
      content: '{"version": 1}'
      mode: 0600
    - {path: out/filler.txt, size: 30}
    - {path: out/random.bin, random: {size: 100, seed: 18446744073709551615}}
  tools:
    - name: render
      script: |
        #!/bin/sh
        echo rendered
task:
  kind: write-file
  path: settings.json
  content: {generate: {size: 262144, seed: 7}}
  chunk: 4096
faults:
  arm: {after: 20ms}
  rules:
    - fault: disk-full
      path: settings.json
      bytes: 100000
    - name: slow
      fault: delay
      path: "out/**"
      ops: [read, write]
      ms: 5
expect:
  files:
    - path: settings.json
      random: {size: 262144, seed: 7}
    - {path: out/filler.txt, size: 30, min-size: 10}
    - {path: out/a.json, sha256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08, format: json}
    - {path: out/b}
  absent: ["*.tmp", "out/**/*.bak"]
  consistent:
    - name: old content intact
      files:
        - {path: settings.json, unchanged: true}
    - name: nothing written
      absent: [out/a.json]
timeout: 250ms
trials: 40
rerun: {max: 5, recovery-cost: 2m}
thresholds: {prevention-drop: 0.1, time-worse: 0.05}
"""

@Suite("Scenario loader")
struct ScenarioLoaderTests {
    @Test("a scenario with every field: each value lands in the model")
    func everyField() throws {
        let s = try ScenarioLoader.parse(yaml: fullScenario, file: "scenarios/exec-004/full.yaml")
        #expect(s.id == "exec-004/full")
        #expect(s.title == "Everything at once")
        #expect(s.description == "Every field of the format, so that the loader is seen to fill each one.\n")
        #expect(s.patterns == ["EXEC-004", "PATTERN-002"])
        #expect(s.setup.directories == ["out", "deep/er"])
        #expect(s.setup.files == [
            .init(path: "settings.json", bytes: .text("{\"version\": 1}"), mode: 0o600),
            .init(path: "out/filler.txt", bytes: .filler(size: 30)),
            .init(path: "out/random.bin", bytes: .random(size: 100, seed: UInt64.max)),
        ])
        #expect(s.setup.tools == [.init(name: "render", script: "#!/bin/sh\necho rendered\n")])
        #expect(s.task == TaskSpec(.writeFile(.init(path: "settings.json", content: .init(generate: .init(size: 262144, seed: 7)), chunk: 4096)),
                                   patterns: ["EXEC-004", "PATTERN-002"]))
        #expect(s.faults.arm == .after(nanoseconds: 20_000_000))
        #expect(s.faults.rules.count == 2)
        #expect(s.faults.rules[0].fault == .diskFull(afterBytes: 100000, capacity: nil))
        #expect(s.faults.rules[0].path.pattern == "settings.json")
        #expect(s.faults.rules[1].name == "slow")
        #expect(s.faults.rules[1].operations == [.read, .write])
        #expect(s.faults.sources.count == 2)
        #expect(s.faults.sources[0]["bytes"] == .scalar("100000", plain: true))
        #expect(s.faults.sources[1]["path"] == .scalar("out/**", plain: false))
        #expect(s.expect.correct.files == [
            .init(path: "settings.json", checks: [.bytes(.random(size: 262144, seed: 7))]),
            .init(path: "out/filler.txt", checks: [.bytes(.filler(size: 30)), .minimumSize(10)]),
            .init(path: "out/a.json", checks: [.sha256("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"), .format("json")]),
            .init(path: "out/b", checks: []),
        ])
        #expect(s.expect.correct.absent == ["*.tmp", "out/**/*.bak"])
        #expect(s.expect.consistent == [
            .init(name: "old content intact", state: .init(files: [.init(path: "settings.json", checks: [.unchanged])])),
            .init(name: "nothing written", state: .init(absent: ["out/a.json"])),
        ])
        #expect(s.timeout == 0.25)
        #expect(s.trials == 40)
        #expect(s.rerun == RerunPolicy(max: 5, recoveryCost: 120))
        #expect(s.thresholds == .init(preventionDrop: 0.1, timeWorse: 0.05))
        #expect(s.file == "scenarios/exec-004/full.yaml")
        #expect(s.sha256.count == 64)
        #expect(!s.isControl)
    }

    @Test("arm after the task's first calls")
    func armAfterCalls() throws {
        let text = """
        title: t
        description: d
        patterns: [EXEC-004]
        task: {kind: write-file, path: a, content: {text: hi}}
        faults: {arm: {after-calls: 3}, rules: [{fault: lost-write}]}
        expect: {files: [{path: a, content: hi}]}
        """
        #expect(try ScenarioLoader.parse(yaml: text, file: "x/y.yaml").faults.arm == .afterCalls(3))
    }

    @Test("defaults: id from the path, timeout 10 s, 3 reruns at the seed's midpoint cost of the first pattern, arm before")
    func defaults() throws {
        let text = """
        title: t
        description: d
        patterns: [PATTERN-003, EXEC-004]
        task: {kind: write-file, path: a, content: {text: hi}}
        expect: {files: [{path: a, content: hi}]}
        """
        let s = try ScenarioLoader.parse(yaml: text, file: "some/where/pattern-003/retry.yaml")
        #expect(s.id == "pattern-003/retry")
        #expect(s.timeout == 10)
        #expect(s.trials == nil)
        #expect(s.rerun == RerunPolicy(max: 3, recoveryCost: 12.5))
        #expect(s.thresholds == nil)
        #expect(s.faults.arm == .beforeTask)
        #expect(s.isControl)
        #expect(s.setup == Scenario.Setup())
        #expect(s.task.patterns == ["PATTERN-003", "EXEC-004"])
        // The seed's ranges (patterns-facts.md), at their midpoints.
        #expect(ScenarioLoader.recoveryCostDefaults == ["EXEC-001": 45, "EXEC-002": 90, "EXEC-003": 135, "EXEC-004": 210,
                                                         "PATTERN-001": 45, "PATTERN-002": 210, "PATTERN-003": 12.5])
    }

    @Test("the sha256 is of the file's bytes")
    func digest() throws {
        let text = "title: t\ndescription: d\npatterns: [EXEC-004]\ntask: {kind: write-file, path: a, content: {text: hi}}\nexpect: {absent: [a]}\n"
        let s = try ScenarioLoader.parse(yaml: text, file: "x.yaml")
        // sha256sum of the same bytes, computed outside Swift.
        #expect(s.sha256 == "b8ef26776993790fc868ff7c6288e95edf857403e563082a4f4b2a218ed6afe8")
    }

    @Test("task values: numbers where TaskSpec wants text stay text; every kind decodes")
    func taskKinds() throws {
        func task(_ body: String) throws -> TaskSpec {
            try ScenarioLoader.parse(yaml: "title: t\ndescription: d\npatterns: [EXEC-003]\ntask:\n\(body)\nexpect: {absent: [x]}\n", file: "t.yaml").task
        }
        #expect(try task("  kind: run-tools\n  timeout: 2\n  steps:\n    - {tool: fmt, args: [--width, 80, true], output: out.txt, minimum-version: '1.10'}")
                == TaskSpec(.runTools(.init(steps: [.init(tool: "fmt", args: ["--width", "80", "true"], output: "out.txt", minimumVersion: "1.10")], timeout: 2)),
                            patterns: ["EXEC-003"]))
        #expect(try task("  kind: read-config\n  path: c.yaml\n  format: yaml\n  select: [a.b]\n  types: {a.b: integer}\n  output: o.json")
                == TaskSpec(.readConfig(.init(path: "c.yaml", format: "yaml", select: ["a.b"], types: ["a.b": "integer"], output: "o.json")),
                            patterns: ["EXEC-003"]))
        #expect(try task("  kind: batch\n  operations:\n    - {op: copy, path: a, to: b}\n    - {op: write, path: c, content: {base64: aGk=}}\n    - {op: delete, path: a}")
                == TaskSpec(.batch(.init(operations: [.init(op: "copy", path: "a", to: "b"), .init(op: "write", path: "c", content: .init(base64: "aGk=")),
                                                      .init(op: "delete", path: "a")])), patterns: ["EXEC-003"]))
        #expect(try task("  kind: planning-loop\n  state: s.json\n  output: p.json\n  max-iterations: 20\n  budget: 0.5\n  interval: 0.001")
                == TaskSpec(.planningLoop(.init(state: "s.json", output: "p.json", maxIterations: 20, budget: 0.5, interval: 0.001)),
                            patterns: ["EXEC-003"]))
    }

    @Test("a suite: sorted by id, filtered by a glob in which * also crosses /, ids unique")
    func suite() throws {
        let dir = try TemporaryDirectory("suite")
        defer { try? dir.remove() }
        try dir.makeDirectory("exec-004")
        try dir.makeDirectory("pattern-002")
        try dir.makeDirectory(".hidden")
        let body = "description: d\npatterns: [EXEC-004]\ntask: {kind: write-file, path: a, content: {text: hi}}\nexpect: {absent: [x]}\n"
        try write(dir.path("exec-004/b.yaml"), "title: b\n" + body)
        try write(dir.path("exec-004/a.yaml"), "title: a\n" + body)
        try write(dir.path("pattern-002/disk.yaml"), "title: c\n" + body)
        try write(dir.path("exec-004/notes.txt"), "not a scenario")
        try write(dir.path(".hidden/x.yaml"), "broken: [")
        let all = try ScenarioLoader.loadSuite([dir.path])
        #expect(all.map(\.id) == ["exec-004/a", "exec-004/b", "pattern-002/disk"])
        #expect(try ScenarioLoader.loadSuite([dir.path], matching: "*disk*").map(\.id) == ["pattern-002/disk"])
        #expect(try ScenarioLoader.loadSuite([dir.path], matching: "exec-004/*").map(\.id) == ["exec-004/a", "exec-004/b"])
        #expect(try ScenarioLoader.loadSuite([dir.path("exec-004/b.yaml"), dir.path("exec-004/a.yaml")]).map(\.id) == ["exec-004/a", "exec-004/b"])

        // A link back to the top is followed once, not forever.
        #expect(symlink("..", dir.path("pattern-002/loop")) == 0)
        #expect(try ScenarioLoader.loadSuite([dir.path]).map(\.id) == ["exec-004/a", "exec-004/b", "pattern-002/disk"])

        try write(dir.path("pattern-002/dup.yaml"), "title: d\nid: exec-004/a\n" + body)
        #expect(throws: ScenarioError(file: dir.path("pattern-002/dup.yaml"), line: 2, field: "id",
                                      message: "exec-004/a is already the id of \(dir.path("exec-004/a.yaml")); give each scenario its own id.")) {
            try ScenarioLoader.loadSuite([dir.path])
        }
    }

    @Test("a file that is missing, a directory, or not UTF-8: one line")
    func unreadable() throws {
        let dir = try TemporaryDirectory("unreadable")
        defer { try? dir.remove() }
        #expect(throws: ScenarioError(file: dir.path("none.yaml"), field: "", message: "the scenario file does not exist; check the path.")) {
            try ScenarioLoader.load(file: dir.path("none.yaml"))
        }
        #expect(throws: ScenarioError(file: dir.path, field: "", message: "the scenario file is a directory; name a .yaml file or give the directory as a suite.")) {
            try ScenarioLoader.load(file: dir.path)
        }
        #expect(throws: ScenarioError(file: "b.yaml", field: "", message: "the file is not UTF-8 text; save it as UTF-8.")) {
            try ScenarioLoader.parse([0x74, 0xff, 0x0a], file: "b.yaml")
        }
    }

    @Test("which files `faultbench check` reads as scenarios")
    func scenarioOrPlan() {
        #expect(ScenarioLoader.isScenario(path: "scenarios/x/y.yaml", text: "rules: []"))
        #expect(ScenarioLoader.isScenario(path: "/tmp/y.yaml", text: "title: t\ntask: {kind: batch}\n"))
        #expect(!ScenarioLoader.isScenario(path: "/tmp/plan.yaml", text: "rules:\n  - fault: missing\n"))
        #expect(!ScenarioLoader.isScenario(path: "plan.yaml", text: "not: [valid"))
    }
}

func write(_ path: String, _ text: String) throws {
    if case .failure(let error) = FS.writeFile(path, text) { throw SupportError("cannot write \(path): \(error)") }
}
