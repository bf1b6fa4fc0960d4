#if canImport(Glibc)
import Glibc
#endif
import FaultFSTestSupport
import SystemPackage
import Testing

extension MountTests {
    /// A file whose name is gone keeps working through its descriptor, and
    /// no `.fuse_hidden*` stand-in is left in the backing (issue 2, test 4).
    @Suite("Open files without a name", .timeLimit(.minutes(2)))
    struct OpenFiles {
        @Test("a file unlinked while open stays readable and writable via its fd")
        func unlinkedWhileOpen() throws {
            try withMount { fs in
                try must(FS.writeFile(fs.path("doomed"), "before unlink\n"), "create doomed")
                let fd = try must(FS.open(fs.path("doomed"), O_RDWR), "open doomed")
                defer { _ = FS.close(fd) }
                try must(FS.unlink(fs.path("doomed")), "unlink doomed")
                #expect(FS.lstat(fs.path("doomed")).errno == .noSuchFileOrDirectory)
                #expect(FS.lstat(fs.backingPath("doomed")).errno == .noSuchFileOrDirectory)

                try exerciseNamelessFile(fd, initial: "before unlink\n")
                #expect(try hiddenFiles(in: fs.backing) == [], "no .fuse_hidden* while the fd is open")
                #expect(try must(FS.listDirectory(fs.backing), "list the backing") == [])
                #expect(try must(FS.listDirectory(fs.mountPoint), "list the mount") == [])
            }
        }

        @Test("a file renamed over while open stays readable and writable via its fd")
        func renamedOverWhileOpen() throws {
            try withMount { fs in
                try must(FS.writeFile(fs.path("target"), "before rename\n"), "create target")
                try must(FS.writeFile(fs.path("replacement"), "the new one\n"), "create replacement")
                let fd = try must(FS.open(fs.path("target"), O_RDWR), "open target")
                defer { _ = FS.close(fd) }
                try must(FS.rename(fs.path("replacement"), fs.path("target")), "rename replacement over target")

                try exerciseNamelessFile(fd, initial: "before rename\n")
                // The name now belongs to the replacement, untouched by the writes above.
                #expect(try must(FS.readText(fs.path("target")), "read target through the mount") == "the new one\n")
                #expect(try must(FS.readText(fs.backingPath("target")), "read target in the backing") == "the new one\n")
                #expect(try hiddenFiles(in: fs.backing) == [])
                #expect(try must(FS.listDirectory(fs.backing), "list the backing") == ["target"])
            }
        }

        @Test("a directory removed while open: fstat works, readdir is empty, nothing hidden remains")
        func directoryRemovedWhileOpen() throws {
            try withMount { fs in
                try must(FS.mkdir(fs.path("d")), "mkdir d")
                let fd = try must(FS.open(fs.path("d"), O_RDONLY | O_DIRECTORY), "open d")
                defer { _ = FS.close(fd) }
                try must(FS.rmdir(fs.path("d")), "rmdir d")
                let st = try must(FS.fstat(fd), "fstat the removed directory")
                #expect(fileType(st.st_mode) == S_IFDIR)
                #expect(FS.lstat(fs.backingPath("d")).errno == .noSuchFileOrDirectory)
                #expect(try hiddenFiles(in: fs.backing) == [])
            }
        }

        /// pwrite, pread, fstat (nlink 0), fchmod, ftruncate and fsync on a
        /// descriptor whose file no longer has a name.
        func exerciseNamelessFile(_ fd: Int32, initial: String) throws {
            #expect(try must(FS.pread(fd, count: 100, at: 0), "pread the nameless file") == Array(initial.utf8))
            let extra = Array("written after the name went away\n".utf8)
            try must(FS.pwriteAll(fd, extra, at: initial.utf8.count), "pwrite the nameless file")
            try must(FS.fsync(fd), "fsync the nameless file")
            #expect(try must(FS.preadAll(fd), "read it back") == Array(initial.utf8) + extra)

            let st = try must(FS.fstat(fd), "fstat the nameless file")
            #expect(st.st_nlink == 0)
            #expect(st.st_size == initial.utf8.count + extra.count)

            try must(FS.fchmod(fd, 0o600), "fchmod the nameless file")
            #expect(permissions(try must(FS.fstat(fd), "fstat").st_mode) == 0o600)

            try must(FS.ftruncate(fd, 5), "ftruncate the nameless file")
            #expect(try must(FS.fstat(fd), "fstat").st_size == 5)
            #expect(try must(FS.preadAll(fd), "read it back") == Array(initial.utf8.prefix(5)))
            try must(FS.ftruncate(fd, 70_000), "ftruncate it larger")
            let grown = try must(FS.preadAll(fd), "read it back")
            #expect(grown.count == 70_000)
            #expect(grown[5...].allSatisfy { $0 == 0 })
            try must(FS.fdatasync(fd), "fdatasync the nameless file")
        }
    }
}

/// Every `.fuse_hidden*` entry anywhere below `root` (libfuse's high-level
/// API leaves these for unlinked open files; a low-level passthrough must not).
func hiddenFiles(in root: String) throws -> [String] {
    var found: [String] = []
    for name in try must(FS.listDirectory(root), "list \(root)") {
        let path = root + "/" + name
        if name.hasPrefix(".fuse_hidden") { found.append(path) }
        if case .success(let st) = FS.lstat(path), fileType(st.st_mode) == S_IFDIR {
            found += try hiddenFiles(in: path)
        }
    }
    return found
}
