#if canImport(Glibc)
import Glibc
#endif
import FaultFSTestSupport
import SystemPackage
import Testing

extension MountTests {
    /// Nothing done through the mount reaches a file outside the backing
    /// directory (issue 2, test 10).
    ///
    /// What the kernel does on the caller's side is expected and not an
    /// escape: `..` of the mount root is the mount point's parent, and a
    /// symlink read through the mount is followed by the caller, relative to
    /// where the caller sees it. What must hold is that the daemon never
    /// follows a link or `..` itself, so no request it serves touches a file
    /// outside BACKING.
    ///
    /// Layout: scratch/b/backing is served at scratch/m/mnt, and each of
    /// scratch/b and scratch/m holds an `outside/secret` with different
    /// content, so whichever side resolves `../outside/secret` shows.
    @Suite("No escape from the backing directory", .timeLimit(.minutes(2)))
    struct NoEscape {
        struct Layout {
            let fs: MountedFS
            var backingSide: String { fs.scratch + "/b/outside" }
            var mountSide: String { fs.scratch + "/m/outside" }
        }

        func withLayout(_ body: (Layout) throws -> Void) throws {
            let scratch = try TemporaryDirectory("escape")
            defer { try? scratch.remove() }
            for dir in ["b", "b/backing", "b/outside", "m", "m/mnt", "m/outside"] { try scratch.makeDirectory(dir) }
            try must(FS.writeFile(scratch.path("b/outside/secret"), "beside the backing\n", mode: 0o644), "write b/outside/secret")
            try must(FS.writeFile(scratch.path("m/outside/secret"), "beside the mount\n", mode: 0o644), "write m/outside/secret")
            let fs = try MountedFS.mount(backing: scratch.path("b/backing"), at: scratch.path("m/mnt"), scratch: scratch.path)
            do {
                try body(Layout(fs: fs))
            } catch {
                do { try fs.finish() } catch let unmountError { Issue.record(unmountError) }
                throw error
            }
            try fs.finish()
        }

        /// The names and contents of both outside directories, to show they
        /// were not touched.
        func snapshot(_ layout: Layout, mountSide: Bool = true) throws -> [String] {
            var lines: [String] = []
            let dirs = [layout.backingSide, layout.fs.scratch + "/b"] + (mountSide ? [layout.mountSide, layout.fs.scratch + "/m"] : [])
            for dir in dirs {
                // backing and mnt themselves change with every write; what
                // must not change is everything else beside them.
                for name in try must(FS.listDirectory(dir), "list \(dir)") where name != "backing" && name != "mnt" {
                    let st = try must(FS.lstat(dir + "/" + name), "lstat")
                    var line = "\(dir)/\(name) mode \(String(st.st_mode, radix: 8)) uid \(st.st_uid) size \(st.st_size) mtime \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
                    if fileType(st.st_mode) == S_IFREG { line += " " + (try must(FS.readText(dir + "/" + name), "read")) }
                    lines.append(line)
                }
            }
            return lines
        }

        @Test("symlinks are returned as stored and followed on the caller's side")
        func symlinksAsStored() throws {
            try withLayout { layout in
                let fs = layout.fs
                try must(FS.symlink("/etc/passwd", fs.backingPath("abs")), "symlink abs in the backing")
                try must(FS.symlink("../outside/secret", fs.backingPath("rel")), "symlink rel in the backing")
                #expect(try must(FS.readlink(fs.path("abs")), "readlink abs") == "/etc/passwd")
                #expect(try must(FS.readlink(fs.path("rel")), "readlink rel") == "../outside/secret")
                // Followed by the caller: /etc/passwd is the caller's, and
                // ../outside is relative to the mount point, not the backing.
                #expect(try must(FS.readText(fs.path("abs")), "read abs") == (try must(FS.readText("/etc/passwd"), "read /etc/passwd")))
                #expect(try must(FS.readText(fs.path("rel")), "read through rel") == "beside the mount\n")
                // A symlink made through the mount is stored verbatim.
                try must(FS.symlink("../../../../etc/shadow", fs.path("made")), "symlink made")
                #expect(try must(FS.readlink(fs.backingPath("made")), "readlink made in the backing") == "../../../../etc/shadow")
            }
        }

