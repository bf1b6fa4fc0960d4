#if canImport(Glibc)
import Glibc
#endif
import FaultFSTestSupport
import SystemPackage
import Testing

/// One failing call, made the same way in a plain directory and through the
/// mount.
struct ErrnoCase: Sendable, CustomTestStringConvertible {
    let name: String
    let expected: Errno
    /// Prepares the directory (the mount root or the plain one).
    let setup: @Sendable (String) throws -> Void
    /// Makes the call in that directory; returns its errno, nil on success.
    let call: @Sendable (String) throws -> Errno?

    var testDescription: String { "\(name) → \(expected)" }
}

extension MountTests {
    /// errno passes through the mount unchanged (issue 2, tests 2 and 3).
    @Suite("errno passes through", .timeLimit(.minutes(3)))
    struct ErrnoPassThrough {
        static let cases: [ErrnoCase] = [
            ErrnoCase(name: "stat of a missing file", expected: .noSuchFileOrDirectory, setup: { _ in }) {
                FS.stat($0 + "/missing").errno
            },
            ErrnoCase(name: "open O_RDONLY of a missing file", expected: .noSuchFileOrDirectory, setup: { _ in }) {
                FS.open($0 + "/missing", O_RDONLY).errno
            },
            ErrnoCase(name: "unlink of a missing file", expected: .noSuchFileOrDirectory, setup: { _ in }) {
                FS.unlink($0 + "/missing").errno
            },
            ErrnoCase(name: "rename of a missing file", expected: .noSuchFileOrDirectory, setup: { _ in }) {
                FS.rename($0 + "/missing", $0 + "/other").errno
            },
            ErrnoCase(name: "create in a missing directory", expected: .noSuchFileOrDirectory, setup: { _ in }) {
                FS.open($0 + "/nodir/file", O_WRONLY | O_CREAT).errno
            },
            ErrnoCase(name: "mkdir of an existing directory", expected: .fileExists, setup: { try must(FS.mkdir($0 + "/d"), "mkdir d") }) {
                FS.mkdir($0 + "/d").errno
            },
            ErrnoCase(name: "open O_CREAT|O_EXCL of an existing file", expected: .fileExists, setup: { try must(FS.writeFile($0 + "/f", "x"), "create f") }) {
                FS.open($0 + "/f", O_WRONLY | O_CREAT | O_EXCL).errno
            },
            ErrnoCase(name: "symlink onto an existing name", expected: .fileExists, setup: { try must(FS.writeFile($0 + "/f", "x"), "create f") }) {
                FS.symlink("target", $0 + "/f").errno
            },
            ErrnoCase(name: "link onto an existing name", expected: .fileExists, setup: {
                try must(FS.writeFile($0 + "/f", "x"), "create f")
                try must(FS.writeFile($0 + "/g", "y"), "create g")
            }) {
                FS.link($0 + "/f", $0 + "/g").errno
            },
            ErrnoCase(name: "mkfifo onto an existing name", expected: .fileExists, setup: { try must(FS.mkdir($0 + "/d"), "mkdir d") }) {
                FS.mkfifo($0 + "/d").errno
            },
            ErrnoCase(name: "rmdir of a non-empty directory", expected: .directoryNotEmpty, setup: {
                try must(FS.mkdir($0 + "/d"), "mkdir d")
                try must(FS.writeFile($0 + "/d/f", "x"), "create d/f")
            }) {
                FS.rmdir($0 + "/d").errno
            },
            ErrnoCase(name: "rename of a directory over a non-empty one", expected: .directoryNotEmpty, setup: {
                try must(FS.mkdir($0 + "/a"), "mkdir a")
                try must(FS.mkdir($0 + "/b"), "mkdir b")
                try must(FS.writeFile($0 + "/b/f", "x"), "create b/f")
            }) {
                FS.rename($0 + "/a", $0 + "/b").errno
            },
            ErrnoCase(name: "stat below a regular file", expected: .notDirectory, setup: { try must(FS.writeFile($0 + "/f", "x"), "create f") }) {
                FS.stat($0 + "/f/x").errno
            },
            ErrnoCase(name: "mkdir below a regular file", expected: .notDirectory, setup: { try must(FS.writeFile($0 + "/f", "x"), "create f") }) {
                FS.mkdir($0 + "/f/sub").errno
            },
            ErrnoCase(name: "rmdir of a regular file", expected: .notDirectory, setup: { try must(FS.writeFile($0 + "/f", "x"), "create f") }) {
                FS.rmdir($0 + "/f").errno
            },
            ErrnoCase(name: "rename of a directory over a file", expected: .notDirectory, setup: {
                try must(FS.mkdir($0 + "/d"), "mkdir d")
                try must(FS.writeFile($0 + "/f", "x"), "create f")
            }) {
                FS.rename($0 + "/d", $0 + "/f").errno
            },
            ErrnoCase(name: "open O_DIRECTORY of a file", expected: .notDirectory, setup: { try must(FS.writeFile($0 + "/f", "x"), "create f") }) {
                FS.open($0 + "/f", O_RDONLY | O_DIRECTORY).errno
            },
            ErrnoCase(name: "open of a directory for writing", expected: .isDirectory, setup: { try must(FS.mkdir($0 + "/d"), "mkdir d") }) {
                FS.open($0 + "/d", O_WRONLY).errno
            },
            ErrnoCase(name: "unlink of a directory", expected: .isDirectory, setup: { try must(FS.mkdir($0 + "/d"), "mkdir d") }) {
                FS.unlink($0 + "/d").errno
            },
            ErrnoCase(name: "rename of a file over a directory", expected: .isDirectory, setup: {
                try must(FS.mkdir($0 + "/d"), "mkdir d")
                try must(FS.writeFile($0 + "/f", "x"), "create f")
            }) {
                FS.rename($0 + "/f", $0 + "/d").errno
            },
            ErrnoCase(name: "create with a 256-byte name", expected: .fileNameTooLong, setup: { _ in }) {
                FS.open($0 + "/" + String(repeating: "n", count: 256), O_WRONLY | O_CREAT).errno
            },
            ErrnoCase(name: "stat of a 256-byte name", expected: .fileNameTooLong, setup: { _ in }) {
                FS.stat($0 + "/" + String(repeating: "n", count: 256)).errno
            },
            ErrnoCase(name: "mkdir with a 256-byte name", expected: .fileNameTooLong, setup: { _ in }) {
                FS.mkdir($0 + "/" + String(repeating: "n", count: 256)).errno
            },
            ErrnoCase(name: "getxattr of a missing attribute", expected: .noData, setup: { try must(FS.writeFile($0 + "/f", "x"), "create f") }) {
                FS.getxattr($0 + "/f", "user.missing").errno
            },
            ErrnoCase(name: "removexattr of a missing attribute", expected: .noData, setup: { try must(FS.writeFile($0 + "/f", "x"), "create f") }) {
                FS.removexattr($0 + "/f", "user.missing").errno
            },
            ErrnoCase(name: "rename of a directory into itself", expected: .invalidArgument, setup: { try must(FS.mkdir($0 + "/d"), "mkdir d") }) {
                FS.rename($0 + "/d", $0 + "/d/inside").errno
            },
            ErrnoCase(name: "open O_NOFOLLOW of a symlink", expected: .tooManySymbolicLinkLevels, setup: {
                try must(FS.writeFile($0 + "/f", "x"), "create f")
                try must(FS.symlink("f", $0 + "/l"), "symlink l")
            }) {
                FS.open($0 + "/l", O_RDONLY | O_NOFOLLOW).errno
            },
            ErrnoCase(name: "stat through a symlink loop", expected: .tooManySymbolicLinkLevels, setup: {
                try must(FS.symlink("loop2", $0 + "/loop1"), "symlink loop1")
                try must(FS.symlink("loop1", $0 + "/loop2"), "symlink loop2")
            }) {
                FS.stat($0 + "/loop1").errno
            },
            ErrnoCase(name: "hard link to a directory", expected: .notPermitted, setup: { try must(FS.mkdir($0 + "/d"), "mkdir d") }) {
                FS.link($0 + "/d", $0 + "/d2").errno
            },
            ErrnoCase(name: "readlink of a regular file", expected: .invalidArgument, setup: { try must(FS.writeFile($0 + "/f", "x"), "create f") }) {
                FS.readlink($0 + "/f").errno
            },
            ErrnoCase(name: "write to a root-owned 0644 file as uid 65534", expected: .permissionDenied, setup: {
                try must(FS.writeFile($0 + "/f", "x", mode: 0o644), "create f")
                try must(FS.chmod($0 + "/f", 0o644), "chmod f 0644")
            }) {
                try Tool.errnoAsNobody("os.close(os.open(p, os.O_WRONLY))", path: $0 + "/f")
            },
            ErrnoCase(name: "create in a root-owned 0755 directory as uid 65534", expected: .permissionDenied, setup: {
                try must(FS.mkdir($0 + "/d", 0o755), "mkdir d")
                try must(FS.chmod($0 + "/d", 0o755), "chmod d 0755")
            }) {
                try Tool.errnoAsNobody("os.close(os.open(p, os.O_WRONLY | os.O_CREAT, 0o644))", path: $0 + "/d/new")
            },
            ErrnoCase(name: "unlink in a root-owned 0755 directory as uid 65534", expected: .permissionDenied, setup: {
                try must(FS.mkdir($0 + "/d", 0o755), "mkdir d")
                try must(FS.chmod($0 + "/d", 0o755), "chmod d 0755")
                try must(FS.writeFile($0 + "/d/f", "x"), "create d/f")
            }) {
                try Tool.errnoAsNobody("os.unlink(p)", path: $0 + "/d/f")
            },
            ErrnoCase(name: "chmod of a root-owned file as uid 65534", expected: .notPermitted, setup: {
                try must(FS.writeFile($0 + "/f", "x", mode: 0o666), "create f")
                try must(FS.chmod($0 + "/f", 0o666), "chmod f 0666")
            }) {
                try Tool.errnoAsNobody("os.chmod(p, 0o777)", path: $0 + "/f")
            },
            ErrnoCase(name: "setxattr user.* as uid 65534 on a root-owned 0644 file", expected: .permissionDenied, setup: {
                try must(FS.writeFile($0 + "/f", "x", mode: 0o644), "create f")
                try must(FS.chmod($0 + "/f", 0o644), "chmod f 0644")
            }) {
                try Tool.errnoAsNobody("os.setxattr(p, 'user.x', b'v')", path: $0 + "/f")
            },
        ]

