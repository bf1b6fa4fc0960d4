#if canImport(Glibc)
import Glibc
#endif
import ExecutionPatterns
import Foundation
import Synchronization
import SystemPackage
import Testing

@Suite("EXEC-004 atomic operations")
struct AtomicFileTests {
    @Test("A write replaces the content, keeps the destination's mode and leaves no temporary")
    func keepsMode() throws {
        let dir = try TemporaryDirectory()
        let p = try dir.write("out.txt", "old", mode: 0o640)
        try AtomicFile.write("new content", to: p)
        #expect(text(p) == "new content")
        #expect(mode(p) == 0o640)
        #expect(dir.names() == ["out.txt"])
    }

    @Test("A new file gets 0666 minus the umask, like open(O_CREAT, 0666)")
    func newFileMode() throws {
        let dir = try TemporaryDirectory()
        let reference = dir.file("reference")
        let fd = open(reference.string, O_CREAT | O_WRONLY, 0o666)
        close(fd)
        try AtomicFile.write([1, 2, 3], to: dir.file("new.bin"))
        #expect(mode(dir.file("new.bin")) == mode(reference))
        #expect(contents(dir.file("new.bin")) == [1, 2, 3])
    }

    @Test("Explicit permissions are applied")
    func explicitMode() throws {
        let dir = try TemporaryDirectory()
        try AtomicFile.write("x", to: dir.file("x"), options: .init(permissions: .exactly(0o600)))
        #expect(mode(dir.file("x")) == 0o600)
    }

    @Test("Without replaceExisting an existing file is refused and kept; a new one is created")
    func noReplace() throws {
        let dir = try TemporaryDirectory()
        let p = try dir.write("keep.txt", "original")
        let options = AtomicFile.Options(replaceExisting: false, permissions: .exactly(0o644))
        #expect(throws: AtomicFileError.self) { try AtomicFile.write("other", to: p, options: options) }
        do {
            try AtomicFile.write("other", to: p, options: options)
        } catch {
            #expect(error.kind == .destinationExists)
            #expect(error.description.contains("keep.txt"))
        }
        #expect(text(p) == "original")
        try AtomicFile.write("fresh", to: dir.file("fresh.txt"), options: options)
        #expect(text(dir.file("fresh.txt")) == "fresh")
        #expect(dir.names() == ["fresh.txt", "keep.txt"])
    }

