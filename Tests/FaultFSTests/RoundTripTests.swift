#if canImport(Glibc)
import Glibc
#endif
import Determinism
import FaultFSTestSupport
import SystemPackage
import Testing

extension MountTests {
    /// Each file operation made through the mount, and its result seen
    /// identically in the backing directory (issue 2, test 1; and test 14).
    @Suite("Round trip", .timeLimit(.minutes(3)))
    struct RoundTrip {
        @Test("create, write, read and stat: the same bytes and attributes on both sides")
        func createWriteReadStat() throws {
            try withMount { fs in
                let text = "hello through FUSE\n"
                try must(FS.writeFile(fs.path("hello.txt"), text, mode: 0o640), "write hello.txt through the mount")
                #expect(try must(FS.readText(fs.path("hello.txt")), "read through the mount") == text)
                #expect(try must(FS.readText(fs.backingPath("hello.txt")), "read in the backing") == text)

                let viaMount = try must(FS.stat(fs.path("hello.txt")), "stat through the mount")
                let viaBacking = try must(FS.stat(fs.backingPath("hello.txt")), "stat in the backing")
                #expect(viaMount.st_size == Int(text.utf8.count))
                #expect(viaMount.st_size == viaBacking.st_size)
                #expect(viaMount.st_mode == viaBacking.st_mode)
                #expect(permissions(viaBacking.st_mode) == 0o640 & ~currentUmask())
                #expect(viaMount.st_uid == viaBacking.st_uid)
                #expect(viaMount.st_gid == viaBacking.st_gid)
                #expect(viaMount.st_nlink == viaBacking.st_nlink)
                #expect(viaMount.st_mtim.tv_sec == viaBacking.st_mtim.tv_sec)
                #expect(viaMount.st_mtim.tv_nsec == viaBacking.st_mtim.tv_nsec)
                #expect(viaMount.st_dev != viaBacking.st_dev, "the mount must be its own file system")

                // Written in the backing, read through the mount.
                try must(FS.writeFile(fs.backingPath("from-backing.txt"), "planted\n"), "write in the backing")
                #expect(try must(FS.readText(fs.path("from-backing.txt")), "read through the mount") == "planted\n")
            }
        }

        @Test("several megabytes of random bytes survive both directions unchanged")
        func largeData() throws {
            try withMount { fs in
                var generator = SplitMix64(seed: 0x5eed_0001)
                let bytes = generator.bytes(5 * 1024 * 1024 + 4097)
                try must(FS.writeFile(fs.path("big.bin"), bytes), "write big.bin through the mount")
                #expect(FS.same(try must(FS.readFile(fs.backingPath("big.bin")), "read big.bin in the backing"), bytes))
                #expect(FS.same(try must(FS.readFile(fs.path("big.bin")), "read big.bin through the mount"), bytes))

                let other = generator.bytes(3 * 1024 * 1024 + 17)
                try must(FS.writeFile(fs.backingPath("other.bin"), other), "write other.bin in the backing")
                #expect(FS.same(try must(FS.readFile(fs.path("other.bin")), "read other.bin through the mount"), other))
            }
        }

        @Test("readers stay coherent with writers: a write-only fd's writes are seen by an older read fd and by new opens")
        func coherence() throws {
            try withMount { fs in
                var generator = SplitMix64(seed: 0xc0de)
                let original = generator.bytes(300_000)
                try must(FS.writeFile(fs.path("shared"), original), "create shared")
                let reader = try must(FS.open(fs.path("shared"), O_RDONLY), "open a reader")
                defer { _ = FS.close(reader) }
                #expect(FS.same(try must(FS.preadAll(reader), "read it all (fills the page cache)"), original))

                var expected = original
                for (offset, length) in [(0, 100), (4000, 5000), (150_001, 65_536), (299_990, 10), (300_000, 7000)] {
                    let writer = try must(FS.open(fs.path("shared"), O_WRONLY), "open a write-only fd")
                    let patch = generator.bytes(length)
                    try must(FS.pwriteAll(writer, patch, at: offset), "pwrite \(length) at \(offset)")
                    _ = FS.close(writer)
                    if offset + length > expected.count { expected += [UInt8](repeating: 0, count: offset + length - expected.count) }
                    expected.replaceSubrange(offset..<offset + length, with: patch)
                    let viaOld = try must(FS.preadAll(reader), "read via the older read fd")
                    #expect(FS.same(viaOld, expected), "the old reader after a write at \(offset)\(firstDifference(viaOld, expected))")
                    let viaNew = try must(FS.readFile(fs.path("shared")), "read via a new open")
                    #expect(FS.same(viaNew, expected), "a new open after a write at \(offset)\(firstDifference(viaNew, expected))")
                }
                #expect(FS.same(try must(FS.readFile(fs.backingPath("shared")), "read in the backing"), expected))
            }
        }

