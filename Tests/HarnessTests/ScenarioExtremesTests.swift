import Harness
import Testing

/// Every numeric field of a scenario given every awkward value: each is
/// either loaded or refused with one line; none may trap (a trap would end
/// the test process, which fails the run).
@Suite("Scenario loader: numeric extremes")
struct ScenarioExtremesTests {
    static let values = [
        "-1", "0", "1", "1.5", "-0", "1e400", "-1e400", "1e300", "99999999999999999999999", "-99999999999999999999",
        "9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551615", "18446744073709551616",
        ".nan", ".inf", "-.inf", "0x10", "0o17", "1_000", "1:30", "'7'", "[1]", "{a: 1}", "~", "''", "true",
        "1e300s", "-5ms", "1e20m", "1e-300ns", "nan", "infs",
    ]

    /// Each template has one `§` where the value goes.
    static let templates = [
        "setup: {files: [{path: f, size: §}]}",
        "setup: {files: [{path: f, random: {size: §, seed: 1}}]}",
        "setup: {files: [{path: f, random: {size: 1, seed: §}}]}",
        "setup: {files: [{path: f, content: x, mode: §}]}",
        "timeout: §",
        "trials: §",
        "rerun: {max: §}",
        "rerun: {recovery-cost: §}",
        "thresholds: {prevention-drop: §}",
        "thresholds: {time-worse: §}",
        "faults: {arm: {after: §}}",
        "faults: {rules: [{fault: delay, ms: §}]}",
        "faults: {rules: [{fault: delay, distribution: log-normal, median: §, sigma: §}]}",
        "faults: {rules: [{fault: delay, distribution: uniform, min: §, max-delay: §}]}",
        "faults: {rules: [{fault: delay, bandwidth: §}]}",
        "faults: {rules: [{fault: missing, nth: §, every: §, max: §, probability: §}]}",
        "faults: {rules: [{fault: missing, after: §, for: §}]}",
        "faults: {rules: [{fault: corrupt-read, offset: {from: §, to: §}, flips: §}]}",
        "faults: {rules: [{fault: corrupt-read, mode: zero, bytes: §}]}",
        "faults: {rules: [{fault: short-write, fraction: §}]}",
        "faults: {rules: [{fault: short-read, at-most: §}]}",
        "faults: {rules: [{fault: torn-write, block: §}]}",
        "faults: {rules: [{fault: transient, count: §, errno: §}]}",
        "faults: {rules: [{fault: errno, errno: {EIO: §}}]}",
        "faults: {rules: [{fault: kill-caller, bytes: §}]}",
        "faults: {rules: [{fault: disk-full, bytes: §, capacity: §}]}",
        "faults: {rules: [{fault: power-loss, keep-random-subset: §, kill: {pid: [§]}}]}",
        "faults: {rules: [{fault: missing, callers: {include: {pid: §}}}]}",
    ]

    static let taskTemplates = [
        "{kind: write-file, path: a, content: {text: hi}, chunk: §}",
        "{kind: write-file, path: a, content: {generate: {size: §, seed: §}}}",
        "{kind: run-tools, timeout: §, steps: [{tool: t, args: [§]}]}",
        "{kind: planning-loop, state: s, output: o, max-iterations: §, budget: §, interval: §}",
        "{kind: read-config, path: c.json, select: [§], types: {a: §}, output: o}",
        "{kind: batch, operations: [{op: write, path: a, content: {generate: {size: 1, seed: §}}}]}",
    ]

    static let expectTemplates = [
        "{files: [{path: a, min-size: §}]}",
        "{files: [{path: a, size: §}]}",
        "{files: [{path: a, random: {size: §, seed: §}}]}",
    ]

    @Test("no value in any numeric field traps; every refusal is one line", arguments: values)
    func noTrap(_ value: String) {
        var texts: [String] = []
        let head = "title: t\ndescription: d\npatterns: [EXEC-004]\n"
        let task = "task: {kind: write-file, path: a, content: {text: hi}}\n"
        let expect = "expect: {files: [{path: a}]}\n"
        for template in Self.templates {
            texts.append(head + task + expect + template.replacingOccurrences(of: "§", with: value) + "\n")
        }
        for template in Self.taskTemplates {
            texts.append(head + "task: " + template.replacingOccurrences(of: "§", with: value) + "\n" + expect)
        }
        for template in Self.expectTemplates {
            texts.append(head + task + "expect: " + template.replacingOccurrences(of: "§", with: value) + "\n")
        }
        for text in texts {
            do {
                _ = try ScenarioLoader.parse(yaml: text, file: "x.yaml")
            } catch {
                #expect(error.description.hasPrefix("x.yaml:"), "\(text)")
                #expect(!error.description.contains("\n"), "\(text)")
            }
        }
    }

    @Test("values at the edges of their ranges load with exactly those values")
    func edges() throws {
        let text = """
        title: t
        description: d
        patterns: [EXEC-001]
        setup: {files: [{path: f, random: {size: 1073741824, seed: 18446744073709551615}}, {path: g, content: x, mode: 7777}]}
        task: {kind: write-file, path: a, content: {generate: {size: 0, seed: 18446744073709551615}}, chunk: 1073741824}
        expect: {files: [{path: a, min-size: 0}]}
        timeout: 1440m
        trials: 1000000
        rerun: {max: 0, recovery-cost: 0}
        thresholds: {prevention-drop: 0, time-worse: 1000}
        """
        let s = try ScenarioLoader.parse(yaml: text, file: "x.yaml")
        #expect(s.setup.files[0].bytes == .random(size: 1 << 30, seed: .max))
        #expect(s.setup.files[1].mode == 0o7777)
        #expect(s.timeout == 86400)
        #expect(s.trials == 1_000_000)
        #expect(s.rerun.max == 0 && s.rerun.recoveryCost == 0)
        #expect(s.thresholds?.timeWorse == 1000)
    }
}