        @Test("the same errno as on a plain directory", arguments: cases)
        func sameErrno(_ testCase: ErrnoCase) throws {
            try withMount { fs in
                let native = try fs.scratchDirectory("native")
                try testCase.setup(native)
                try testCase.setup(fs.mountPoint)
                let nativeErrno = try testCase.call(native)
                let mountErrno = try testCase.call(fs.mountPoint)
                #expect(nativeErrno == testCase.expected, "the test's own premise, on a plain directory")
                #expect(mountErrno == nativeErrno, "\(testCase.name): through the mount \(String(describing: mountErrno)), natively \(String(describing: nativeErrno))")
            }
        }

        @Test("renameat2 RENAME_NOREPLACE: EEXIST over an existing name, a plain rename otherwise")
        func renameNoReplace() throws {
            try withMount { fs in
                let native = try fs.scratchDirectory("native")
                for root in [native, fs.mountPoint] {
                    try must(FS.writeFile(root + "/a", "A"), "create a")
                    try must(FS.writeFile(root + "/b", "B"), "create b")
                    #expect(FS.renameat2(root + "/a", root + "/b", noReplace: true).errno == .fileExists, "in \(root)")
                    try must(FS.renameat2(root + "/a", root + "/c", noReplace: true), "renameat2 a -> c NOREPLACE in \(root)")
                    #expect(FS.renameat2(root + "/missing", root + "/d", noReplace: true).errno == .noSuchFileOrDirectory)
                }
                #expect(try must(FS.readText(fs.backingPath("b")), "read b") == "B")
                #expect(try must(FS.readText(fs.backingPath("c")), "read c") == "A")
                #expect(FS.lstat(fs.backingPath("a")).errno == .noSuchFileOrDirectory)
                #expect(try must(FS.listDirectory(fs.backing), "list the backing") == ["b", "c"])
            }
        }

