#if canImport(Glibc)
import Glibc
#endif
import FaultFSTestSupport
import SystemPackage
import Testing

/// One way to call `faultbench mount` wrongly.
struct BadMount: Sendable, CustomTestStringConvertible {
    let name: String
    /// Makes what the case needs in the scratch directory; returns
    /// (backing, mount point, environment) to pass.
    let prepare: @Sendable (TemporaryDirectory) throws -> (backing: String, mountPoint: String, environment: [String: String?])
    /// The one line expected on stderr, given the paths passed.
    let message: @Sendable (_ backing: String, _ mountPoint: String, _ environment: [String: String?]) -> String

    var testDescription: String { name }
}

extension MountTests {
    /// The command line's contract: the "mounted" line, the mount's
    /// identity, and one clear line for each kind of bad input (issue 2,
    /// test 12).
    @Suite("Command line", .timeLimit(.minutes(3)))
    struct CommandLine {
        static let cases: [BadMount] = [
            BadMount(name: "backing directory missing", prepare: { dir in
                (dir.path("no-such-backing"), try dir.makeDirectory("mnt"), [:])
            }, message: { b, _, _ in "faultbench: backing directory '\(b)' does not exist; create it or name an existing directory." }),
            BadMount(name: "backing is a file", prepare: { dir in
                try must(FS.writeFile(dir.path("file"), "x"), "create file")
                return (dir.path("file"), try dir.makeDirectory("mnt"), [:])
            }, message: { b, _, _ in "faultbench: backing path '\(b)' is not a directory; name a directory to serve." }),
            BadMount(name: "mount point missing", prepare: { dir in
                (try dir.makeDirectory("backing"), dir.path("no-such-mnt"), [:])
            }, message: { _, m, _ in "faultbench: mount point '\(m)' does not exist; create an empty directory there first." }),
            BadMount(name: "mount point is a file", prepare: { dir in
                try must(FS.writeFile(dir.path("file"), "x"), "create file")
                return (try dir.makeDirectory("backing"), dir.path("file"), [:])
            }, message: { _, m, _ in "faultbench: mount point '\(m)' is not a directory; mount on an empty directory." }),
            BadMount(name: "mount point not empty", prepare: { dir in
                let m = try dir.makeDirectory("mnt")
                try must(FS.writeFile(m + "/occupant", "x"), "create occupant")
                return (try dir.makeDirectory("backing"), m, [:])
            }, message: { _, m, _ in "faultbench: mount point '\(m)' is not empty; mount on an empty directory so no files are hidden." }),
            BadMount(name: "mount point equal to the backing", prepare: { dir in
                let b = try dir.makeDirectory("backing")
                return (b, b, [:])
            }, message: { b, m, _ in "faultbench: mount point '\(m)' is inside the backing directory '\(b)'; choose a mount point outside it." }),
            BadMount(name: "mount point inside the backing", prepare: { dir in
                let b = try dir.makeDirectory("backing")
                return (b, try dir.makeDirectory("backing/sub"), [:])
            }, message: { b, m, _ in "faultbench: mount point '\(m)' is inside the backing directory '\(b)'; choose a mount point outside it." }),
            BadMount(name: "mount point inside the backing through a symlink", prepare: { dir in
                let b = try dir.makeDirectory("backing")
                try dir.makeDirectory("backing/sub")
                try must(FS.symlink("backing/sub", dir.path("alias")), "symlink alias")
                return (b, dir.path("alias"), [:])
            }, message: { b, m, _ in "faultbench: mount point '\(m)' is inside the backing directory '\(b)'; choose a mount point outside it." }),
            BadMount(name: "FUSE device missing", prepare: { dir in
                (try dir.makeDirectory("backing"), try dir.makeDirectory("mnt"), ["FAULTBENCH_FUSE_DEVICE": "/nonexistent"])
            }, message: { _, _, _ in "faultbench: /nonexistent does not exist; load the fuse module (modprobe fuse) or give the container /dev/fuse." }),
            BadMount(name: "FUSE device cannot be opened read-write", prepare: { dir in
                // Root bypasses file modes, but no one opens a directory O_RDWR.
                let device = try dir.makeDirectory("not-a-device")
                return (try dir.makeDirectory("backing"), try dir.makeDirectory("mnt"), ["FAULTBENCH_FUSE_DEVICE": device])
            }, message: { _, _, env in "faultbench: cannot open \(env["FAULTBENCH_FUSE_DEVICE"]!!): Is a directory; run as root or get read-write access to it." }),
        ]

