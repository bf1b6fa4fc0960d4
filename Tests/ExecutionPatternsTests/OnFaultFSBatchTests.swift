#if canImport(Glibc)
import Glibc
#endif
import ExecutionPatterns
import FaultFSTestSupport
import Foundation
import SystemPackage
import Testing

/// EXEC-002 on a real FaultFS mount: a source the filesystem hides, and a
/// disk that fills up in the middle of the batch.
@Suite("EXEC-002 batch validation on a FaultFS mount", .serialized, .timeLimit(.minutes(1)))
struct OnFaultFSBatchTests {
    static func setUp(_ backing: String) throws {
        for (name, text) in [("config.json", "{\"v\": 1}"), ("a.txt", "A-old"), ("b.txt", "B-old"), ("input.csv", "x,y\n1,2\n")] {
            try must(FS.writeFile(backing + "/" + name, text), "write \(name) in the backing")
        }
    }

    /// Writes over two files, creates one, copies a source and reads another: five steps over the mount.
    static func batch(_ m: FaultMount) -> BatchExecutor {
        var batch = BatchExecutor()
        batch.add(BatchOperation("rewrite-a", .write(FilePath(m.path("a.txt")), Array(String(repeating: "A", count: 4000).utf8))))
        batch.add(BatchOperation("create-c", .write(FilePath(m.path("c.txt")), Array(String(repeating: "C", count: 4000).utf8))))
        batch.add(BatchOperation("copy-input", .copy(from: FilePath(m.path("input.csv")), to: FilePath(m.path("copy.csv")))))
        batch.add(BatchOperation("read-config", .read(FilePath(m.path("config.json")))))
        batch.add(BatchOperation("rewrite-b", .write(FilePath(m.path("b.txt")), Array(String(repeating: "B", count: 4000).utf8))))
        return batch
    }

    @Test("One source hidden by the fault engine (missing): the batch is rejected before anything runs, the backing unchanged")
    func missingSource() async throws {
        let plan = """
            rules:
              - fault: missing
                path: input.csv
            """
        let run = try await withAsyncFaultMount(plan: plan, setup: Self.setUp) { m async throws in
            let before = try OnFS.snapshot(m)
            let outcome = await Self.batch(m).execute()
            guard case .rejected(let failures) = outcome else {
                Issue.record("expected the batch to be rejected: \(outcome)")
                return
            }
            #expect(failures.map(\.operation) == ["copy-input"], "\(failures)")
            #expect(failures.map(\.kind) == [.sourceMissing(FilePath(m.path("input.csv")))])
            OnFS.expectSame(try OnFS.snapshot(m), before, "nothing applied")
            #expect(try OnFS.events(m, fault: "missing").count >= 1, "the fault was offered")
            // Contrast: the same batch without the fault is applied whole.
            try OnFS.clearRules(m)
            let fine = await Self.batch(m).execute()
            #expect(fine.isApplied, "\(fine)")
            #expect(OnFS.backing(m, "copy.csv") == Array("x,y\n1,2\n".utf8))
        }
        #expect(run.backing["b.txt"] == Array(String(repeating: "B", count: 4000).utf8))
    }

    struct Midway: Sendable, CustomTestStringConvertible {
        let name: String
        let rule: String
        let failing: String
        let errno: Errno
        let undone: [String]
        var testDescription: String { name }
    }

    static let midway = [
        // Room for the first two 4000-byte writes and the copy, not the third write.
        Midway(name: "disk-full after 9000 bytes", rule: "fault: disk-full\n    bytes: 9000", failing: "rewrite-b", errno: .noSpace,
               undone: ["rewrite-b", "copy-input", "create-c", "rewrite-a"]),
        Midway(name: "EIO on the fsync of b.txt's temporary", rule: "fault: errno\n    errno: EIO\n    ops: [fsync]\n    path: \".b.txt.atomic-tmp.*\"",
               failing: "rewrite-b", errno: .ioError, undone: ["rewrite-b", "copy-input", "create-c", "rewrite-a"]),
        Midway(name: "EROFS on the rename of b.txt's temporary", rule: "fault: errno\n    errno: EROFS\n    ops: [rename]\n    path: \".b.txt.atomic-tmp.*\"",
               failing: "rewrite-b", errno: .readOnlyFileSystem, undone: ["rewrite-b", "copy-input", "create-c", "rewrite-a"]),
        Midway(name: "EACCES on creating the copy's temporary", rule: "fault: errno\n    errno: EACCES\n    ops: [create]\n    path: \".copy.csv.atomic-tmp.*\"",
               failing: "copy-input", errno: .permissionDenied, undone: ["copy-input", "create-c", "rewrite-a"]),
    ]

    @Test("A step fails midway (disk-full, or an errno validation cannot foresee): the steps done are rolled back, the backing is as before, no backup left",
          arguments: midway)
    func failureMidway(cut: Midway) async throws {
        let plan = "rules:\n  - \(cut.rule)\n"
        let run = try await withAsyncFaultMount(plan: plan, setup: Self.setUp) { m async throws in
            let before = try OnFS.snapshot(m)
            let outcome = await Self.batch(m).execute()
            guard case .rolledBack(let failed, let undone, let problems) = outcome else {
                Issue.record("expected a rollback: \(outcome)")
                return
            }
            #expect(failed.operation == cut.failing, "\(failed)")
            #expect((failed.underlying as? ErrnoCarrying)?.underlyingErrno == cut.errno, "\(failed)")
            #expect(undone == cut.undone, "undone newest first")
            #expect(problems.isEmpty, "\(problems)")
            OnFS.expectSame(try OnFS.snapshot(m), before, "rolled back to the state before the batch")
            #expect(try OnFS.trace(m).count >= 1, "the fault was offered")
        }
        #expect(run.backing["a.txt"] == Array("A-old".utf8) && run.backing["c.txt"] == nil)
    }
}
