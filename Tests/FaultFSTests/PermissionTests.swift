#if canImport(Glibc)
import Glibc
#endif
import FaultFSTestSupport
import SystemPackage
import Testing

extension MountTests {
    /// Permission checks by the kernel (default_permissions) and ownership of
    /// what other users create (issue 2, test 11).
    @Suite("Permissions and ownership", .timeLimit(.minutes(2)))
    struct Permissions {
        @Test("uid 65534: EACCES in a root-owned 0755 dir, then after chmod 0777 the file is created and owned by 65534")
        func createAsNobody() throws {
            try withMount { fs in
                try must(FS.mkdir(fs.path("shared"), 0o755), "mkdir shared")
                try must(FS.chmod(fs.path("shared"), 0o755), "chmod shared 0755")
                let create = "f = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640); os.write(f, b'from nobody'); os.close(f)"
                #expect(try Tool.errnoAsNobody(create, path: fs.path("shared/mine")) == .permissionDenied)
                #expect(FS.lstat(fs.backingPath("shared/mine")).errno == .noSuchFileOrDirectory)

                try must(FS.chmod(fs.path("shared"), 0o777), "chmod shared 0777")
                #expect(try Tool.errnoAsNobody(create, path: fs.path("shared/mine")) == nil)
                let st = try must(FS.stat(fs.backingPath("shared/mine")), "stat shared/mine in the backing")
                #expect(st.st_uid == 65534, "owner in the backing")
                #expect(st.st_gid == 65534, "group in the backing")
                #expect(permissions(st.st_mode) == 0o640 & ~currentUmask() || permissions(st.st_mode) == 0o640 & ~0o022)
                #expect(try must(FS.readText(fs.backingPath("shared/mine")), "read shared/mine") == "from nobody")
                let viaMount = try must(FS.stat(fs.path("shared/mine")), "stat shared/mine through the mount")
                #expect(viaMount.st_uid == 65534 && viaMount.st_gid == 65534)

                // The same for a directory, a symlink and a FIFO made by nobody.
                #expect(try Tool.errnoAsNobody("os.mkdir(p)", path: fs.path("shared/dir")) == nil)
                #expect(try Tool.errnoAsNobody("os.symlink('mine', p)", path: fs.path("shared/link")) == nil)
                #expect(try Tool.errnoAsNobody("os.mkfifo(p)", path: fs.path("shared/fifo")) == nil)
                for name in ["dir", "link", "fifo"] {
                    let made = try must(FS.lstat(fs.backingPath("shared/\(name)")), "lstat shared/\(name)")
                    #expect(made.st_uid == 65534 && made.st_gid == 65534, "owner of shared/\(name) in the backing")
                }
                // And nobody may not touch root's file in the shared dir.
                try must(FS.writeFile(fs.path("shared/roots"), "root's", mode: 0o644), "create shared/roots")
                try must(FS.chmod(fs.path("shared/roots"), 0o644), "chmod shared/roots")
                #expect(try Tool.errnoAsNobody("os.close(os.open(p, os.O_WRONLY))", path: fs.path("shared/roots")) == .permissionDenied)
                #expect(try Tool.errnoAsNobody("os.truncate(p, 0)", path: fs.path("shared/roots")) == .permissionDenied)
                #expect(try must(FS.readText(fs.backingPath("shared/roots")), "read shared/roots") == "root's")
            }
        }

        @Test("setgid directory: a file nobody creates inherits the directory's group")
        func setgidDirectory() throws {
            try withMount { fs in
                try must(FS.mkdir(fs.path("group"), 0o777), "mkdir group")
                try must(FS.chown(fs.path("group"), 0, 100), "chown group 0:100")
                try must(FS.chmod(fs.path("group"), 0o2777), "chmod group 2777")
                #expect(try Tool.errnoAsNobody("os.close(os.open(p, os.O_WRONLY | os.O_CREAT, 0o644))", path: fs.path("group/file")) == nil)
                let st = try must(FS.stat(fs.backingPath("group/file")), "stat group/file")
                #expect(st.st_uid == 65534)
                #expect(st.st_gid == 100, "inherited from the setgid directory")
                let nativeDir = try fs.scratchDirectory("native-group")
                try must(FS.chown(nativeDir, 0, 100), "chown native dir")
                try must(FS.chmod(nativeDir, 0o2777), "chmod native dir")
                #expect(try Tool.errnoAsNobody("os.close(os.open(p, os.O_WRONLY | os.O_CREAT, 0o644))", path: nativeDir + "/file") == nil)
                #expect(try must(FS.stat(nativeDir + "/file"), "stat native file").st_gid == st.st_gid)
            }
        }
    }
}