        @Test("bad input: one exact line on stderr, exit code 1, nothing mounted", arguments: cases)
        func badInput(_ testCase: BadMount) throws {
            let dir = try TemporaryDirectory("cli")
            defer { try? dir.remove() }
            let prepared = try testCase.prepare(dir)
            // Only this test's own directory: other suites mount in parallel.
            let before = MountTable.fuseMounts(under: canonicalPath(dir.path))
            let result = try Tool.run(try FaultbenchBinary.path(), ["mount", prepared.backing, prepared.mountPoint],
                                      environment: prepared.environment, timeout: 20)
            let expected = testCase.message(prepared.backing, prepared.mountPoint, prepared.environment) + "\n"
            #expect(result.exit == .exited(1), "\(result)")
            #expect(result.stderr == expected)
            #expect(result.stdout == "")
            #expect(MountTable.fuseMounts(under: canonicalPath(dir.path)) == before, "a mount appeared or vanished")
            #expect(!MountTable.isMounted(canonicalPath(prepared.mountPoint)))
            // Had it mounted and been killed, the mount point would not be a plain directory.
            if case .success(let st) = FS.lstat(prepared.mountPoint), fileType(st.st_mode) == S_IFDIR {
                let parent = try must(FS.stat(dir.path), "stat the scratch dir")
                #expect(try must(FS.stat(prepared.mountPoint), "stat the mount point").st_dev == parent.st_dev)
            }
        }

        @Test("bad input: mount point already a mount (the existing mount is left alone)")
        func alreadyMounted() throws {
            try withMount { fs in
                try must(FS.writeFile(fs.path("kept"), "still here"), "write through the first mount")
                let otherBacking = try fs.scratchDirectory("other-backing")
                let result = try Tool.run(try FaultbenchBinary.path(), ["mount", otherBacking, fs.mountPoint], timeout: 20)
                #expect(result.exit == .exited(1), "\(result)")
                #expect(result.stderr == "faultbench: mount point '\(fs.mountPoint)' is already a mount point; unmount it first (faultbench unmount \(fs.mountPoint)).\n")
                #expect(result.stdout == "")
                #expect(MountTable.fuseMounts(under: fs.mountPoint).count == 1, "only the first mount")
                #expect(try must(FS.readText(fs.path("kept")), "read through the first mount") == "still here")
                #expect(fs.process.poll() == nil, "the first daemon still runs")
            }
        }

        @Test("bad input: mount point is a stale mount: one line naming the cure, exit 1, the stale mount left for unmount")
        func staleMountPoint() throws {
            let dir = try TemporaryDirectory("cli")
            let mnt = try dir.makeDirectory("mnt")
            let backing = try dir.makeDirectory("backing")
            defer {
                if MountTable.isMounted(mnt) { _ = try? Tool.run("umount", ["-l", mnt]) }
                try? dir.remove()
            }
            try makeStaleMount(at: mnt)
            let result = try Tool.run(try FaultbenchBinary.path(), ["mount", backing, mnt], timeout: 20)
            #expect(result.exit == .exited(1), "\(result)")
            #expect(result.stderr == "faultbench: mount point '\(mnt)' is a stale mount (transport endpoint is not connected); clear it with faultbench unmount \(mnt).\n")
            #expect(MountTable.fuseMounts(under: mnt).count == 1, "only the stale mount")
        }