        @Test("a shared writable mmap through the mount reaches the backing file after msync")
        func sharedMmap() throws {
            try withMount { fs in
                let size = 256 * 1024
                let fd = try must(FS.open(fs.path("mapped"), O_RDWR | O_CREAT), "create mapped")
                defer { _ = FS.close(fd) }
                try must(FS.ftruncate(fd, size), "ftruncate mapped")
                let mapping = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                try #require(mapping != MAP_FAILED, "mmap MAP_SHARED through the mount failed: \(Errno(rawValue: errno))")
                var generator = SplitMix64(seed: 0x3a9)
                let pattern = generator.bytes(size)
                pattern.withUnsafeBytes { mapping!.copyMemory(from: $0.baseAddress!, byteCount: size) }
                #expect(msync(mapping, size, MS_SYNC) == 0, "msync: \(Errno(rawValue: errno))")
                munmap(mapping, size)
                #expect(FS.same(try must(FS.readFile(fs.backingPath("mapped")), "read mapped in the backing"), pattern))
                #expect(FS.same(try must(FS.preadAll(fd), "read mapped via the fd"), pattern))
            }
        }

        @Test("readdir, mkdir, rmdir and unlink")
        func directories() throws {
            try withMount { fs in
                try must(FS.mkdir(fs.path("dir"), 0o750), "mkdir dir")
                try must(FS.mkdir(fs.path("dir/sub")), "mkdir dir/sub")
                for name in ["a", "b", "c with space", "ünïcode"] {
                    try must(FS.writeFile(fs.path("dir/\(name)"), name), "create dir/\(name)")
                }
                let backingDir = try must(FS.stat(fs.backingPath("dir")), "stat dir in the backing")
                #expect(fileType(backingDir.st_mode) == S_IFDIR)
                #expect(permissions(backingDir.st_mode) == 0o750 & ~currentUmask())

                let listed = try must(FS.listDirectory(fs.path("dir")), "readdir through the mount")
                #expect(listed == ["a", "b", "c with space", "sub", "ünïcode"])
                #expect(listed == (try must(FS.listDirectory(fs.backingPath("dir")), "readdir in the backing")))

                try must(FS.unlink(fs.path("dir/a")), "unlink dir/a")
                try must(FS.rmdir(fs.path("dir/sub")), "rmdir dir/sub")
                #expect(FS.lstat(fs.backingPath("dir/a")).errno == .noSuchFileOrDirectory)
                #expect(FS.lstat(fs.backingPath("dir/sub")).errno == .noSuchFileOrDirectory)
                #expect(FS.lstat(fs.path("dir/a")).errno == .noSuchFileOrDirectory)
                #expect(try must(FS.listDirectory(fs.backingPath("dir")), "readdir in the backing") == ["b", "c with space", "ünïcode"])

                // A directory with many entries: readdir must page through all of them.
                try must(FS.mkdir(fs.path("many")), "mkdir many")
                let names = (0..<1500).map { "entry-\($0)-" + String(repeating: "x", count: $0 % 40) }
                for name in names {
                    let fd = try must(FS.open(fs.path("many/\(name)"), O_WRONLY | O_CREAT | O_EXCL), "create many/\(name)")
                    _ = FS.close(fd)
                }
                #expect(try must(FS.listDirectory(fs.path("many")), "readdir many") == names.sorted())
            }
        }

