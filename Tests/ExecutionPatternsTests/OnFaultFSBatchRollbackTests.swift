#if canImport(Glibc)
import Glibc
#endif
import ExecutionPatterns
import FaultFSTestSupport
import Foundation
import SystemPackage
import Testing

/// EXEC-002's rollback on a real FaultFS mount when a step fails *after* it
/// reached the disk: the directory fsync that follows a rename fails, so
/// `AtomicFile` throws with the new name already in place (issue 10, point 1).
/// The rollback must undo exactly what is on disk and never remove or
/// overwrite the only copy of a file.
@Suite("EXEC-002 rollback after a step that reached the disk, on a FaultFS mount", .serialized, .timeLimit(.minutes(2)))
struct OnFaultFSBatchRollbackTests {
    static func setUp(_ backing: String) throws {
        for dir in ["d", "e", "t"] { try must(FS.mkdir(backing + "/" + dir), "mkdir \(dir) in the backing") }
        for (name, text) in [("d/a.txt", "A-old"), ("d/b.txt", "B-old"), ("d/src.txt", "SOURCE"),
                             ("e/other.txt", "OTHER"), ("t/tool.txt", "TOOL-old\n")] {
            try must(FS.writeFile(backing + "/" + name, text), "write \(name) in the backing")
        }
    }