        @Test("bad input: relative paths are echoed as given")
        func relativePaths() throws {
            try withTemporaryDirectory("cli") { dir in
                try dir.makeDirectory("backing")
                let result = try Tool.run(try FaultbenchBinary.path(), ["mount", "backing", "missing-mnt"], cwd: dir.path, timeout: 20)
                #expect(result.exit == .exited(1))
                #expect(result.stderr == "faultbench: mount point 'missing-mnt' does not exist; create an empty directory there first.\n")
            }
        }

        @Test("mounted: the exact stdout line, fsname faultbench, type fuse.faultbench, allow_other and default_permissions")
        func mountedContract() throws {
            try withMount(server: .faultbench) { fs in
                #expect(fs.stdout == "faultbench: mounted \(fs.backing) at \(fs.mountPoint)\n")
                let entry = try #require(fs.entry)
                #expect(entry.fsType == "fuse.faultbench")
                #expect(entry.source == "faultbench")
                #expect(entry.superOptions.contains("allow_other"), "\(entry)")
                #expect(entry.superOptions.contains("default_permissions"), "\(entry)")
                let mountsLines = MountTable.mountsLines(at: fs.canonicalMountPoint)
                #expect(mountsLines.count == 1)
                #expect(mountsLines.first?.hasPrefix("faultbench \(fs.canonicalMountPoint) fuse.faultbench ") == true, "\(mountsLines)")
                #expect(fs.stderr == "", "nothing on stderr while mounted")
            }
        }

        @Test("mounted with relative paths containing spaces: the line echoes them as given")
        func relativePathsMounted() throws {
            let dir = try TemporaryDirectory("cli")
            defer { try? dir.remove() }
            try dir.makeDirectory("back ing")
            try dir.makeDirectory("mount point")
            try must(FS.writeFile(dir.path("back ing/f"), "spaced"), "create a file in the backing")
            let fs = try MountedFS.mount(backing: "back ing", at: "mount point", scratch: dir.path, cwd: dir.path, server: .faultbench)
            defer { fs.cleanUp() }
            #expect(fs.stdout == "faultbench: mounted back ing at mount point\n")
            #expect(fs.entry?.mountPoint == dir.path("mount point"))
            #expect(try must(FS.readText(dir.path("mount point/f")), "read through the mount") == "spaced")
            try fs.finish()
        }

        @Test("usage errors (bad option value, missing argument, unknown option): non-zero exit, the problem named, nothing mounted")
        func usageErrors() throws {
            let dir = try TemporaryDirectory("cli")
            defer { try? dir.remove() }
            let b = try dir.makeDirectory("backing"), m = try dir.makeDirectory("mnt")
            let cases: [([String], String)] = [
                (["mount", b, m, "--threads", "0"], "--threads"),
                (["mount", b], "mountpoint"),
                (["mount", b, m, "--bogus"], "--bogus"),
                (["frobnicate"], "frobnicate"),
            ]
            for (arguments, named) in cases {
                let before = MountTable.fuseMounts(under: canonicalPath(dir.path))
                let result = try Tool.run(try FaultbenchBinary.path(), arguments, timeout: 20)
                #expect(result.exit != .exited(0) && result.exit != .signaled(SIGKILL), "\(result)")
                #expect(result.stderr.contains(named), "\(arguments): \(result.stderr)")
                #expect(MountTable.fuseMounts(under: canonicalPath(dir.path)) == before)
                #expect(try must(FS.listDirectory(m), "list mnt") == [])
            }
        }

        @Test("--threads and --debug are accepted; --debug logs requests on stderr")
        func options() throws {
            try withMount(arguments: ["--threads", "4"], server: .faultbench) { fs in
                try must(FS.writeFile(fs.path("f"), "x"), "write with 4 threads")
                #expect(try must(FS.readText(fs.backingPath("f")), "read") == "x")
            }
            try withMount(arguments: ["--debug"], server: .faultbench) { fs in
                try must(FS.writeFile(fs.path("debugged"), "x"), "write with --debug")
                #expect(fs.stderr.contains("opcode: CREATE"), "--debug shows libfuse's request log, with the CREATE of 'debugged'")
            }
        }
    }
}