        @Test("rename, link, symlink and readlink")
        func names() throws {
            try withMount { fs in
                try must(FS.writeFile(fs.path("one"), "1"), "create one")
                try must(FS.rename(fs.path("one"), fs.path("two")), "rename one -> two")
                #expect(FS.lstat(fs.backingPath("one")).errno == .noSuchFileOrDirectory)
                #expect(try must(FS.readText(fs.backingPath("two")), "read two in the backing") == "1")

                try must(FS.mkdir(fs.path("d")), "mkdir d")
                try must(FS.rename(fs.path("two"), fs.path("d/moved")), "rename two -> d/moved")
                #expect(try must(FS.readText(fs.backingPath("d/moved")), "read d/moved in the backing") == "1")

                // Rename over an existing file replaces it.
                try must(FS.writeFile(fs.path("victim"), "old"), "create victim")
                try must(FS.rename(fs.path("d/moved"), fs.path("victim")), "rename d/moved over victim")
                #expect(try must(FS.readText(fs.backingPath("victim")), "read victim in the backing") == "1")
                #expect(try must(FS.readText(fs.path("victim")), "read victim through the mount") == "1")

                try must(FS.link(fs.path("victim"), fs.path("hardlink")), "link victim -> hardlink")
                let a = try must(FS.stat(fs.backingPath("victim")), "stat victim in the backing")
                let b = try must(FS.stat(fs.backingPath("hardlink")), "stat hardlink in the backing")
                #expect(a.st_ino == b.st_ino)
                #expect(a.st_nlink == 2)
                #expect(try must(FS.stat(fs.path("victim")), "stat victim through the mount").st_nlink == 2)
                #expect(try must(FS.stat(fs.path("hardlink")), "stat hardlink through the mount").st_nlink == 2)

                try must(FS.symlink("victim", fs.path("sym")), "symlink sym -> victim")
                try must(FS.symlink("/no/such/target with space", fs.path("dangling")), "symlink dangling")
                #expect(try must(FS.readlink(fs.path("sym")), "readlink sym through the mount") == "victim")
                #expect(try must(FS.readlink(fs.backingPath("sym")), "readlink sym in the backing") == "victim")
                #expect(try must(FS.readlink(fs.backingPath("dangling")), "readlink dangling in the backing") == "/no/such/target with space")
                #expect(try must(FS.readText(fs.path("sym")), "read through sym") == "1")
                let symStat = try must(FS.lstat(fs.path("sym")), "lstat sym")
                #expect(fileType(symStat.st_mode) == S_IFLNK)
                #expect(symStat.st_size == 6)
            }
        }