    @Test("Stale temporaries of the destination are removed; a live one (locked) and other files' are not")
    func staleTemporaries() throws {
        let dir = try TemporaryDirectory()
        let p = try dir.write("data.json", "[]")
        try dir.write(".data.json.atomic-tmp.0123456789abcdef", "half")
        try dir.write(".other.json.atomic-tmp.0123456789abcdef", "not ours")
        let live = try dir.write(".data.json.atomic-tmp.fedcba9876543210", "in use")
        let fd = open(live.string, O_RDONLY)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX) == 0)
        try AtomicFile.write("[1]", to: p)
        #expect(dir.names() == [".data.json.atomic-tmp.fedcba9876543210", ".other.json.atomic-tmp.0123456789abcdef", "data.json"])
        #expect(text(p) == "[1]")
    }

    @Test("A crash at any step boundary leaves the old or the new content, and the next call cleans up", arguments: AtomicFile.Step.allCases)
    func crashAtEveryStep(step: AtomicFile.Step) throws {
        let dir = try TemporaryDirectory()
        let p = try dir.write("state.json", #"{"version": 1}"#, mode: 0o600)
        let old = text(p)!
        let new = #"{"version": 2, "padding": "\#(String(repeating: "x", count: 100_000))"}"#
        let observed = Mutex<[AtomicFile.Step: String?]>([:])
        let options = AtomicFile.Options(stepHook: { s, _ in
            // At every boundary a reader sees a whole file: the old one or the new one.
            observed.withLock { $0[s] = text(p) }
            return s == step ? .abandon : .proceed
        })
        do {
            try AtomicFile.write(new, to: p, options: options)
            Issue.record("the hook should have abandoned the write")
        } catch {
            guard case .abandoned(let at) = error.kind else { Issue.record("\(error)"); return }
            #expect(at == step)
        }
        let seen = observed.withLock { $0 }
        for (s, content) in seen {
            #expect(content == old || content == new, "after \(s)")
        }
        let after = text(p)
        let publishedSteps: [AtomicFile.Step] = [.published, .syncedDirectory]
        #expect(after == (publishedSteps.contains(step) ? new : old))
        #expect(mode(p) == 0o600)
        // The abandoned process may leave one temporary; the next call removes it.
        #expect(dir.names().filter { AtomicFile.isTemporaryName($0) }.count <= 1)
        try AtomicFile.write("final", to: p)
        #expect(dir.names() == ["state.json"])
        #expect(text(p) == "final")
    }

    @Test("Copy streams the bytes, keeps the source's mode for a new file and the destination's otherwise")
    func copy() throws {
        let dir = try TemporaryDirectory()
        let big = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let src = try dir.write("src.bin", big, mode: 0o750)
        try AtomicFile.copy(from: src, to: dir.file("new.bin"))
        #expect(contents(dir.file("new.bin")) == big)
        #expect(mode(dir.file("new.bin")) == 0o750)
        let existing = try dir.write("existing.bin", "x", mode: 0o604)
        try AtomicFile.copy(from: src, to: existing)
        #expect(contents(existing) == big)
        #expect(mode(existing) == 0o604)
        #expect(!dir.names().contains { AtomicFile.isTemporaryName($0) })
    }

    @Test("Copy of a missing source names the file, the operation and the errno, and changes nothing")
    func copyMissing() throws {
        let dir = try TemporaryDirectory()
        let dst = try dir.write("dst", "kept")
        do {
            try AtomicFile.copy(from: dir.file("missing"), to: dst)
            Issue.record("expected an error")
        } catch {
            #expect(error.underlyingErrno == .noSuchFileOrDirectory)
            #expect(error.description.contains("missing"))
            #expect(error.description.contains("open the source"))
            #expect(error.description.contains("not changed"))
        }
        #expect(text(dst) == "kept")
    }

    @Test("Move renames, replaces or refuses, and a failed move keeps both files")
    func move() throws {
        let dir = try TemporaryDirectory()
        let a = try dir.write("a", "A")
        try AtomicFile.move(from: a, to: dir.file("b"))
        #expect(!exists(a) && text(dir.file("b")) == "A")
        let c = try dir.write("c", "C")
        try AtomicFile.move(from: c, to: dir.file("b"))
        #expect(text(dir.file("b")) == "C")
        let d = try dir.write("d", "D")
        #expect(throws: AtomicFileError.self) {
            try AtomicFile.move(from: d, to: dir.file("b"), options: .init(replaceExisting: false))
        }
        #expect(text(d) == "D" && text(dir.file("b")) == "C")
        try AtomicFile.move(from: d, to: dir.file("e"), options: .init(replaceExisting: false))
        #expect(!exists(d) && text(dir.file("e")) == "D")
    }

    @Test("Move across filesystems copies then removes the source", .enabled(if: FileManager.default.fileExists(atPath: "/dev/shm")))
    func moveAcrossFilesystems() throws {
        let dir = try TemporaryDirectory()
        let shm = FilePath("/dev/shm/ep-move-\(UUID().uuidString.prefix(8))")
        try Data("cross".utf8).write(to: URL(fileURLWithPath: shm.string))
        defer { unlink(shm.string) }
        var a = stat(), b = stat()
        stat(shm.string, &a)
        stat(dir.path.string, &b)
        try #require(a.st_dev != b.st_dev, "needs /dev/shm on another filesystem than /tmp")
        try AtomicFile.move(from: shm, to: dir.file("moved"))
        #expect(text(dir.file("moved")) == "cross")
        #expect(!exists(shm))
    }

    @Test("Writing into a missing directory fails with ENOENT and leaves nothing")
    func missingDirectory() throws {
        let dir = try TemporaryDirectory()
        #expect(throws: AtomicFileError.self) { try AtomicFile.write("x", to: dir.file("no/such/file")) }
        #expect(dir.names().isEmpty)
    }
}