    /// The first directory fsync of `d` fails with EIO (once), then fsync works again.
    static let fsyncdirOnce = """
        rules:
          - fault: errno
            errno: EIO
            ops: [fsyncdir]
            path: d
            max: 1
        """

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let operations: @Sendable (FaultMount) -> [BatchOperation]
        let failing: String
        var plan: String = OnFaultFSBatchRollbackTests.fsyncdirOnce
        var testDescription: String { name }
    }

    static func shell(_ m: FaultMount, _ script: String, modifies: [String]) -> BatchOperation.Action {
        .runTool("sh", arguments: ["-c", script], modifies: modifies.map { FilePath(m.path($0)) }, timeout: .seconds(10))
    }

    static let cases: [Case] = [
        Case(name: "write over an existing file", operations: { m in
            [BatchOperation("w", .write(FilePath(m.path("d/a.txt")), Array("A-new".utf8)))]
        }, failing: "w"),
        Case(name: "write a new file", operations: { m in
            [BatchOperation("w", .write(FilePath(m.path("d/new.txt")), Array("NEW".utf8)))]
        }, failing: "w"),
        Case(name: "copy over an existing file", operations: { m in
            [BatchOperation("c", .copy(from: FilePath(m.path("e/other.txt")), to: FilePath(m.path("d/a.txt"))))]
        }, failing: "c"),
        Case(name: "move over an existing file", operations: { m in
            [BatchOperation("mv", .move(from: FilePath(m.path("d/src.txt")), to: FilePath(m.path("d/b.txt"))))]
        }, failing: "mv"),
        Case(name: "move to a new name", operations: { m in
            [BatchOperation("mv", .move(from: FilePath(m.path("d/src.txt")), to: FilePath(m.path("d/moved.txt"))))]
        }, failing: "mv"),
        Case(name: "move into another directory", operations: { m in
            [BatchOperation("mv", .move(from: FilePath(m.path("e/other.txt")), to: FilePath(m.path("d/a.txt"))))]
        }, failing: "mv"),
        Case(name: "delete, then a write that fails", operations: { m in
            [BatchOperation("rm", .delete(FilePath(m.path("d/a.txt")))),
             BatchOperation("w", .write(FilePath(m.path("d/b.txt")), Array("B-new".utf8)), after: ["rm"])]
        }, failing: "w"),
        Case(name: "a tool whose backup copy is published before the fsync fails", operations: { m in
            [BatchOperation("tool", shell(m, "echo more >> \(m.path("d/a.txt"))", modifies: ["d/a.txt"]))]
        }, failing: "tool"),
        Case(name: "a tool that ran, then a move that fails", operations: { m in
            [BatchOperation("tool", shell(m, "echo more >> \(m.path("t/tool.txt"))", modifies: ["t/tool.txt"])),
             BatchOperation("mv", .move(from: FilePath(m.path("d/src.txt")), to: FilePath(m.path("d/b.txt"))), after: ["tool"])]
        }, failing: "mv"),
        Case(name: "fsync-fail on a temporary, then the rename is never made", operations: { m in
            [BatchOperation("mv", .move(from: FilePath(m.path("d/src.txt")), to: FilePath(m.path("d/b.txt")))),
             BatchOperation("w", .write(FilePath(m.path("d/a.txt")), Array("A-new".utf8)), after: ["mv"])]
        }, failing: "w", plan: """
            rules:
              - fault: fsync-fail
                path: "d/.a.txt.atomic-tmp.*"
            """),
    ]

    @Test("A step fails after it reached the disk: the rollback restores every file byte for byte, leaves no backup, and reports no problem",
          arguments: cases)
    func rollbackRestoresEverything(c: Case) async throws {
        _ = try await withAsyncFaultMount(plan: c.plan, setup: Self.setUp) { m async throws in
            let before = try OnFS.snapshot(m)
            var batch = BatchExecutor()
            for op in c.operations(m) { batch.add(op) }
            let outcome = await batch.execute()
            guard case .rolledBack(let failed, _, let problems) = outcome else {
                Issue.record("expected a rollback: \(outcome)")
                return
            }
            #expect(failed.operation == c.failing, "\(failed)")
            #expect(problems.isEmpty, "\(problems)")
            OnFS.expectSame(try OnFS.snapshot(m), before, "every file as before the batch, no backup or temporary left")
            #expect(try OnFS.trace(m).count >= 1, "the fault was injected")
        }
    }

    @Test("The directory fsync keeps failing, in the rollback too: the moved file is moved back, the old destination restored, and the doubt reported")
    func persistentFsyncdirFailure() async throws {
        let plan = """
            rules:
              - fault: errno
                errno: EIO
                ops: [fsyncdir]
                path: d
            """
        _ = try await withAsyncFaultMount(plan: plan, setup: Self.setUp) { m async throws in
            let before = try OnFS.snapshot(m)
            var batch = BatchExecutor()
            batch.add(BatchOperation("mv", .move(from: FilePath(m.path("d/src.txt")), to: FilePath(m.path("d/b.txt")))))
            let outcome = await batch.execute()
            guard case .rolledBack(_, let undone, let problems) = outcome else {
                Issue.record("expected a rollback: \(outcome)")
                return
            }
            #expect(undone == ["mv"])
            OnFS.expectSame(try OnFS.snapshot(m), before, "the content is where it was")
            #expect(problems.count == 1 && problems.first?.contains("power loss") == true,
                    "the rollback is not durable and says so: \(problems)")
        }
    }

    @Test("The move back itself fails: the moved file stays at the destination, is never deleted or overwritten, and the old destination stays in its backup")
    func moveBackFails() async throws {
        let plan = """
            rules:
              - fault: errno
                errno: EIO
                ops: [fsyncdir]
                path: d
                max: 1
              - fault: errno
                errno: EACCES
                ops: [link]
                path: d/src.txt
            """
        _ = try await withAsyncFaultMount(plan: plan, setup: Self.setUp) { m async throws in
            var batch = BatchExecutor()
            batch.add(BatchOperation("mv", .move(from: FilePath(m.path("d/src.txt")), to: FilePath(m.path("d/b.txt")))))
            let outcome = await batch.execute()
            guard case .rolledBack(_, _, let problems) = outcome else {
                Issue.record("expected a rollback: \(outcome)")
                return
            }
            let files = try OnFS.snapshot(m)
            OnFS.expectBytes(files["d/b.txt"], Array("SOURCE".utf8), "the moved file, left where the move put it")
            let backups = files.filter { $0.key.hasPrefix("d/.b.txt.batch-backup.") }
            #expect(backups.count == 1 && backups.first?.value == Array("B-old".utf8), "the old destination is kept in its backup: \(files.keys.sorted())")
            #expect(problems.count == 2, "the failed move back and the skipped restore are both reported: \(problems)")
            #expect(problems.contains { $0.contains("only copy") }, "\(problems)")
        }
    }
}
