#if canImport(Glibc)
import Glibc
#endif
import FaultEngine
import FaultFSTestSupport
import Foundation
import SystemPackage
import Testing

/// One bad plan file given to `faultbench mount --plan`.
struct BadPlan: Sendable, CustomTestStringConvertible {
    let name: String
    let yaml: String
    /// The line, field and sentence of the one expected error line.
    let line: Int
    let field: String
    let message: String

    var testDescription: String { name }
}

extension MountTests {
    /// Plan files (issue 3 §6): a bad plan stops the mount with one line
    /// naming file, line and field; every example in docs/PLANS.md parses
    /// and arms.
    @Suite("FaultPlan", .serialized, .timeLimit(.minutes(2)))
    struct FaultPlan {
        static let badPlans: [BadPlan] = [
            BadPlan(name: "unknown fault", yaml: "rules:\n  - name: bad\n    fault: explode\n", line: 3, field: "rules[0].fault",
                    message: "explode is not a fault; use one of missing, errno, transient, short-write, short-read, torn-write, lost-write, delay, corrupt-read, kill-caller, power-loss, fsync-fail, disk-full."),
            BadPlan(name: "probability 1.5", yaml: "seed: 3\nrules:\n  - fault: errno\n    errno: EIO\n    probability: 1.5\n", line: 5,
                    field: "rules[0].probability", message: "1.5 is outside 0...1; use a number from 0 to 1."),
            BadPlan(name: "errno that does not exist", yaml: "rules:\n  - fault: errno\n    path: f\n    errno: EBOGUS\n", line: 4,
                    field: "rules[0].errno", message: "EBOGUS is not a Linux errno name; use one like EIO, ENOSPC, EACCES or EAGAIN."),
            BadPlan(name: "two rules with one name",
                    yaml: "rules:\n  - name: same\n    fault: lost-write\n  - name: same\n    fault: lost-write\n", line: 4,
                    field: "rules[1].name", message: "\"same\" is already the name of rules[0] (line 2); give each rule its own name."),
        ]

        @Test("a bad plan at mount: exactly one line naming file:line and field, exit 1, nothing mounted, no socket left", arguments: badPlans)
        func badPlanAtMount(_ bad: BadPlan) throws {
            try withTemporaryDirectory("badplan") { dir in
                let backing = try dir.makeDirectory("backing"), mnt = try dir.makeDirectory("mnt")
                let plan = dir.path("plan.yaml"), socket = dir.path("ctl.sock")
                try must(FS.writeFile(plan, bad.yaml), "write the plan")
                let result = try Tool.run(try FaultbenchBinary.path(),
                                          ["mount", backing, mnt, "--plan", plan, "--control", socket, "--trace", dir.path("trace")], timeout: 20)
                #expect(result.exit == .exited(1), "\(result)")
                #expect(result.stderr == "faultbench: \(plan):\(bad.line): \(bad.field): \(bad.message)\n")
                #expect(result.stdout == "")
                #expect(MountTable.fuseMounts(under: dir.path).isEmpty, "nothing mounted")
                #expect(FS.lstat(socket).errno == .noSuchFileOrDirectory, "no socket file left")
                #expect(FS.lstat(dir.path("trace")).errno == .noSuchFileOrDirectory, "no trace file written")
                #expect(try must(FS.listDirectory(mnt), "list mnt") == [])
                #expect(try must(FS.stat(mnt), "stat mnt").st_dev == (try must(FS.stat(dir.path), "stat dir").st_dev))
            }
        }

        /// docs/PLANS.md, found from this source file (Tests/FaultFSTests/).
        static var documentation: String {
            var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
            parts.removeLast(3)
            return parts.joined(separator: "/") + "/docs/PLANS.md"
        }

        /// The ```yaml blocks of a Markdown text, with the line each starts on.
        static func yamlBlocks(_ markdown: String) -> [(line: Int, text: String)] {
            var blocks: [(Int, String)] = []
            var current: [String]? = nil
            var start = 0
            for (index, line) in markdown.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if current == nil, line.trimmingCharacters(in: .whitespaces) == "```yaml" {
                    current = []
                    start = index + 2
                } else if current != nil, line.trimmingCharacters(in: .whitespaces) == "```" {
                    blocks.append((start, current!.joined(separator: "\n") + "\n"))
                    current = nil
                } else if current != nil {
                    current!.append(String(line))
                }
            }
            return blocks
        }

        @Test("every yaml example in docs/PLANS.md parses, arms, and together they show all 13 faults one by one")
        func documentedPlansParse() throws {
            let text = try must(FS.readText(Self.documentation), "read \(Self.documentation)")
            let blocks = Self.yamlBlocks(text)
            #expect(blocks.count >= 15, "a layout example, a combined one and 13 faults: \(blocks.count) blocks")
            var alone = Set<FaultKind>()
            for block in blocks {
                let plan: Plan
                do {
                    plan = try Plan.parse(yaml: block.text, file: "docs/PLANS.md block at line \(block.line)")
                } catch {
                    Issue.record("docs/PLANS.md:\(block.line): \(error)")
                    continue
                }
                #expect(!plan.rules.isEmpty, "docs/PLANS.md:\(block.line) has rules")
                let engine = FaultEngine(seed: 1, clock: ManualClock())
                #expect(throws: Never.self, "docs/PLANS.md:\(block.line) arms") { try engine.arm(plan) }
                let kinds = Set(plan.rules.map(\.fault.kind))
                if kinds.count == 1 { alone.formUnion(kinds) }
            }
            #expect(alone == Set(FaultKind.allCases), "faults without an example of their own: \(Set(FaultKind.allCases).subtracting(alone))")
        }

        @Test("every yaml example in docs/PLANS.md is accepted by a live mount's control socket")
        func documentedPlansArm() throws {
            let blocks = Self.yamlBlocks(try must(FS.readText(Self.documentation), "read \(Self.documentation)"))
            _ = try withFaultMount { m in
                for block in blocks {
                    let answer = try m.control.send(.arm(plan: block.text))
                    #expect(answer.ok, "docs/PLANS.md:\(block.line): \(answer)")
                    try m.control.must(.clear(id: nil))
                }
            }
        }
    }
}
