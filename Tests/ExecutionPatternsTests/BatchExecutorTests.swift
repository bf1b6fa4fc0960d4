import ExecutionPatterns
import Foundation
import SystemPackage
import Testing

@Suite("EXEC-002 batch validation")
struct BatchExecutorTests {
    @Test("One missing source (among other problems) applies nothing and reports every failure")
    func rejectsWhole() async throws {
        let dir = try TemporaryDirectory()
        let existing = try dir.write("existing.txt", "old")
        var batch = BatchExecutor()
        batch.add(BatchOperation("write-first", .write(existing, Array("new".utf8))))
        batch.add(BatchOperation("write-new", .write(dir.file("created.txt"), Array("x".utf8))))
        batch.add(BatchOperation("copy-missing", .copy(from: dir.file("missing.csv"), to: dir.file("copy.csv"))))
        batch.add(BatchOperation("into-missing-dir", .write(dir.file("no-dir/out.json"), [])))
        batch.add(BatchOperation("tool", .runTool("no-such-tool-xyz", arguments: [])))
        batch.add(BatchOperation("delete-missing", .delete(dir.file("ghost"))))
        let outcome = await batch.execute()
        guard case .rejected(let failures) = outcome else { Issue.record("\(outcome)"); return }
        #expect(failures.map(\.operation) == ["copy-missing", "into-missing-dir", "tool", "delete-missing"])
        #expect(failures[0].kind == .sourceMissing(dir.file("missing.csv")))
        #expect(failures[1].kind == .targetDirectoryMissing(dir.file("no-dir")))
        #expect(failures.allSatisfy { !$0.description.isEmpty })
        #expect(text(existing) == "old")
        #expect(dir.names() == ["existing.txt"])
    }

    @Test("A failure midway rolls back every completed step")
    func rollsBack() async throws {
        let dir = try TemporaryDirectory()
        let a = try dir.write("a.txt", "A-old", mode: 0o640)
        let c = try dir.write("c.txt", "C")
        let d = try dir.write("d.txt", "D")
        let e = try dir.write("e.txt", "E-old")
        let tracked = try dir.write("tracked.txt", "T-old")
        var batch = BatchExecutor()
        batch.add(BatchOperation("rewrite-a", .write(a, Array("A-new".utf8))))
        batch.add(BatchOperation("create-b", .write(dir.file("b.txt"), Array("B".utf8))))
        batch.add(BatchOperation("delete-c", .delete(c)))
        batch.add(BatchOperation("move-d-over-e", .move(from: d, to: e)))
        batch.add(BatchOperation("copy-a-to-f", .copy(from: a, to: dir.file("f.txt"))))
        batch.add(BatchOperation("tool-fails", .runTool("sh", arguments: ["-c", "echo changed > tracked.txt; exit 3"],
                                                        modifies: [tracked], workingDirectory: dir.path)))
        let outcome = await batch.execute()
        guard case .rolledBack(let failed, let undone, let problems) = outcome else { Issue.record("\(outcome)"); return }
        #expect(failed.operation == "tool-fails")
        #expect(failed.description.contains("exited(3)"))
        #expect(undone == ["tool-fails", "copy-a-to-f", "move-d-over-e", "delete-c", "create-b", "rewrite-a"])
        #expect(problems.isEmpty)
        #expect(text(a) == "A-old" && mode(a) == 0o640)
        #expect(text(c) == "C")
        #expect(text(d) == "D" && text(e) == "E-old")
        #expect(text(tracked) == "T-old")
        #expect(dir.names() == ["a.txt", "c.txt", "d.txt", "e.txt", "tracked.txt"])
    }

    @Test("A batch that succeeds is applied whole and leaves no backups")
    func applies() async throws {
        let dir = try TemporaryDirectory()
        let a = try dir.write("a.txt", "A-old")
        let c = try dir.write("c.txt", "C")
        var batch = BatchExecutor()
        batch.add(BatchOperation("rewrite-a", .write(a, Array("A-new".utf8))))
        batch.add(BatchOperation("delete-c", .delete(c)))
        batch.add(BatchOperation("read-a", .read(a), after: ["rewrite-a"]))
        batch.add(BatchOperation("tool", .runTool("true", arguments: [])))
        let outcome = await batch.execute()
        guard case .applied(let results, let leftovers) = outcome else { Issue.record("\(outcome)"); return }
        guard case .read(let bytes) = results["read-a"] else { Issue.record("read result"); return }
        #expect(String(decoding: bytes, as: UTF8.self) == "A-new")
        #expect(leftovers.isEmpty)
        #expect(dir.names() == ["a.txt"])
    }

    @Test("Dependencies run first, and a file produced earlier in the batch counts as present")
    func dependencies() async throws {
        let dir = try TemporaryDirectory()
        var batch = BatchExecutor()
        // Added out of order: the copy depends on the write that creates its source.
        batch.add(BatchOperation("copy", .copy(from: dir.file("made.txt"), to: dir.file("copy.txt")), after: ["make"]))
        batch.add(BatchOperation("make", .write(dir.file("made.txt"), Array("made".utf8))))
        #expect(batch.validate().isEmpty)
        let outcome = await batch.execute()
        #expect(outcome.isApplied)
        #expect(text(dir.file("copy.txt")) == "made")
    }

    @Test("A source deleted by an earlier step, unknown dependencies and cycles are precondition failures")
    func ordering() throws {
        let dir = try TemporaryDirectory()
        let f = try dir.write("f", "x")
        var batch = BatchExecutor()
        batch.add(BatchOperation("delete", .delete(f)))
        batch.add(BatchOperation("read", .read(f), after: ["delete"]))
        #expect(batch.validate().map(\.kind) == [.sourceRemovedEarlier(f, by: "delete")])

        var unknown = BatchExecutor()
        unknown.add(BatchOperation("a", .read(f), after: ["nobody"]))
        #expect(unknown.validate().map(\.kind) == [.unknownDependency("nobody")])

        var cycle = BatchExecutor()
        cycle.add(BatchOperation("a", .read(f), after: ["b"]))
        cycle.add(BatchOperation("b", .read(f), after: ["a"]))
        guard case .dependencyCycle(let names) = cycle.validate().first?.kind else { Issue.record("cycle"); return }
        #expect(Set(names) == ["a", "b"])
    }

    @Test("Writing over or deleting a directory is refused before anything runs")
    func directoryTargets() throws {
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("sub").string, withIntermediateDirectories: false)
        var batch = BatchExecutor()
        batch.add(BatchOperation("write", .write(dir.file("sub"), [1])))
        batch.add(BatchOperation("delete", .delete(dir.file("sub"))))
        #expect(batch.validate().map(\.kind) == [.targetIsDirectory(dir.file("sub")), .targetIsDirectory(dir.file("sub"))])
    }

    @Test("A read-only target directory is reported before anything runs", .enabled(if: geteuid() != 0))
    func readOnlyDirectory() async throws {
        let dir = try TemporaryDirectory()
        let ro = dir.file("ro")
        try FileManager.default.createDirectory(atPath: ro.string, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o555])
        defer { chmod(ro.string, 0o755) }
        var batch = BatchExecutor()
        batch.add(BatchOperation("w", .write(ro.appending("x"), [1])))
        guard case .targetDirectoryNotWritable(_, let e) = batch.validate().first?.kind else { Issue.record("not writable"); return }
        #expect(e == .permissionDenied)
    }
}
