#if canImport(Glibc)
import Glibc
#endif
import Determinism
import FaultFSTestSupport
import SystemPackage
import Testing

extension MountTests {
    /// Real tools with demanding file use, on the mount (issue 2, tests 5-7).
    @Suite("Real tools on the mount", .timeLimit(.minutes(5)))
    struct RealTools {
        @Test("git init, add, commit, log and fsck; the same history seen from the backing")
        func git() throws {
            try withMount { fs in
                let repo = fs.path("repo")
                try must(FS.mkdir(repo), "mkdir repo")
                let identity = ["-c", "user.name=Fault Bench", "-c", "user.email=faultbench@example.invalid",
                                "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"]
                let env: [String: String?] = ["GIT_CONFIG_NOSYSTEM": "1", "HOME": fs.scratch, "GIT_AUTHOR_DATE": "2026-01-02T03:04:05Z",
                                              "GIT_COMMITTER_DATE": "2026-01-02T03:04:05Z"]
                func git(_ arguments: [String], in directory: String = repo) throws -> ToolResult {
                    let result = try Tool.run("git", identity + arguments, cwd: directory, environment: env)
                    #expect(result.succeeded, "git \(arguments.joined(separator: " ")): \(result)")
                    return result
                }
                _ = try git(["init", "-q"])
                for commit in 1...5 {
                    try must(FS.mkdir(repo + "/dir\(commit)"), "mkdir dir\(commit)")
                    for file in 1...10 {
                        try must(FS.writeFile(repo + "/dir\(commit)/file\(file).txt",
                                              String(repeating: "commit \(commit) file \(file)\n", count: 50 * file)), "write a file")
                    }
                    try must(FS.writeFile(repo + "/README", "revision \(commit)\n"), "write README")
                    _ = try git(["add", "-A"])
                    _ = try git(["commit", "-q", "-m", "commit \(commit)"])
                }
                _ = try git(["mv", "README", "README.md"])
                _ = try git(["rm", "-q", "-r", "dir1"])
                _ = try git(["commit", "-q", "-m", "move and remove"])
                _ = try git(["gc", "-q"])  // packs objects: renames, fsyncs, lots of I/O

                let logOnMount = try git(["log", "--format=%H %s"]).stdout
                _ = try git(["fsck", "--full", "--strict"])  // its exit code is checked in git()
                let status = try git(["status", "--porcelain"]).stdout
                #expect(status.isEmpty, "a clean work tree on the mount, found: \(status)")

                let logInBacking = try git(["log", "--format=%H %s"], in: fs.backingPath("repo")).stdout
                #expect(logOnMount.split(separator: "\n").count == 6)
                #expect(logOnMount == logInBacking)
                #expect(logOnMount.split(separator: "\n").first?.hasSuffix(" move and remove") == true)
                #expect(try git(["show", "HEAD:README.md"]).stdout == "revision 5\n")
                let fsckInBacking = try git(["fsck", "--full", "--strict"], in: fs.backingPath("repo"))
                #expect(fsckInBacking.succeeded)
                let statusInBacking = try git(["status", "--porcelain"], in: fs.backingPath("repo")).stdout
                #expect(statusInBacking.isEmpty)
            }
        }

        @Test("tar round trip: nested dirs, symlinks, modes and mtimes survive create and extract on the mount")
        func tar() throws {
            try withMount { fs in
                let source = fs.path("src")
                var generator = SplitMix64(seed: 0x7a7)
                try must(FS.mkdir(source), "mkdir src")
                var directories = [source]
                for depth in 1...4 {
                    let dir = directories.last! + "/level\(depth)"
                    try must(FS.mkdir(dir), "mkdir \(dir)")
                    directories.append(dir)
                }
                for (index, dir) in directories.enumerated() {
                    for file in 0..<6 {
                        let path = dir + "/f\(file).bin"
                        try must(FS.writeFile(path, generator.bytes(generator.int(0...200_000))), "write \(path)")
                        try must(FS.chmod(path, [0o644, 0o600, 0o755, 0o444, 0o640, 0o700][file]), "chmod \(path)")
                    }
                    try must(FS.symlink("f0.bin", dir + "/rel-link"), "symlink rel-link")
                    try must(FS.symlink("/etc/hostname", dir + "/abs-link"), "symlink abs-link")
                    try must(FS.symlink("../dangling/\(index)", dir + "/dangling-link"), "symlink dangling")
                    try must(FS.link(dir + "/f1.bin", dir + "/hard-f1"), "link hard-f1")
                }
                // mtimes last, deepest first, so creating entries does not move them.
                for (index, dir) in directories.enumerated().reversed() {
                    for name in try must(FS.listDirectory(dir), "list \(dir)") {
                        let time = timespec(tv_sec: 1_600_000_000 + index * 1000 + name.count, tv_nsec: 0)
                        try must(FS.utimens(dir + "/" + name, access: time, modification: time, followSymlinks: false), "utimens \(name)")
                    }
                    try must(FS.chmod(dir, index % 2 == 0 ? 0o755 : 0o750), "chmod \(dir)")
                    let time = timespec(tv_sec: 1_500_000_000 + index, tv_nsec: 0)
                    try must(FS.utimens(dir, access: time, modification: time), "utimens \(dir)")
                }

                let create = try Tool.run("tar", ["-cf", fs.path("archive.tar"), "-C", fs.mountPoint, "src"])
                #expect(create.succeeded, "tar -cf: \(create)")
                try must(FS.mkdir(fs.path("dst")), "mkdir dst")
                let extract = try Tool.run("tar", ["-xpf", fs.path("archive.tar"), "-C", fs.path("dst")])
                #expect(extract.succeeded, "tar -xpf: \(extract)")

                let diff = try Tool.run("diff", ["-r", "--no-dereference", source, fs.path("dst/src")])
                #expect(diff.succeeded, "diff -r: \(diff)")
                let mismatches = try compareTrees(source, fs.path("dst/src"))
                #expect(mismatches == [], "modes, mtimes, link targets")
                // The archive as stored in the backing is what tar wrote.
                let listing = try Tool.run("tar", ["-tvf", fs.backingPath("archive.tar")])
                #expect(listing.succeeded)
                #expect(listing.stdout.split(separator: "\n").count == 5 + directories.count * 10)
                // And the extracted tree in the backing matches too.
                #expect(try compareTrees(fs.backingPath("src"), fs.backingPath("dst/src")) == [])
            }
        }

