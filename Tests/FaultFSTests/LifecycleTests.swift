#if canImport(Glibc)
import Glibc
#endif
import FaultFSTestSupport
import SystemPackage
import Testing

/// A signal, named in test output.
struct ShutdownSignal: Sendable, CustomTestStringConvertible {
    let number: Int32
    let name: String
    /// Whether a file on the mount is open when the signal arrives.
    let fileOpen: Bool
    var testDescription: String { name + (fileOpen ? " with a file open" : "") }

    static let all: [ShutdownSignal] = [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM"), (SIGHUP, "SIGHUP")].flatMap { number, name in
        [false, true].map { ShutdownSignal(number: number, name: name, fileOpen: $0) }
    }
}

extension MountTests {
    /// The mount never outlives its daemon, however it ends (issue 2, test 13).
    @Suite("Never left mounted", .timeLimit(.minutes(3)))
    struct NeverLeftMounted {
        @Test("a shutdown signal: exit code 0 within 10 s, mount gone, data kept", arguments: ShutdownSignal.all)
        func shutdownSignal(_ signal: ShutdownSignal) throws {
            try withTemporaryDirectory("lifecycle") { dir in
                let backing = try dir.makeDirectory("backing"), mnt = try dir.makeDirectory("mnt")
                let fs = try MountedFS.mount(backing: backing, at: mnt, scratch: dir.path)
                try must(FS.writeFile(fs.path("kept"), "kept\n"), "write through the mount")
                // A file open at shutdown must not keep the daemon alive.
                let open = signal.fileOpen ? try must(FS.open(fs.path("kept"), O_RDONLY), "open kept") : -1
                defer { if open >= 0 { _ = FS.close(open) } }
                let ended = try fs.unmount(signal: signal.number)
                #expect(ended == .exited(0))
                #expect(!MountTable.isMounted(fs.canonicalMountPoint))
                #expect(try must(FS.listDirectory(mnt), "list the mount point") == [], "a plain empty directory again")
                #expect(try must(FS.stat(mnt), "stat mnt").st_dev == (try must(FS.stat(dir.path), "stat dir")).st_dev)
                #expect(try must(FS.readText(backing + "/kept"), "read kept in the backing") == "kept\n")
            }
        }

        @Test("SIGKILL of the daemon: the mount disappears within 1 second (auto_unmount)")
        func sigkill() throws {
            try withMount { fs in
                try must(FS.writeFile(fs.path("f"), "x"), "write through the mount")
                let killedAt = Clock.now
                fs.send(SIGKILL)
                var goneAfter: Double? = nil
                while Clock.now - killedAt < 5 {
                    if !fs.isMounted { goneAfter = Clock.now - killedAt; break }
                    usleep(2_000)
                }
                #expect(fs.process.wait(timeout: 5) == .signaled(SIGKILL))
                let after = try #require(goneAfter, "still mounted 5 s after SIGKILL")
                #expect(after < 1.0, "gone after \(after) s")
                #expect(MountTable.mountsLines(at: fs.canonicalMountPoint).isEmpty)
                #expect(try must(FS.listDirectory(fs.mountPoint), "list the mount point") == [])
            }
        }

        @Test("faultbench unmount of a healthy mount: exit 0, gone, the daemon exits 0 by itself")
        func unmountCommand() throws {
            try withMount { fs in
                fs.stoppedByTest = true
                let result = try Tool.run(try FaultbenchBinary.path(), ["unmount", fs.mountPoint], timeout: 20)
                #expect(result.exit == .exited(0), "\(result)")
                #expect(result.stderr == "")
                #expect(!fs.isMounted)
                #expect(fs.process.wait(timeout: 10) == .exited(0), "daemon stderr: \(fs.stderr)")
            }
        }

        @Test("unmounted from outside (fusermount3 -u): the daemon notices and exits 0")
        func externalUnmount() throws {
            try withMount { fs in
                fs.stoppedByTest = true
                let result = try Tool.run("fusermount3", ["-u", fs.canonicalMountPoint], timeout: 20)
                #expect(result.succeeded, "\(result)")
                #expect(!fs.isMounted)
                #expect(fs.process.wait(timeout: 10) == .exited(0), "daemon stderr: \(fs.stderr)")
            }
        }

        @Test("faultbench unmount while a file is open (busy): exit 0, gone at once, the daemon exits 0 once the file is closed")
        func unmountBusy() throws {
            try withMount { fs in
                try must(FS.writeFile(fs.path("held"), "held\n"), "create held")
                let fd = try must(FS.open(fs.path("held"), O_RDWR), "open held")
                fs.stoppedByTest = true
                var open = true
                defer { if open { _ = FS.close(fd) } }
                // The busy case proper: a plain unmount refuses.
                let plain = try Tool.run("fusermount3", ["-u", fs.mountPoint], timeout: 20)
                #expect(!plain.succeeded, "fusermount3 -u should fail with EBUSY while a file is open: \(plain)")

                let result = try Tool.run(try FaultbenchBinary.path(), ["unmount", fs.mountPoint], timeout: 20)
                #expect(result.exit == .exited(0), "\(result)")
                #expect(result.stderr == "")
                #expect(!fs.isMounted, "lazily detached at once")
                _ = FS.close(fd)
                open = false
                #expect(fs.process.wait(timeout: 10) == .exited(0), "daemon stderr: \(fs.stderr)")
                #expect(try must(FS.readText(fs.backingPath("held")), "read held in the backing") == "held\n")
            }
        }