        @Test("renameat2 RENAME_EXCHANGE swaps two names atomically")
        func renameExchange() throws {
            try withMount { fs in
                try must(FS.writeFile(fs.path("a"), "A"), "create a")
                try must(FS.writeFile(fs.path("b"), "B"), "create b")
                try must(FS.renameat2(fs.path("a"), fs.path("b"), exchange: true), "renameat2 EXCHANGE a <-> b")
                #expect(try must(FS.readText(fs.backingPath("a")), "read a") == "B")
                #expect(try must(FS.readText(fs.backingPath("b")), "read b") == "A")
                #expect(try must(FS.readText(fs.path("a")), "read a through the mount") == "B")
                #expect(try must(FS.readText(fs.path("b")), "read b through the mount") == "A")

                // A file and a directory swap too.
                try must(FS.mkdir(fs.path("dir")), "mkdir dir")
                try must(FS.writeFile(fs.path("dir/inner"), "I"), "create dir/inner")
                try must(FS.renameat2(fs.path("a"), fs.path("dir"), exchange: true), "renameat2 EXCHANGE a <-> dir")
                #expect(try must(FS.readText(fs.backingPath("a/inner")), "read a/inner") == "I")
                #expect(try must(FS.readText(fs.backingPath("dir")), "read dir") == "B")
                #expect(try must(FS.readText(fs.path("a/inner")), "read a/inner through the mount") == "I")

                // Exchange with a missing name fails and changes nothing.
                #expect(FS.renameat2(fs.path("b"), fs.path("missing"), exchange: true).errno == .noSuchFileOrDirectory)
                #expect(try must(FS.readText(fs.backingPath("b")), "read b") == "A")
                #expect(try must(FS.listDirectory(fs.backing), "list the backing") == ["a", "b", "dir"])
            }
        }
    }
}

extension MountedFS {
    /// Makes a directory in the test's scratch area (beside backing and
    /// mnt, outside the mount) and returns its path.
    func scratchDirectory(_ name: String) throws -> String {
        let path = scratch + "/" + name
        try must(FS.mkdir(path, 0o755), "mkdir \(path)")
        try must(FS.chmod(path, 0o755), "chmod 0755 \(path)")
        return path
    }
}
