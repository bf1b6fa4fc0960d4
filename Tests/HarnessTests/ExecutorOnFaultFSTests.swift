#if canImport(Glibc)
import Glibc
#endif
import ExecutorContract
import FaultFSTestSupport
import Foundation
import Testing

/// The built-in executors on a real FaultFS mount with a fault armed: what
/// the pattern-off arm really leaves behind, and what the pattern-on arm
/// prevents. The backing directory is the ground truth, read after the
/// unmount (never through the mount).
@Suite("Built-in executors on a FaultFS mount", .serialized, .timeLimit(.minutes(3)))
struct ExecutorOnFaultFSTests {
    static let old = [UInt8](repeating: 0x4F, count: 5_000)
    static let new = SeededBytes.generate(count: 300_000, seed: 7)

    @Test("write-file while the disk fills up at 100000 bytes: off truncates the file, on keeps the old content", arguments: Arm.allCases)
    func diskFullMidway(arm: Arm) throws {
        let plan = """
            rules:
              - name: disk-full
                fault: disk-full
                bytes: 100000
            """
        let mounted = try withFaultMount(plan: plan, setup: { backing in
            try must(FS.writeFile(backing + "/settings.json", Self.old), "write the old settings")
        }) { m in
            try ExecutorRun.run(arm, #"{"kind":"write-file","path":"settings.json","content":{"generate":{"size":300000,"seed":7}}}"#, in: m.mountPoint)
        }
        let run = mounted.value
        let final = mounted.backing["settings.json"]
        #expect(run.result.exit == .exited(0) && run.claim?.status == .failure, "both arms report the full disk: \(run)")
        #expect(run.claim?.error?.contains("No space left") == true, "\(run)")
        #expect(mounted.traceFile?.contains("disk-full") == true, "the fault fired")
        switch arm {
        case .off:
            #expect(final?.count == 100_000 && final.map { Array($0) } == Array(Self.new.prefix(100_000)),
                    "off: the settings are cut at the full disk, neither old nor new (\(final?.count ?? -1) bytes)")
        case .on:
            #expect(final == Self.old, "on: the old settings are intact (\(final?.count ?? -1) bytes)")
            #expect(mounted.backing.keys.sorted() == ["settings.json"], "on: no temporary left: \(mounted.backing.keys.sorted())")
        }
    }

    @Test("write-file killed after 50000 bytes: off leaves a cut file in place, on leaves the old file and only a temporary", arguments: Arm.allCases)
    func killedMidWrite(arm: Arm) throws {
        let plan = """
            rules:
              - name: kill
                fault: kill-caller
                bytes: 50000
            """
        let mounted = try withFaultMount(plan: plan, setup: { backing in
            try must(FS.writeFile(backing + "/settings.json", Self.old), "write the old settings")
        }) { m in
            try ExecutorRun.run(arm, #"{"kind":"write-file","path":"settings.json","content":{"generate":{"size":300000,"seed":7}}}"#, in: m.mountPoint)
        }
        let run = mounted.value
        #expect(run.result.exit == .signaled(SIGKILL) && run.claim == nil, "killed before any claim: \(run)")
        let final = mounted.backing["settings.json"]
        switch arm {
        case .off:
            #expect(final.map { Array($0) } == Array(Self.new.prefix(50_000)), "off: cut at the kill (\(final?.count ?? -1) bytes)")
        case .on:
            #expect(final == Self.old, "on: the old settings are intact (\(final?.count ?? -1) bytes)")
            let temporaries = mounted.backing.keys.filter { $0.contains(".atomic-tmp.") }
            #expect(temporaries.count == 1 && mounted.backing[temporaries[0]]?.count == 50_000,
                    "on: the killed write's temporary holds what was written: \(mounted.backing.keys.sorted())")
        }
    }