        @Test("faultbench unmount while the daemon is stopped (hung mount): exit 0, gone; the daemon exits 0 when continued")
        func unmountHung() throws {
            try withMount { fs in
                try must(FS.writeFile(fs.path("f"), "x"), "write through the mount")
                fs.stoppedByTest = true
                fs.send(SIGSTOP)
                usleep(1_200_000)  // past the 1 s attribute cache, so a stat would reach the daemon
                let result = try Tool.run(try FaultbenchBinary.path(), ["unmount", fs.mountPoint], timeout: 20)
                fs.send(SIGCONT)
                #expect(result.exit == .exited(0), "\(result)")
                #expect(!fs.isMounted)
                #expect(fs.process.wait(timeout: 10) == .exited(0), "daemon stderr: \(fs.stderr)")
            }
        }

        @Test("faultbench unmount of a stale mount (transport endpoint not connected): exit 0, gone")
        func unmountStale() throws {
            let dir = try TemporaryDirectory("stale")
            let mnt = try dir.makeDirectory("mnt")
            defer {
                if MountTable.isMounted(mnt) { _ = try? Tool.run("umount", ["-l", mnt]) }
                try? dir.remove()
            }
            try makeStaleMount(at: mnt)
            #expect(MountTable.entry(at: mnt)?.fsType == "fuse.faultbench")
            #expect(FS.stat(mnt).errno == .socketNotConnected, "the mount is stale")

            let result = try Tool.run(try FaultbenchBinary.path(), ["unmount", mnt], timeout: 20)
            #expect(result.exit == .exited(0), "\(result)")
            #expect(result.stderr == "")
            #expect(!MountTable.isMounted(mnt))
            #expect(FS.stat(mnt).succeeded, "a plain directory again")
        }

        @Test("faultbench unmount of a directory that is not mounted: one faultbench: line, exit 1")
        func unmountNotMounted() throws {
            try withTemporaryDirectory("cli") { dir in
                let plain = try dir.makeDirectory("plain")
                let result = try Tool.run(try FaultbenchBinary.path(), ["unmount", plain], timeout: 20)
                #expect(result.exit == .exited(1))
                #expect(result.stderr.hasPrefix("faultbench: ") && result.stderr.hasSuffix("\n"))
                #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
                #expect(result.stderr.contains(plain))
            }
        }

        @Test("the daemon lets go of what was deleted: its open descriptors return to the baseline")
        func noDescriptorLeak() throws {
            try withMount(server: .faultbench) { fs in
                func descriptors() throws -> Int {
                    try must(FS.listDirectory("/proc/\(fs.process.pid)/fd"), "list the daemon's descriptors").count
                }
                try must(FS.mkdir(fs.path("churn")), "mkdir churn")
                let baseline = try descriptors()
                for round in 0..<3 {
                    for i in 0..<1000 {
                        try must(FS.writeFile(fs.path("churn/f\(i)"), "round \(round)"), "create churn/f\(i)")
                        try must(FS.mkdir(fs.path("churn/d\(i)")), "mkdir churn/d\(i)")
                    }
                    _ = try must(FS.listDirectory(fs.path("churn")), "readdir churn")
                    for i in 0..<1000 {
                        try must(FS.unlink(fs.path("churn/f\(i)")), "unlink churn/f\(i)")
                        try must(FS.rmdir(fs.path("churn/d\(i)")), "rmdir churn/d\(i)")
                    }
                }
                // Forgets for deleted inodes arrive asynchronously.
                var now = try descriptors()
                let deadline = Clock.now + 5
                while now > baseline + 16 && Clock.now < deadline {
                    usleep(50_000)
                    now = try descriptors()
                }
                #expect(now <= baseline + 16, "the daemon held \(baseline) descriptors before and \(now) after creating and deleting 6000 entries")
            }
        }

        @Test("the fixture unmounts when a test body throws")
        func fixtureCleansUpAfterAThrow() throws {
            struct Planned: Error {}
            var seen: String? = nil
            #expect(throws: Planned.self) {
                try withMount { fs in
                    seen = fs.canonicalMountPoint
                    try must(FS.writeFile(fs.path("f"), "x"), "write")
                    throw Planned()
                }
            }
            let mountPoint = try #require(seen)
            #expect(!MountTable.isMounted(mountPoint))
            #expect(FS.lstat(mountPoint).errno == .noSuchFileOrDirectory, "its scratch directory is removed")
        }
    }
}

/// Leaves a stale `fuse.faultbench` mount at `mountPoint`, as a daemon that
/// died without unmounting would: mount(2) on an open /dev/fuse, then close
/// it without serving a request. (faultbench itself always sets
/// auto_unmount, so killing it cannot leave one.) The caller unmounts it.
func makeStaleMount(at mountPoint: String) throws {
    let script = """
        import ctypes, os, sys
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open("/dev/fuse", os.O_RDWR)
        options = ("fd=%d,rootmode=40000,user_id=0,group_id=0" % fd).encode()
        # MS_NOSUID | MS_NODEV, as fusermount3 mounts.
        if libc.mount(b"faultbench", os.fsencode(sys.argv[1]), b"fuse.faultbench", ctypes.c_ulong(6), options) != 0:
            sys.exit("mount(2) failed: " + os.strerror(ctypes.get_errno()))
        os.close(fd)
        """
    let made = try Tool.run(Tool.python3, ["-c", script, mountPoint], timeout: 20)
    guard made.succeeded else { throw SupportError("making a stale mount at '\(mountPoint)' failed: \(made)") }
}