        @Test("chmod, chown, utimes, truncate and ftruncate reach the backing file")
        func attributes() throws {
            try withMount { fs in
                try must(FS.writeFile(fs.path("f"), "0123456789"), "create f")

                try must(FS.chmod(fs.path("f"), 0o4751), "chmod 4751")
                #expect(permissions(try must(FS.stat(fs.backingPath("f")), "stat f").st_mode) == 0o4751)
                #expect(permissions(try must(FS.stat(fs.path("f")), "stat f through the mount").st_mode) == 0o4751)

                try must(FS.chown(fs.path("f"), 65534, 65534), "chown 65534:65534")
                let owned = try must(FS.stat(fs.backingPath("f")), "stat f")
                #expect(owned.st_uid == 65534)
                #expect(owned.st_gid == 65534)
                let ownedViaMount = try must(FS.stat(fs.path("f")), "stat f through the mount")
                #expect(ownedViaMount.st_uid == 65534)
                #expect(ownedViaMount.st_gid == 65534)

                let atime = timespec(tv_sec: 1_000_000_000, tv_nsec: 123_456_789)
                let mtime = timespec(tv_sec: 1_234_567_890, tv_nsec: 987_654_321)
                try must(FS.utimens(fs.path("f"), access: atime, modification: mtime), "utimensat f")
                let timed = try must(FS.stat(fs.backingPath("f")), "stat f")
                #expect(timed.st_atim.tv_sec == atime.tv_sec && timed.st_atim.tv_nsec == atime.tv_nsec)
                #expect(timed.st_mtim.tv_sec == mtime.tv_sec && timed.st_mtim.tv_nsec == mtime.tv_nsec)
                let timedViaMount = try must(FS.stat(fs.path("f")), "stat f through the mount")
                #expect(timedViaMount.st_mtim.tv_sec == mtime.tv_sec && timedViaMount.st_mtim.tv_nsec == mtime.tv_nsec)

                try must(FS.truncate(fs.path("f"), 4), "truncate f to 4")
                #expect(try must(FS.readText(fs.backingPath("f")), "read f") == "0123")
                try must(FS.truncate(fs.path("f"), 8), "truncate f to 8")
                #expect(try must(FS.readFile(fs.backingPath("f")), "read f") == Array("0123".utf8) + [0, 0, 0, 0])
                #expect(try must(FS.readFile(fs.path("f")), "read f through the mount") == Array("0123".utf8) + [0, 0, 0, 0])

                let fd = try must(FS.open(fs.path("f"), O_RDWR), "open f")
                defer { _ = FS.close(fd) }
                try must(FS.ftruncate(fd, 2), "ftruncate to 2")
                #expect(try must(FS.stat(fs.backingPath("f")), "stat f").st_size == 2)
                try must(FS.ftruncate(fd, 100_000), "ftruncate to 100000")
                #expect(try must(FS.stat(fs.backingPath("f")), "stat f").st_size == 100_000)
                #expect(try must(FS.fstat(fd), "fstat").st_size == 100_000)
            }
        }

        @Test("chown(-1, -1) changes nothing but marks the change time, as natively")
        func chownNoChangeMarksCtime() throws {
            try withMount { fs in
                try must(FS.writeFile(fs.path("f"), "x"), "create f")
                try must(FS.writeFile(fs.scratch + "/native", "x"), "create the native file")
                // Two calls 20 ms apart on each side: the second one's ctime
                // must be later, through the mount as on the backing's
                // filesystem (ext4 and tmpfs record nanoseconds).
                for path in [fs.path("f"), fs.scratch + "/native"] {
                    let before = try must(FS.stat(path), "stat \(path)")
                    usleep(20_000)
                    try must(FS.chown(path, uid_t.max, gid_t.max), "chown -1 -1 \(path)")
                    let after = try must(FS.stat(path), "stat \(path) after chown")
                    let moved = (after.st_ctim.tv_sec, after.st_ctim.tv_nsec) > (before.st_ctim.tv_sec, before.st_ctim.tv_nsec)
                    #expect(moved, "ctime of \(path): \(before.st_ctim) then \(after.st_ctim)")
                    #expect(after.st_uid == before.st_uid && after.st_gid == before.st_gid)
                }
            }
        }

        @Test("fallocate: allocate, keep size, punch a hole")
        func fallocate() throws {
            try withMount { fs in
                let fd = try must(FS.open(fs.path("space"), O_RDWR | O_CREAT), "create space")
                defer { _ = FS.close(fd) }
                try must(FS.fallocate(fd, offset: 0, length: 1 << 20), "fallocate 1 MiB")
                let allocated = try must(FS.stat(fs.backingPath("space")), "stat space")
                #expect(allocated.st_size == 1 << 20)
                #expect(allocated.st_blocks * 512 >= 1 << 20)

                try must(FS.fallocate(fd, mode: FS.fallocKeepSize, offset: 1 << 20, length: 1 << 20), "fallocate KEEP_SIZE")
                let kept = try must(FS.stat(fs.backingPath("space")), "stat space")
                #expect(kept.st_size == 1 << 20)
                #expect(kept.st_blocks * 512 >= 2 << 20)

                try must(FS.pwriteAll(fd, [UInt8](repeating: 0xAB, count: 65536), at: 0), "fill 64 KiB")
                try must(FS.fallocate(fd, mode: FS.fallocPunchHole | FS.fallocKeepSize, offset: 4096, length: 8192), "punch a hole")
                let content = try must(FS.readFile(fs.backingPath("space")), "read space")
                #expect(content.count == 1 << 20)
                #expect(content[0..<4096].allSatisfy { $0 == 0xAB })
                #expect(content[4096..<12288].allSatisfy { $0 == 0 })
                #expect(content[12288..<65536].allSatisfy { $0 == 0xAB })
                let viaMount = try must(FS.readFile(fs.path("space")), "read space through the mount")
                #expect(FS.same(viaMount, content))
            }
        }

