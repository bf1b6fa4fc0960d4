#if canImport(Glibc)
import Glibc
#endif
import ExecutionPatterns
import FaultFSTestSupport
import Foundation
import SystemPackage
import Testing

/// EXEC-004 on a real FaultFS mount, under the faults it exists to defeat:
/// the writer is a separate process (`pattern-probe`) that the fault engine
/// SIGKILLs mid-write or cuts the power under, and the backing directory is
/// the ground truth, checked byte for byte.
///
/// The kill-caller and power-loss cases each have a contrast: an
/// anti-pattern (O_TRUNC in place, the seed's rename without fsync, an
/// in-place overwrite) under the same fault tears the file, so the pattern is
/// what makes the difference.
@Suite("EXEC-004 atomic operations on a FaultFS mount", .serialized, .timeLimit(.minutes(3)))
struct OnFaultFSAtomicTests {
    static let size = 20_000
    static let old = OnFS.fill("O", 12_345)
    static let new = OnFS.fill("N", size)
    static let again = OnFS.fill("M", size)
    /// The glob of the atomic temporaries of d/out.
    static let temporaryGlob = "d/.out\(AtomicFile.temporaryMarker)*"

    static func setUp(_ backing: String) throws {
        try must(FS.mkdir(backing + "/d"), "mkdir d in the backing")
        try must(FS.writeFile(backing + "/d/out", old), "write d/out in the backing")
    }

    /// Runs the atomic write once more, unfaulted: it must succeed, publish
    /// `again`, and remove the temporary the crashed writer left.
    static func expectRecovery(_ m: FaultMount, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let rerun = try PatternProbe.run(["atomic-write", m.path("d/out"), String(size), String(UInt8(ascii: "M"))])
        #expect(rerun.exit == .exited(0) && rerun.lines.last == "done", "the next atomic write succeeds: \(rerun)", sourceLocation: sourceLocation)
        OnFS.expectBytes(OnFS.backing(m, "d/out"), again, "the next write publishes its content", sourceLocation: sourceLocation)
        #expect(try OnFS.temporaries(m, in: "d") == [], "no temporary left after the next write", sourceLocation: sourceLocation)
    }

    // MARK: kill-caller

