#if canImport(Glibc)
import Glibc
#endif
import ExecutionPatterns
import FaultFSTestSupport
import Foundation
import SystemPackage
import Testing

/// EXEC-003 on a real FaultFS mount: a bin directory on the mount, one of
/// whose tools the fault engine hides.
@Suite("EXEC-003 tool guards on a FaultFS mount", .serialized, .timeLimit(.minutes(1)))
struct OnFaultFSToolTests {
    static func setUp(_ backing: String) throws {
        try must(FS.mkdir(backing + "/bin"), "mkdir bin in the backing")
        for name in ["jq", "fmt-tool"] {
            try must(FS.writeFile(backing + "/bin/" + name, "#!/bin/sh\necho \(name) 1.6\n", mode: 0o755), "write bin/\(name)")
        }
    }

    @Test("A tool hidden by missing is reported with its install hint, the others found; with the fault cleared it is found and runs")
    func missingTool() async throws {
        let plan = """
            rules:
              - fault: missing
                path: bin/jq
            """
        _ = try await withAsyncFaultMount(plan: plan, setup: Self.setUp) { m async throws in
            let bin = m.path("bin")
            let guardian = ToolGuard(searchPath: bin)
            let report = await guardian.check([ToolRequirement("fmt-tool", installHint: "make fmt-tool"), ToolRequirement("jq")])
            #expect(!report.isSatisfied)
            #expect(report.problems == [.missing(name: "jq", installHint: "apt-get install jq", notExecutable: [])], "\(report)")
            #expect(report.found == ["fmt-tool": FilePath(bin + "/fmt-tool")])
            #expect(report.description.contains("Install it with: apt-get install jq"), "\(report)")
            #expect(try OnFS.events(m, fault: "missing").count >= 1, "the fault was offered")
            // Running it is refused up front with the same problem, not a launch failure.
            do {
                _ = try await guardian.run("jq", arguments: ["--version"], timeout: .seconds(10))
                Issue.record("running a missing tool must throw")
            } catch {
                #expect("\(error)".contains("apt-get install jq"), "\(error)")
            }
            try OnFS.clearRules(m)
            guardian.forget()
            let after = await guardian.check([ToolRequirement("jq", minimumVersion: ToolVersion("1.5"))])
            #expect(after.isSatisfied, "\(after)")
            let ran = try await guardian.run("jq", timeout: .seconds(10))
            #expect(ran.succeeded && ran.standardOutput == "jq 1.6\n", "\(ran)")
        }
    }

    @Test("delay: a tool stuck in a slow read on the mount is stopped at its timeout, long before the read would end")
    func hangingTool() async throws {
        let plan = """
            rules:
              - fault: delay
                path: slow.txt
                ops: [read]
                ms: 2000
            """
        _ = try await withAsyncFaultMount(plan: plan, setup: { b in
            try Self.setUp(b)
            try must(FS.writeFile(b + "/slow.txt", "slow\n"), "write slow.txt")
            try must(FS.writeFile(b + "/bin/slowtool", "#!/bin/sh\ncat \"$(dirname \"$0\")/../slow.txt\"\n", mode: 0o755), "write bin/slowtool")
        }) { m async throws in
            // Run by pattern-probe in a PID namespace of its own (see ToolGuardIsolatedTests),
            // which also keeps the timing free of this process's busy threads.
            let r = try ToolGuardIsolatedTests.runProbe(["500", "1000", m.path("bin/slowtool")])
            #expect(r["timedOut"] == "true" && r["status"] != "exited(0)", "\(r)")
            #expect(Int(r["duration-ms"] ?? "") ?? .max < 1800, "stopped at its timeout, not after the 2 s read: \(r)")
            // The cat blocked in the 2 s FUSE read cannot die before the read ends, but
            // with SIGKILL pending it runs nothing more; nothing else is left.
            #expect(r["alive"] == "0", "\(r)")
            #expect(try OnFS.events(m, fault: "delay").count >= 1, "the slow read was made")
        }
    }
}