        @Test("mkfifo makes a FIFO in the backing, and data flows through it")
        func fifo() throws {
            try withMount { fs in
                try must(FS.mkfifo(fs.path("pipe"), 0o620), "mkfifo pipe")
                let st = try must(FS.lstat(fs.backingPath("pipe")), "lstat pipe in the backing")
                #expect(fileType(st.st_mode) == S_IFIFO)
                #expect(permissions(st.st_mode) == 0o620 & ~currentUmask())
                #expect(fileType(try must(FS.lstat(fs.path("pipe")), "lstat pipe through the mount").st_mode) == S_IFIFO)
                // A FIFO is served by the kernel, not the daemon; opening it
                // through the mount must still work (non-blocking reader first).
                let reader = try must(FS.open(fs.path("pipe"), O_RDONLY | O_NONBLOCK), "open the FIFO for reading")
                defer { _ = FS.close(reader) }
                let writer = try must(FS.open(fs.path("pipe"), O_WRONLY | O_NONBLOCK), "open the FIFO for writing")
                try must(FS.write(writer, Array("ping".utf8)), "write to the FIFO")
                _ = FS.close(writer)
                #expect(try must(FS.read(reader, count: 16), "read from the FIFO") == Array("ping".utf8))
            }
        }

        @Test("extended attributes: set, get, list, replace, remove")
        func xattrs() throws {
            try withMount { fs in
                try must(FS.writeFile(fs.path("x"), "x"), "create x")
                try must(FS.setxattr(fs.path("x"), "user.x", Array("value-1".utf8)), "setxattr user.x")
                try must(FS.setxattr(fs.path("x"), "user.empty", []), "setxattr user.empty")
                #expect(try must(FS.getxattr(fs.backingPath("x"), "user.x"), "getxattr in the backing") == Array("value-1".utf8))
                #expect(try must(FS.getxattr(fs.path("x"), "user.x"), "getxattr through the mount") == Array("value-1".utf8))
                #expect(try must(FS.getxattr(fs.path("x"), "user.empty"), "getxattr user.empty") == [])
                let listed = try must(FS.listxattr(fs.path("x")), "listxattr through the mount")
                #expect(listed.contains("user.x") && listed.contains("user.empty"))
                #expect(listed == (try must(FS.listxattr(fs.backingPath("x")), "listxattr in the backing")))

                #expect(FS.setxattr(fs.path("x"), "user.x", Array("v".utf8), flags: FS.xattrCreate).errno == .fileExists)
                #expect(FS.setxattr(fs.path("x"), "user.none", Array("v".utf8), flags: FS.xattrReplace).errno == .noData)
                try must(FS.setxattr(fs.path("x"), "user.x", Array("value-2".utf8), flags: FS.xattrReplace), "replace user.x")
                #expect(try must(FS.getxattr(fs.backingPath("x"), "user.x"), "getxattr in the backing") == Array("value-2".utf8))

                try must(FS.removexattr(fs.path("x"), "user.x"), "removexattr user.x")
                #expect(FS.getxattr(fs.backingPath("x"), "user.x").errno == .noData)
                #expect(FS.getxattr(fs.path("x"), "user.x").errno == .noData)
                #expect(!(try must(FS.listxattr(fs.path("x")), "listxattr").contains("user.x")))

                // On a directory too.
                try must(FS.mkdir(fs.path("dir")), "mkdir dir")
                try must(FS.setxattr(fs.path("dir"), "user.d", Array("on a dir".utf8)), "setxattr on a directory")
                #expect(try must(FS.getxattr(fs.backingPath("dir"), "user.d"), "getxattr dir") == Array("on a dir".utf8))
            }
        }