    @Test("kill-caller at byte N of the temporary: the destination is still the old file; the next write cleans up",
          arguments: [1, 4095, 4096, 10_000, size - 1])
    func killCallerAtomic(offset: Int) throws {
        let plan = """
            rules:
              - name: kill-atomic
                fault: kill-caller
                path: "\(Self.temporaryGlob)"
                bytes: \(offset)
            """
        let run = try withFaultMount(plan: plan, setup: Self.setUp) { m in
            let probe = try PatternProbe.run(["atomic-write", m.path("d/out"), String(Self.size), String(UInt8(ascii: "N"))])
            #expect(probe.exit == .signaled(SIGKILL), "the writer is killed mid-write: \(probe)")
            #expect(probe.lines.contains("step createdTemporary") && !probe.lines.contains("step wroteData"),
                    "killed inside the data write: \(probe.lines)")
            OnFS.expectBytes(OnFS.backing(m, "d/out"), Self.old, "the destination after the kill")
            // The fault did hit: the temporary holds exactly the first N new bytes.
            let left = try OnFS.temporaries(m, in: "d")
            #expect(left.count == 1, "the killed writer's temporary: \(left)")
            if let name = left.first {
                OnFS.expectBytes(OnFS.backing(m, "d/" + name), OnFS.fill("N", offset), "the temporary")
            }
            #expect(try OnFS.events(m, fault: "kill-caller").count == 1)
            try OnFS.clearRules(m)
            try Self.expectRecovery(m)
        }
        OnFS.expectBytes(run.backing["d/out"], Self.again, "after unmount")
    }

    @Test("Contrast: the naive write (O_TRUNC + write) killed at byte N leaves a torn file in place",
          arguments: [1, 4095, 4096, 10_000, size - 1])
    func killCallerNaive(offset: Int) throws {
        let plan = """
            rules:
              - fault: kill-caller
                path: d/out
                bytes: \(offset)
            """
        let run = try withFaultMount(plan: plan, setup: Self.setUp) { m in
            let probe = try PatternProbe.run(["naive-write", m.path("d/out"), String(Self.size), String(UInt8(ascii: "N"))])
            #expect(probe.exit == .signaled(SIGKILL), "\(probe)")
        }
        let got = run.backing["d/out"]
        OnFS.expectBytes(got, OnFS.fill("N", offset), "the first N new bytes and nothing else")
        let torn = got != Self.old && got != Self.new
        #expect(torn, "torn: neither old nor new")
    }

    // MARK: power loss

    struct PowerCut: Sendable, CustomTestStringConvertible {
        let step: AtomicFile.Step
        /// Whether directory changes (create, rename) since the directory's last fsync are undone too.
        let metadata: Bool
        /// The chance each unsynced 4 KiB block survives (reordered writeback).
        let keep: Double

        /// What the destination must hold: the new content once it is
        /// published and the rename durable, the old one before.
        var expectsNew: Bool {
            switch step {
            case .syncedDirectory: true
            case .published: !metadata
            default: false
            }
        }

        var testDescription: String { "after \(step.rawValue), metadata \(metadata), keep \(keep)" }

        static let all: [PowerCut] = AtomicFile.Step.allCases.flatMap { step in
            [PowerCut(step: step, metadata: false, keep: 0), PowerCut(step: step, metadata: true, keep: 0),
             PowerCut(step: step, metadata: true, keep: 0.5)]
        }
    }

    @Test("Power loss after each step of the atomic write leaves the old or the new file, never a mixture",
          arguments: PowerCut.all)
    func powerLossAtEveryStep(cut: PowerCut) throws {
        let run = try withFaultMount(arguments: ["--track-durability", "--seed", "11"], setup: Self.setUp) { m in
            let probe = try PatternProbe.start(["atomic-write", m.path("d/out"), String(Self.size), String(UInt8(ascii: "N")),
                                                "--pause-after", cut.step.rawValue])
            defer { probe.stop() }
            try probe.waitForLine("paused")
            try OnFS.powerLoss(m, metadata: cut.metadata, keep: cut.keep, kill: [probe.process.pid])
            #expect(probe.process.wait(timeout: 10) == .signaled(SIGKILL), "the power loss kills the writer")
            let got = OnFS.backing(m, "d/out")
            let isNew = OnFS.expectOldOrNew(got, old: Self.old, new: Self.new, "the destination after the power loss")
            #expect(isNew == cut.expectsNew, "expected the \(cut.expectsNew ? "new" : "old") content: \(OnFS.describe(got))")
            // The mount comes to show what the backing holds. Not checked at
            // once: FaultFS drops the kernel's cached names on a background
            // thread after answering (reported), so a read right away may
            // still find the name of the undone rename.
            let viaMount = OnFS.eventually(within: 2) { try? FS.readFile(m.path("d/out")).get() } until: { $0 == got }
            let sameAsBacking = viaMount == got
            #expect(sameAsBacking, "the mount shows \(OnFS.describe(viaMount)), the backing \(OnFS.describe(got))")
            try Self.expectRecovery(m)
        }
        OnFS.expectBytes(run.backing["d/out"], Self.again, "after unmount")
    }

    struct RulePowerCut: Sendable, CustomTestStringConvertible {
        let name: String
        let rule: String
        let metadata: Bool
        let expectsNew: Bool
        var testDescription: String { name }
    }

    static let rulePowerCuts = [
        RulePowerCut(name: "at the fsync of the temporary", rule: "path: \"\(temporaryGlob)\"", metadata: false, expectsNew: false),
        RulePowerCut(name: "at the fsync of the temporary, with metadata", rule: "path: \"\(temporaryGlob)\"", metadata: true, expectsNew: false),
        RulePowerCut(name: "at the fsync of the directory", rule: "path: d\n    ops: [fsyncdir]", metadata: false, expectsNew: true),
        RulePowerCut(name: "at the fsync of the directory, with metadata", rule: "path: d\n    ops: [fsyncdir]", metadata: true, expectsNew: false),
    ]

    @Test("A power-loss rule firing on the atomic write's own fsyncs leaves the old or the new file", arguments: rulePowerCuts)
    func powerLossRule(cut: RulePowerCut) throws {
        let plan = """
            rules:
              - name: cut
                fault: power-loss
                metadata: \(cut.metadata)
                \(cut.rule)
            """
        let run = try withFaultMount(plan: plan, setup: Self.setUp) { m in
            let probe = try PatternProbe.run(["atomic-write", m.path("d/out"), String(Self.size), String(UInt8(ascii: "N"))])
            #expect(probe.exit == .signaled(SIGKILL), "the power loss kills the writer in its fsync: \(probe)")
            let got = OnFS.backing(m, "d/out")
            let isNew = OnFS.expectOldOrNew(got, old: Self.old, new: Self.new, "the destination after the power loss")
            #expect(isNew == cut.expectsNew, "expected the \(cut.expectsNew ? "new" : "old") content: \(OnFS.describe(got))")
            #expect(try OnFS.events(m, fault: "power-loss").count == 1, "the rule fired once")
            try OnFS.clearRules(m)
            try Self.expectRecovery(m)
        }
        OnFS.expectBytes(run.backing["d/out"], Self.again, "after unmount")
    }

    @Test("Contrast: the seed's rename without fsync leaves an empty destination after a power loss")
    func powerLossRenameWithoutFsync() throws {
        let run = try withFaultMount(arguments: ["--track-durability"], setup: Self.setUp) { m in
            let probe = try PatternProbe.start(["rename-no-fsync", m.path("d/out"), String(Self.size), String(UInt8(ascii: "N")), "--pause"])
            defer { probe.stop() }
            try probe.waitForLine("paused")
            OnFS.expectBytes(OnFS.backing(m, "d/out"), Self.new, "before the power loss the rename looks done")
            try OnFS.powerLoss(m, metadata: false, kill: [probe.process.pid])
            #expect(probe.process.wait(timeout: 10) == .signaled(SIGKILL))
        }
        let got = run.backing["d/out"]
        OnFS.expectBytes(got, [], "the rename survived, the data did not")
    }

    @Test("Contrast: an in-place overwrite without fsync is a mixture of old and new blocks after a power loss that keeps some of them")
    func powerLossInPlace() throws {
        let blocks = 16
        let old = OnFS.fill("O", blocks * 4096), new = OnFS.fill("N", blocks * 4096)
        let run = try withFaultMount(arguments: ["--track-durability", "--seed", "11"], setup: { b in
            try must(FS.mkdir(b + "/d"), "mkdir d")
            try must(FS.writeFile(b + "/d/out", old), "write d/out")
        }) { m in
            let probe = try PatternProbe.start(["in-place-write", m.path("d/out"), String(new.count), String(UInt8(ascii: "N")), "--pause"])
            defer { probe.stop() }
            try probe.waitForLine("paused")
            try OnFS.powerLoss(m, metadata: true, keep: 0.5, kill: [probe.process.pid])
            #expect(probe.process.wait(timeout: 10) == .signaled(SIGKILL))
        }
        let got = try #require(run.backing["d/out"])
        #expect(got.count == old.count)
        let torn = got != old && got != new
        #expect(torn, "torn: some new blocks survived and some did not: \(OnFS.describe(got))")
    }

    // MARK: copy and move

    @Test("kill-caller while AtomicFile.copy streams into its temporary: the destination is still the old file",
          arguments: [1, 4096, size - 1])
    func killCallerCopy(offset: Int) throws {
        let plan = """
            rules:
              - fault: kill-caller
                path: "\(Self.temporaryGlob)"
                bytes: \(offset)
            """
        let run = try withFaultMount(plan: plan, setup: { b in
            try Self.setUp(b)
            try must(FS.writeFile(b + "/src", Self.new), "write src in the backing")
        }) { m in
            let probe = try PatternProbe.run(["atomic-copy", m.path("src"), m.path("d/out")])
            #expect(probe.exit == .signaled(SIGKILL), "\(probe)")
            OnFS.expectBytes(OnFS.backing(m, "d/out"), Self.old, "the destination after the kill")
            try OnFS.clearRules(m)
            let rerun = try PatternProbe.run(["atomic-copy", m.path("src"), m.path("d/out")])
            #expect(rerun.exit == .exited(0), "\(rerun)")
            #expect(try OnFS.temporaries(m, in: "d") == [], "the killed copy's temporary is cleaned up")
        }
        OnFS.expectBytes(run.backing["d/out"], Self.new, "after the unfaulted copy")
    }

    @Test("Power loss around AtomicFile.move between directories: before both directories are fsynced the move is undone whole, after it is durable",
          arguments: [AtomicFile.Step.published, .syncedDirectory])
    func powerLossMove(after step: AtomicFile.Step) throws {
        let run = try withFaultMount(arguments: ["--track-durability"], setup: { b in
            try Self.setUp(b)
            try must(FS.mkdir(b + "/e"), "mkdir e in the backing")
            try must(FS.writeFile(b + "/e/incoming", Self.new), "write e/incoming in the backing")
        }) { m in
            let probe = try PatternProbe.start(["atomic-move", m.path("e/incoming"), m.path("d/out"), "--pause-after", step.rawValue])
            defer { probe.stop() }
            try probe.waitForLine("paused")
            try OnFS.powerLoss(m, metadata: true, kill: [probe.process.pid])
            #expect(probe.process.wait(timeout: 10) == .signaled(SIGKILL))
        }
        if step == .syncedDirectory {
            OnFS.expectBytes(run.backing["d/out"], Self.new, "moved, both directories fsynced: durable")
            let sourceGone = run.backing["e/incoming"] == nil
            #expect(sourceGone, "and the source name is gone: \(OnFS.describe(run.backing["e/incoming"]))")
        } else {
            OnFS.expectBytes(run.backing["d/out"], Self.old, "the rename is undone: the destination is old")
            OnFS.expectBytes(run.backing["e/incoming"], Self.new, "and the source is back")
        }
    }

    // MARK: faults the atomic write survives or reports

    @Test("short-write on the temporary: the write loop stores the whole file; a single write() would have stored 100 bytes")
    func shortWrite() throws {
        let plan = """
            rules:
              - fault: short-write
                path: "\(Self.temporaryGlob)"
                bytes: 100
              - fault: short-write
                path: d/plain
                bytes: 100
            """
        let run = try withFaultMount(plan: plan, setup: Self.setUp) { m in
            try AtomicFile.write(Self.new, to: FilePath(m.path("d/out")))
            #expect(try OnFS.events(m, fault: "short-write").count >= 2, "the fault was offered")
            let fd = try must(FS.open(m.path("d/plain"), O_WRONLY | O_CREAT | O_TRUNC), "open d/plain")
            defer { _ = FS.close(fd) }
            #expect(try FS.write(fd, Self.new).get() == 100, "one write() call is cut short")
        }
        OnFS.expectBytes(run.backing["d/out"], Self.new, "the whole file, written through the short writes")
        #expect(run.backing.keys.filter { $0.contains(AtomicFile.temporaryMarker) } == [])
    }

    struct Refused: Sendable, CustomTestStringConvertible {
        let fault: String
        let rule: String
        let errno: Errno
        var testDescription: String { fault }
    }

    @Test("A failing fsync or a full disk: the error is reported with its errno, the destination untouched, the temporary removed",
          arguments: [
              Refused(fault: "fsync-fail", rule: "fault: fsync-fail\n    path: \"\(temporaryGlob)\"", errno: .ioError),
              Refused(fault: "disk-full", rule: "fault: disk-full\n    path: \"\(temporaryGlob)\"\n    bytes: 5000", errno: .noSpace),
          ])
    func refused(refusal refused: Refused) throws {
        let plan = "rules:\n  - \(refused.rule)\n"
        let run = try withFaultMount(plan: plan, setup: Self.setUp) { m in
            var thrown: AtomicFileError?
            do throws(AtomicFileError) {
                try AtomicFile.write(Self.new, to: FilePath(m.path("d/out")))
            } catch {
                thrown = error
            }
            let error = try #require(thrown, "the write must report the \(refused.fault)")
            #expect(error.underlyingErrno == refused.errno, "\(error)")
            #expect(!error.published)
            #expect(error.description.contains("d/out") && error.description.contains("The destination was not changed"), "\(error)")
            OnFS.expectBytes(OnFS.backing(m, "d/out"), Self.old, "the destination")
            #expect(try OnFS.temporaries(m, in: "d") == [], "the temporary is removed")
            #expect(try OnFS.events(m, fault: refused.fault).count >= 1, "the fault was offered")
        }
        OnFS.expectBytes(run.backing["d/out"], Self.old, "after unmount")
    }

    @Test("fsync-fail on the directory after the rename: the error says the new content is in place but may not be durable")
    func directoryFsyncFails() throws {
        let plan = """
            rules:
              - fault: fsync-fail
                path: d
                ops: [fsyncdir]
            """
        let run = try withFaultMount(plan: plan, setup: Self.setUp) { m in
            var thrown: AtomicFileError?
            do throws(AtomicFileError) {
                try AtomicFile.write(Self.new, to: FilePath(m.path("d/out")))
            } catch {
                thrown = error
            }
            let error = try #require(thrown, "the failed directory fsync must be reported")
            #expect(error.published && error.underlyingErrno == .ioError, "\(error)")
            #expect(error.description.contains("may not survive a power loss"), "\(error)")
            #expect(try OnFS.temporaries(m, in: "d") == [])
            #expect(try OnFS.events(m, fault: "fsync-fail").count == 1)
        }
        OnFS.expectBytes(run.backing["d/out"], Self.new, "published before the directory fsync failed")
    }
}