    @Test("write-file whose first write is torn (8192 of 10000 bytes stored, 10000 reported): off claims success over a short file, PATTERN-002 rewrites",
          arguments: Arm.allCases)
    func tornWrite(arm: Arm) throws {
        let plan = """
            rules:
              - name: torn
                fault: torn-write
                block: 4096
                max: 1
            """
        let mounted = try withFaultMount(plan: plan) { m in
            try ExecutorRun.run(arm, #"{"kind":"write-file","path":"report.bin","content":{"generate":{"size":10000,"seed":3}},"patterns":["EXEC-004","PATTERN-002"]}"#, in: m.mountPoint)
        }
        let run = mounted.value
        let final = mounted.backing["report.bin"]
        #expect(mounted.traceFile?.contains("torn") == true, "the fault fired")
        switch arm {
        case .off:
            #expect(run.claim?.status == .success, "off believes it succeeded: \(run)")
            #expect(final?.count == 8192, "off: the file is short (\(final?.count ?? -1) bytes): a silent error")
        case .on:
            #expect(run.claim == Claim(status: .success, produced: ["report.bin"], attempts: 2), "on: checked, rewritten once: \(run)")
            #expect(final == SeededBytes.generate(count: 10_000, seed: 3), "on: the file is whole")
        }
    }

    static let batch = #"""
        {"kind":"batch","patterns":PATTERNS,"operations":[
          {"op":"write","path":"out/a.txt","content":{"text":"A"}},
          {"op":"write","path":"out/b.txt","content":{"text":"B"}},
          {"op":"copy","path":"data.txt","to":"out/c.txt"}]}
        """#

    /// EIO on the third file created under out/: the off arm's third open, or
    /// the on arm's third temporary.
    static let thirdCreateFails = """
        rules:
          - name: third-create
            fault: errno
            errno: EIO
            path: "out/**"
            ops: [create]
            nth: 3
        """

    static func runBatch(_ arm: Arm, patterns: String) throws -> FaultMountResult<ExecutorRun.Outcome> {
        try withFaultMount(plan: thirdCreateFails, setup: { backing in
            try must(FS.mkdir(backing + "/out"), "mkdir out")
            try must(FS.writeFile(backing + "/data.txt", "data"), "write data.txt")
        }) { m in
            try ExecutorRun.run(arm, batch.replacingOccurrences(of: "PATTERNS", with: patterns), in: m.mountPoint)
        }
    }

    @Test("batch with EIO at its third step: off leaves two of three files, EXEC-002 alone rolls back to none")
    func batchMidway() throws {
        let off = try Self.runBatch(.off, patterns: "[]")
        #expect(off.value.claim?.status == .failure && off.value.claim?.produced == ["out/a.txt", "out/b.txt"], "\(off.value)")
        #expect(off.backing.keys.filter { $0.hasPrefix("out/") }.sorted() == ["out/", "out/a.txt", "out/b.txt"], "off: half the batch stays applied")

        let on = try Self.runBatch(.on, patterns: #"["EXEC-002"]"#)
        #expect(on.value.claim?.status == .failure && on.value.claim?.error?.contains("undone") == true, "\(on.value)")
        #expect(on.backing.keys.filter { $0.hasPrefix("out/") }.sorted() == ["out/"], "on: the batch was rolled back: \(on.backing.keys.sorted())")
        #expect(on.traceFile?.contains("third-create") == true, "the fault fired")
    }

    @Test("batch with EIO at its third step: with PATTERN-003 too, the cleanly rolled-back batch is run again and completes")
    func batchMidwayRetried() throws {
        let on = try Self.runBatch(.on, patterns: #"["EXEC-002", "PATTERN-003"]"#)
        #expect(on.value.claim == Claim(status: .success, produced: ["out/a.txt", "out/b.txt", "out/c.txt"], attempts: 2), "\(on.value)")
        #expect(on.backing["out/a.txt"] == Array("A".utf8) && on.backing["out/b.txt"] == Array("B".utf8) && on.backing["out/c.txt"] == Array("data".utf8))
        #expect(on.backing.keys.filter { $0.hasPrefix("out/") }.count == 4, "no backup or temporary left: \(on.backing.keys.sorted())")
    }

    @Test("read-config whose first two opens fail with EIO: off reports it, on retries and succeeds on the third (with or without EXEC-001)",
          arguments: [(Arm.off, "[]"), (Arm.on, "[]"), (Arm.on, #"["PATTERN-003"]"#)])
    func transientRead(arm: Arm, patterns: String) throws {
        let plan = """
            rules:
              - name: flaky-open
                fault: transient
                errno: EIO
                path: config.json
                ops: [open]
                count: 2
            """
        let mounted = try withFaultMount(plan: plan, setup: { backing in
            try must(FS.writeFile(backing + "/config.json", #"{"server": {"port": 8080}}"#), "write config.json")
        }) { m in
            try ExecutorRun.run(arm, #"{"kind":"read-config","path":"config.json","select":["server.port"],"output":"port.json","patterns":\#(patterns)}"#, in: m.mountPoint)
        }
        let run = mounted.value
        switch arm {
        case .off:
            #expect(run.claim?.status == .failure && run.claim?.error?.contains("Input/output error") == true, "\(run)")
            #expect(mounted.backing["port.json"] == nil)
        case .on:
            #expect(run.claim == Claim(status: .success, produced: ["port.json"], attempts: 3), "\(run)")
            #expect(mounted.backing["port.json"] == Array(#"{"server.port":8080}"#.utf8))
        }
    }

    @Test("run-tools whose second tool is gone from bin/: off writes the first output and fails, on runs nothing", arguments: Arm.allCases)
    func toolMissing(arm: Arm) throws {
        let plan = """
            rules:
              - name: render-gone
                fault: missing
                path: bin/render
            """
        let mounted = try withFaultMount(plan: plan, setup: { backing in
            try must(FS.mkdir(backing + "/bin"), "mkdir bin")
            try must(FS.mkdir(backing + "/out"), "mkdir out")
            try must(FS.writeFile(backing + "/bin/fetch", "#!/bin/sh\necho fetched\n", mode: 0o755), "write bin/fetch")
            try must(FS.writeFile(backing + "/bin/render", "#!/bin/sh\necho rendered\n", mode: 0o755), "write bin/render")
        }) { m in
            try ExecutorRun.run(arm, #"{"kind":"run-tools","steps":[{"tool":"fetch","output":"out/data.txt"},{"tool":"render","output":"out/report.txt"}]}"#, in: m.mountPoint)
        }
        let run = mounted.value
        #expect(run.claim?.status == .failure && run.claim?.error?.contains("render") == true, "\(run)")
        let outputs = mounted.backing.keys.filter { $0.hasPrefix("out/") && $0 != "out/" }.sorted()
        #expect(outputs == (arm == .off ? ["out/data.txt"] : []), "\(arm): \(outputs)")
    }
}