        @Test("changing a symlink's own attributes never reaches its target outside")
        func symlinkAttributesStayOnTheLink() throws {
            try withLayout { layout in
                let fs = layout.fs
                let outsideFile = layout.backingSide + "/secret"
                // Absolute, so it names the same file from either side.
                try must(FS.symlink(outsideFile, fs.backingPath("to-outside")), "symlink to-outside")
                let before = try snapshot(layout)

                let time = timespec(tv_sec: 1_111_111_111, tv_nsec: 0)
                let lutimes = FS.utimens(fs.path("to-outside"), access: time, modification: time, followSymlinks: false)
                let lchown = FS.lchown(fs.path("to-outside"), 65534, 65534)
                let lsetxattr = FS.setxattr(fs.path("to-outside"), "user.x", [1], followSymlinks: false)
                // Natively, for comparison.
                try must(FS.symlink(outsideFile, fs.scratch + "/native-link"), "native symlink")
                let nativeLutimes = FS.utimens(fs.scratch + "/native-link", access: time, modification: time, followSymlinks: false)
                let nativeLchown = FS.lchown(fs.scratch + "/native-link", 65534, 65534)
                let nativeLsetxattr = FS.setxattr(fs.scratch + "/native-link", "user.x", [1], followSymlinks: false)

                #expect(try snapshot(layout) == before, "the target outside BACKING changed")
                #expect(lutimes.errno == nativeLutimes.errno)
                #expect(lchown.errno == nativeLchown.errno)
                #expect(lsetxattr.errno == nativeLsetxattr.errno)
                let link = try must(FS.lstat(fs.backingPath("to-outside")), "lstat the link in the backing")
                if lutimes.succeeded { #expect(link.st_mtim.tv_sec == time.tv_sec, "lutimes changed the link itself") }
                if lchown.succeeded { #expect(link.st_uid == 65534, "lchown changed the link itself") }
            }
        }

        @Test("rename and link to ../x through the mount cannot place a file outside BACKING")
        func renameAndLinkOut() throws {
            try withLayout { layout in
                let fs = layout.fs
                try must(FS.writeFile(fs.path("inside"), "inside\n"), "create inside")
                try must(FS.mkdir(fs.path("sub")), "mkdir sub")
                let before = try snapshot(layout)

                #expect(FS.rename(fs.path("inside"), fs.path("../x")).errno == .improperLink)
                #expect(FS.rename(fs.path("inside"), fs.path("sub/../../x")).errno == .improperLink)
                #expect(FS.renameat2(fs.path("inside"), fs.path("../outside/secret"), exchange: true).errno == .improperLink)
                #expect(FS.link(fs.path("inside"), fs.path("../x")).errno == .improperLink)
                #expect(FS.link(fs.path("inside"), fs.path("sub/../../outside/y")).errno == .improperLink)
                #expect(FS.rename(fs.path("sub"), fs.path("../sub")).errno == .improperLink)
                // In the backing's terms too: nothing beside it gained a name.
                #expect(try snapshot(layout) == before)
                #expect(try must(FS.listDirectory(fs.backing), "list the backing") == ["inside", "sub"])
                #expect(try must(FS.readText(fs.backingPath("inside")), "read inside") == "inside\n")

                // Names that look like paths stay names inside BACKING.
                try must(FS.mkdir(fs.path("sub/deeper")), "mkdir sub/deeper")
                try must(FS.rename(fs.path("inside"), fs.path("sub/deeper/../moved")), "rename within the mount via ..")
                #expect(try must(FS.readText(fs.backingPath("sub/moved")), "read sub/moved") == "inside\n")
                #expect(try snapshot(layout) == before)
            }
        }

        @Test("a directory symlink in the backing is not traversed by the daemon")
        func directorySymlink() throws {
            try withLayout { layout in
                let fs = layout.fs
                try must(FS.symlink("../outside", fs.backingPath("dirlink")), "symlink dirlink")
                // The mount's side is changed on purpose below.
                let before = try snapshot(layout, mountSide: false)
                let st = try must(FS.lstat(fs.path("dirlink")), "lstat dirlink")
                #expect(fileType(st.st_mode) == S_IFLNK)
                // Creating below it resolves on the caller's side: it lands
                // beside the mount (scratch/m/outside), never beside BACKING.
                try must(FS.writeFile(fs.path("dirlink/created"), "x"), "create through dirlink")
                #expect(FS.lstat(layout.mountSide + "/created").succeeded)
                #expect(FS.lstat(layout.backingSide + "/created").errno == .noSuchFileOrDirectory)
                try must(FS.unlink(layout.mountSide + "/created"), "remove it again")
                #expect(try snapshot(layout, mountSide: false) == before)
            }
        }
    }
}