        @Test("sqlite3 with a rollback journal: transactions, rollback, integrity_check")
        func sqliteRollbackJournal() throws {
            try withMount { fs in
                try exerciseSQLite(database: fs.path("journal.db"), backingCopy: fs.backingPath("journal.db"), mode: "delete")
            }
        }

        @Test("sqlite3 in WAL mode (shared mmap of the -shm file): transactions, checkpoint, integrity_check")
        func sqliteWAL() throws {
            try withMount { fs in
                try exerciseSQLite(database: fs.path("wal.db"), backingCopy: fs.backingPath("wal.db"), mode: "wal")
            }
        }

        func exerciseSQLite(database: String, backingCopy: String, mode: String) throws {
            func sql(_ statements: String, on db: String = database) throws -> ToolResult {
                let result = try Tool.run("sqlite3", ["-batch", "-bail", db], input: statements, timeout: 120)
                #expect(result.succeeded, "sqlite3 failed: \(result)")
                return result
            }
            let journal = try sql("PRAGMA journal_mode=\(mode);").stdout.trimmingWhitespace()
            #expect(journal == mode, "PRAGMA journal_mode=\(mode) answered '\(journal)'")
            _ = try sql("""
                CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);
                CREATE INDEX t_payload ON t(payload);
                BEGIN;
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
                INSERT INTO t(payload) SELECT printf('row %06d %s', i, hex(randomblob(40))) FROM n;
                COMMIT;
                """)
            _ = try sql("""
                BEGIN;
                DELETE FROM t WHERE id % 2 = 0;
                INSERT INTO t(payload) VALUES ('rolled back');
                ROLLBACK;
                BEGIN;
                UPDATE t SET payload = 'updated ' || id WHERE id <= 100;
                DELETE FROM t WHERE id > 19000;
                COMMIT;
                """)
            // Several connections in turn, each appending its own batch.
            for batch in 1...5 {
                _ = try sql("BEGIN IMMEDIATE; INSERT INTO t(payload) VALUES ('batch \(batch) a'), ('batch \(batch) b'); COMMIT;")
            }
            let counts = try sql("""
                SELECT count(*) FROM t;
                SELECT count(*) FROM t WHERE payload LIKE 'updated %';
                SELECT count(*) FROM t WHERE payload = 'rolled back';
                PRAGMA integrity_check;
                """).stdout.split(separator: "\n").map(String.init)
            #expect(counts == ["19010", "100", "0", "ok"])
            if mode == "wal" {
                let checkpoint = try sql("PRAGMA wal_checkpoint(TRUNCATE);").stdout.trimmingWhitespace()
                #expect(checkpoint.hasPrefix("0|"), "wal_checkpoint: \(checkpoint)")
            }
            // Read from the backing once no connection is open.
            let fromBacking = try sql("SELECT count(*) FROM t; PRAGMA integrity_check; PRAGMA journal_mode;", on: backingCopy)
                .stdout.split(separator: "\n").map(String.init)
            #expect(fromBacking == ["19010", "ok", mode])
        }
    }
}

/// Differences in type, permissions, owner, mtime (seconds), size and link
/// target between two trees; empty when they match.
func compareTrees(_ a: String, _ b: String, relative: String = "") throws -> [String] {
    var differences: [String] = []
    let namesA = try must(FS.listDirectory(a + relative), "list \(a + relative)")
    let namesB = try must(FS.listDirectory(b + relative), "list \(b + relative)")
    if namesA != namesB { differences.append("\(relative)/: \(namesA) vs \(namesB)") }
    for name in namesA where namesB.contains(name) {
        let path = relative + "/" + name
        let sa = try must(FS.lstat(a + path), "lstat \(a + path)")
        let sb = try must(FS.lstat(b + path), "lstat \(b + path)")
        if sa.st_mode != sb.st_mode { differences.append("\(path): mode \(String(sa.st_mode, radix: 8)) vs \(String(sb.st_mode, radix: 8))") }
        if sa.st_uid != sb.st_uid || sa.st_gid != sb.st_gid { differences.append("\(path): owner differs") }
        if sa.st_mtim.tv_sec != sb.st_mtim.tv_sec { differences.append("\(path): mtime \(sa.st_mtim.tv_sec) vs \(sb.st_mtim.tv_sec)") }
        if fileType(sa.st_mode) != S_IFDIR && sa.st_size != sb.st_size { differences.append("\(path): size \(sa.st_size) vs \(sb.st_size)") }
        if fileType(sa.st_mode) == S_IFLNK {
            let ta = try must(FS.readlink(a + path), "readlink"), tb = try must(FS.readlink(b + path), "readlink")
            if ta != tb { differences.append("\(path): link \(ta) vs \(tb)") }
        }
        if fileType(sa.st_mode) == S_IFDIR { differences += try compareTrees(a, b, relative: path) }
    }
    return differences
}