        @Test("statfs through the mount equals the backing file system's")
        func statfs() throws {
            try withMount { fs in
                let viaMount = try must(FS.statvfs(fs.mountPoint), "statvfs of the mount")
                let viaBacking = try must(FS.statvfs(fs.backing), "statvfs of the backing")
                #expect(viaMount.f_bsize == viaBacking.f_bsize)
                #expect(viaMount.f_frsize == viaBacking.f_frsize)
                #expect(viaMount.f_blocks == viaBacking.f_blocks)
                #expect(viaMount.f_files == viaBacking.f_files)
                #expect(viaMount.f_namemax == viaBacking.f_namemax)
                // Free space moves with other processes' writes; it must be in range.
                #expect(viaMount.f_bfree <= viaMount.f_blocks && viaMount.f_bavail <= viaMount.f_bfree)
            }
        }

        @Test("access() answers as it does on the backing, for root and for uid 65534")
        func access() throws {
            try withMount { fs in
                try must(FS.writeFile(fs.path("rw"), "x", mode: 0o644), "create rw")
                try must(FS.chmod(fs.path("rw"), 0o644), "chmod rw 0644")
                try must(FS.writeFile(fs.path("exec"), "#!/bin/sh\n", mode: 0o755), "create exec")
                try must(FS.chmod(fs.path("exec"), 0o755), "chmod exec 0755")
                try must(FS.writeFile(fs.path("secret"), "x", mode: 0o600), "create secret")
                try must(FS.chmod(fs.path("secret"), 0o600), "chmod secret 0600")

                for name in ["rw", "exec", "secret", "missing"] {
                    for (modeName, mode) in [("F_OK", F_OK), ("R_OK", R_OK), ("W_OK", W_OK), ("X_OK", X_OK)] {
                        let viaMount = FS.access(fs.path(name), mode).errno
                        let native = FS.access(fs.backingPath(name), mode).errno
                        #expect(viaMount == native, "access(\(name), \(modeName)) as root")
                        let asNobody = try Tool.accessAsNobody(fs.path(name), mode)
                        let asNobodyNative = try Tool.accessAsNobody(fs.backingPath(name), mode)
                        #expect(asNobody == asNobodyNative, "access(\(name), \(modeName)) as uid 65534")
                    }
                }
                // The expectations above compare; these pin the answers.
                #expect(FS.access(fs.path("rw"), X_OK).errno == .permissionDenied)
                #expect(FS.access(fs.path("exec"), X_OK).errno == nil)
                #expect(FS.access(fs.path("missing"), F_OK).errno == .noSuchFileOrDirectory)
                #expect(try Tool.errnoAsNobody("os.close(os.open(p, os.O_RDONLY))", path: fs.path("secret")) == .permissionDenied)
            }
        }
    }
}

/// The process's umask (read by setting and restoring it).
func currentUmask() -> mode_t {
    let mask = umask(0o022)
    umask(mask)
    return mask
}

/// The seeded generator's helpers for these tests: the same seed gives the
/// same bytes on every machine, so a failure can be replayed.
extension SplitMix64 {
    /// `count` pseudo-random bytes, eight at a time (fast in debug builds).
    mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { raw in
            var i = 0
            while i + 8 <= count {
                raw.storeBytes(of: next(), toByteOffset: i, as: UInt64.self)
                i += 8
            }
            var last = next()
            while i < count {
                raw[i] = UInt8(truncatingIfNeeded: last)
                last >>= 8
                i += 1
            }
        }
        return out
    }

    /// A value in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        Int.random(in: range, using: &self)
    }
}
