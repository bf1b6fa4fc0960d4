import ExecutionPatterns
import Foundation
import SystemPackage
import Testing

@Suite("EXEC-003 tool availability guards")
struct ToolGuardTests {
    @Test("Finds sh on PATH, and caches the answer")
    func findsShell() {
        let guard_ = ToolGuard()
        let sh = try? guard_.locate("sh").get()
        #expect(sh?.lastComponent?.string == "sh")
        #expect(guard_.scanCount == 1)
        _ = guard_.locate("sh")
        #expect(guard_.scanCount == 1)
        guard_.forget()
        _ = guard_.locate("sh")
        #expect(guard_.scanCount == 2)
    }

    @Test("Searches every PATH entry in order, skipping directories and files without the execute bit")
    func pathRules() throws {
        let a = try TemporaryDirectory()
        let b = try TemporaryDirectory()
        try a.write("tool", "#!/bin/sh\necho a\n", mode: 0o644)  // not executable
        try FileManager.default.createDirectory(atPath: b.file("dirtool").string, withIntermediateDirectories: false)
        try b.write("tool", "#!/bin/sh\necho b\n", mode: 0o755)
        let guard_ = ToolGuard(searchPath: "/nonexistent:\(a.path):\(b.path)")
        #expect(try guard_.locate("tool").get() == b.file("tool"))
        guard case .failure(.missing(_, _, let nx)) = ToolGuard(searchPath: a.path.string).locate("tool") else {
            Issue.record("expected missing"); return
        }
        #expect(nx == [a.file("tool")])
        #expect(throws: ToolProblem.self) { try guard_.locate("dirtool").get() }
    }

    @Test("Every missing tool is reported at once, each with its install hint")
    func allMissing() async {
        let guard_ = ToolGuard()
        let report = await guard_.check([
            ToolRequirement("sh"),
            ToolRequirement("no-such-tool-1", installHint: "cargo install no-such-tool"),
            ToolRequirement("no-such-tool-2"),
            ToolRequirement("jq-definitely-missing", installHint: "apt-get install jq"),
        ])
        #expect(!report.isSatisfied)
        #expect(report.found["sh"] != nil)
        #expect(report.problems.map(\.name) == ["no-such-tool-1", "no-such-tool-2", "jq-definitely-missing"])
        #expect(report.description.contains("3 required tools are unavailable"))
        #expect(report.description.contains("cargo install no-such-tool"))
        #expect(report.description.contains("apt-get install jq"))
        await #expect(throws: ToolGuardError.self) { try await guard_.require([ToolRequirement("no-such-tool-1")]) }
    }

    @Test("Version requirements are checked by running the tool")
    func versions() async throws {
        let guard_ = ToolGuard()
        let tool = (try? guard_.locate("git").get()) != nil ? "git" : "python3"
        try #require((try? guard_.locate(tool).get()) != nil, "needs git or python3")
        let ok = await guard_.check([ToolRequirement(tool, minimumVersion: ToolVersion("1.0"))])
        #expect(ok.isSatisfied, "\(ok)")
        let tooOld = await guard_.check([ToolRequirement(tool, minimumVersion: ToolVersion("999.0"))])
        guard case .versionTooOld(_, _, let found, let required, _) = tooOld.problems.first else { Issue.record("\(tooOld)"); return }
        #expect(found >= ToolVersion("1.0")!)
        #expect(required == ToolVersion("999")!)
        // `true --version` prints nothing: the version is unreadable, not "fine".
        let unreadable = await ToolGuard().check([ToolRequirement("true", minimumVersion: ToolVersion("1.0"), versionArguments: [])])
        guard case .versionUnreadable = unreadable.problems.first else { Issue.record("\(unreadable)"); return }
    }

    @Test("Version parsing and comparison")
    func versionParsing() {
        #expect(ToolVersion(findingIn: "git version 2.43.0\n") == ToolVersion("2.43.0"))
        #expect(ToolVersion(findingIn: "Python 3.12.3") == ToolVersion("3.12.3"))
        #expect(ToolVersion(findingIn: "no digits here") == nil)
        #expect(ToolVersion("1.2")! == ToolVersion("1.2.0")!)
        #expect(ToolVersion("1.10")! > ToolVersion("1.9.9")!)
    }

    @Test("Runs a tool; a non-zero exit is a normal result with the output")
    func runs() async throws {
        let guard_ = ToolGuard()
        let ok = try await guard_.run("sh", arguments: ["-c", "echo out; echo err >&2"], timeout: .seconds(10))
        #expect(ok.succeeded && ok.standardOutput == "out\n" && ok.standardError == "err\n")
        let failed = try await guard_.run("sh", arguments: ["-c", "exit 3"], timeout: .seconds(10))
        #expect(!failed.succeeded && !failed.timedOut)
        #expect(failed.status == .exited(3))
    }

    // The tests of timeouts, which signal process groups, are in
    // ToolGuardIsolatedTests: they run in a PID namespace of their own.

    @Test("Running a missing tool throws with the hint instead of starting anything")
    func runMissing() async {
        let error = await #expect(throws: ToolGuardError.self) {
            try await ToolGuard(hints: ["apply_patch": "cargo install apply-patch"]).run("apply_patch", timeout: .seconds(1))
        }
        #expect(error?.description.contains("cargo install apply-patch") == true)
    }
}
