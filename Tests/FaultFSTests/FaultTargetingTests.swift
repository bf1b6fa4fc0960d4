#if canImport(Glibc)
import Glibc
#endif
import FaultFSTestSupport
import Foundation
import SystemPackage
import Testing

extension MountTests {
    /// Which calls a rule hits (issue 3 §6): nth, every, max, probability
    /// with a seed, the time window, the offset range, the caller filter,
    /// the path glob and the operation set, each seen from child processes.
    @Suite("FaultTargeting", .serialized, .timeLimit(.minutes(2)))
    struct FaultTargeting {
        typealias T = FaultTest

        /// Reads `count` times at offset 0 from each file and returns, per
        /// file, "ok" or the errno name of each call.
        static let readEach = """
            p, count, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
            out = {}
            for n in names:
                fd = os.open(p + "/" + n, os.O_RDONLY)
                out[n] = ["ok" if isinstance(r, str) and not r.startswith("E") else r
                          for r in [call(lambda: os.pread(fd, 4, 0)) for _ in range(count)]]
            print(json.dumps(out))
            """

        @Test("a directory no rule reaches is skipped, and a rule armed later for a name in it still fires")
        func directoryVerdictFollowsArming() throws {
            _ = try withFaultMount(plan: "rules:\n  - {fault: errno, errno: EIO, ops: [read], path: 'keep/**'}\n",
                                   setup: { b in
                                       try must(FS.mkdir(b + "/keep"), "mkdir keep")
                                       try must(FS.mkdir(b + "/other"), "mkdir other")
                                       try must(FS.mkdir(b + "/other/sub"), "mkdir other/sub")
                                       try T.put(b, "keep/k", "K")
                                   }) { m in
                // Names in other/ are created, looked up and removed while no
                // rule can reach other/ (its verdict and its children's are
                // cached); then rules for names in it are armed.
                let got = try T.child("""
                    p, sock = sys.argv[1], sys.argv[2]
                    def arm(plan):
                        return ctl(sock, {"op": "arm", "plan": plan})["ok"]
                    out = {"keep": call(lambda: open(p + "/keep/k", "rb").read())}
                    for n in ("other/a", "other/b", "other/sub/c"):
                        with open(p + "/" + n, "w") as f: f.write("data")
                        os.stat(p + "/" + n)
                    os.unlink(p + "/other/b")
                    out["armed"] = arm("rules:\\n  - {fault: errno, errno: EACCES, ops: [open], path: other/a}\\n"
                                       "  - {fault: errno, errno: EROFS, ops: [create, unlink], path: 'other/sub/*'}\\n")
                    out["a"] = call(lambda: os.open(p + "/other/a", os.O_RDONLY))
                    out["new"] = call(lambda: os.open(p + "/other/sub/new", os.O_WRONLY | os.O_CREAT, 0o644))
                    out["unlink"] = call(lambda: os.unlink(p + "/other/sub/c"))
                    out["free"] = call(lambda: open(p + "/other/free", "w").write("x"))
                    print(json.dumps(out))
                    """, [m.mountPoint, m.socketPath])
                #expect(got["keep"] as? String == "EIO")
                #expect(got["armed"] as? Bool == true)
                #expect(got["a"] as? String == "EACCES", "\(got)")
                #expect(got["new"] as? String == "EROFS", "\(got)")
                #expect(got["unlink"] as? String == "EROFS", "\(got)")
                #expect(T.int(got["free"]) == 1, "\(got)")
            }
        }

        @Test("nth fires on the nth matching call only, every on each kth, max stops after N firings")
        func counting() throws {
            let plan = """
                rules:
                  - {fault: errno, errno: EIO, ops: [read], path: nth, nth: 3}
                  - {fault: errno, errno: EIO, ops: [read], path: every, every: 2}
                  - {fault: errno, errno: EIO, ops: [read], path: max, max: 2}
                  - {fault: errno, errno: EIO, ops: [read], path: both, every: 2, max: 2}
                """
            let names = ["nth", "every", "max", "both"]
            _ = try withFaultMount(plan: plan, setup: { b in for n in names { try T.put(b, n, "data") } }) { m in
                let got = try T.child(Self.readEach, [m.mountPoint, "7"] + names)
                #expect(try T.strings(got, "nth") == ["ok", "ok", "EIO", "ok", "ok", "ok", "ok"])
                #expect(try T.strings(got, "every") == ["ok", "EIO", "ok", "EIO", "ok", "EIO", "ok"])
                #expect(try T.strings(got, "max") == ["EIO", "EIO", "ok", "ok", "ok", "ok", "ok"])
                #expect(try T.strings(got, "both") == ["ok", "EIO", "ok", "EIO", "ok", "ok", "ok"])
                let listed = try (m.control.must(.list).rules ?? [])
                #expect(listed.map(\.fired) == [1, 3, 2, 2])
                #expect(listed.map(\.matched) == [7, 7, 7, 7])
            }
        }

        /// The pass/fail pattern of 64 reads under a probability-0.5 rule.
        static func coinPattern(planSeed: Int?, arguments: [String]) throws -> [String] {
            let plan = (planSeed.map { "seed: \($0)\n" } ?? "") + """
                rules:
                  - {name: coin, fault: errno, errno: EIO, ops: [read], path: f, probability: 0.5}
                """
            return try withFaultMount(plan: plan, arguments: arguments, setup: { b in try T.put(b, "f", "data") }) { m in
                try T.strings(try T.child(Self.readEach, [m.mountPoint, "64", "f"]), "f")
            }.value
        }

        @Test("probability with a seed: the same calls fail on two fresh mounts; another seed changes them; a plan's seed wins over --seed")
        func probability() throws {
            let first = try Self.coinPattern(planSeed: nil, arguments: ["--seed", "7"])
            let second = try Self.coinPattern(planSeed: nil, arguments: ["--seed", "7"])
            let other = try Self.coinPattern(planSeed: nil, arguments: ["--seed", "8"])
            let planSeeded = try Self.coinPattern(planSeed: 7, arguments: ["--seed", "99"])
            let failures = first.filter { $0 == "EIO" }.count
            #expect(Set(first).isSubset(of: ["ok", "EIO"]))
            #expect((16...48).contains(failures), "about half of 64 calls fail at p = 0.5, got \(failures)")
            #expect(first == second, "seed 7 twice: \(first) vs \(second)")
            #expect(first != other, "seed 8 gives other calls")
            #expect(planSeeded == first, "the plan's seed: 7 overrides --seed 99")
        }

        @Test("a plan's seed counts the same whether the plan is given with --plan or armed over the socket")
        func seedOverSocket() throws {
            let plan = "seed: 7\nrules:\n  - {name: coin, fault: errno, errno: EIO, ops: [read], path: f, probability: 0.5}\n"
            let atMount = try Self.coinPattern(planSeed: 7, arguments: [])
            let overSocket = try withFaultMount(setup: { b in try T.put(b, "f", "data") }) { m in
                try m.control.arm(plan)
                return try T.strings(try T.child(Self.readEach, [m.mountPoint, "64", "f"]), "f")
            }.value
            #expect(overSocket == atMount, "seed: 7 armed over the socket draws like seed: 7 at mount")
        }

        @Test("time window: after/for bound when a rule fires (armed over the socket); a transient for a window fails, then recovers")
        func window() throws {
            let plan = """
                rules:
                  - {name: window, fault: errno, errno: EIO, ops: [read], path: w, after: 600ms, for: 600ms}
                  - {name: outage, fault: transient, ops: [read], path: tw, for: 500ms}
                """
            _ = try withFaultMount(setup: { b in
                try T.put(b, "w", "data")
                try T.put(b, "tw", "data")
            }) { m in
                // The child is started and waiting before the rules are
                // armed, so its first calls fall early in the window even on
                // a loaded machine. Each call opens the file anew, so it is
                // opened while the rule targets it (direct I/O: every read
                // reaches the engine). CLOCK_MONOTONIC in both processes.
                let go = m.directory.path("go"), output = m.directory.path("window.out")
                let child = try ChildProcess.spawn(Tool.python3, ["-c", FaultPython.prelude + """
                    p, go = sys.argv[1], sys.argv[2]
                    while not os.path.exists(go):
                        time.sleep(0.001)
                    out = {"w": [], "tw": []}
                    begin = time.monotonic()
                    while time.monotonic() - begin < 1.8:
                        for n in out:
                            fd = os.open(p + "/" + n, os.O_RDONLY)
                            a = time.monotonic()
                            r = call(lambda: os.pread(fd, 4, 0))
                            out[n].append([a, time.monotonic(), "ok" if r == b"data".hex() else r])
                            os.close(fd)
                        time.sleep(0.01)
                    print(json.dumps(out))
                    """, m.mountPoint, go], stdout: output, stderr: m.directory.path("window.err"))
                let t0 = Clock.now
                try m.control.arm(plan)
                let t1 = Clock.now
                try must(FS.writeFile(go, "go"), "create the go file")
                #expect(child.wait(timeout: 30) == .exited(0))
                let text = try must(FS.readText(output), "read the child's output")
                let got = try T.object(try JSONSerialization.jsonObject(with: Data(text.utf8)))
                let margin = 0.03
                func calls(_ name: String) throws -> [(start: Double, end: Double, result: String)] {
                    guard let list = got[name] as? [[Any]] else { throw SupportError("no calls for \(name): \(got)") }
                    return list.map { item in
                        let times = T.doubles(Array(item.prefix(2))) ?? [0, 0]
                        return (times[0], times[1], "\(item[2])")
                    }
                }
                let w = try calls("w")
                let beforeWindow = w.filter { $0.end < t0 + 0.6 - margin }
                let inWindow = w.filter { $0.start > t1 + 0.6 + margin && $0.end < t0 + 1.2 - margin }
                let afterWindow = w.filter { $0.start > t1 + 1.2 + margin }
                #expect(beforeWindow.count >= 3 && inWindow.count >= 3 && afterWindow.count >= 3,
                        "calls in each phase: \(beforeWindow.count), \(inWindow.count), \(afterWindow.count)")
                #expect(beforeWindow.allSatisfy { $0.result == "ok" }, "before after: 600ms: \(beforeWindow)")
                #expect(inWindow.allSatisfy { $0.result == "EIO" }, "inside the window: \(inWindow)")
                #expect(afterWindow.allSatisfy { $0.result == "ok" }, "after for: 600ms: \(afterWindow)")
                let tw = try calls("tw")
                let outage = tw.filter { $0.end < t0 + 0.5 - margin }, recovered = tw.filter { $0.start > t1 + 0.5 + margin }
                #expect(outage.count >= 3 && outage.allSatisfy { $0.result == "EIO" }, "during the 500 ms outage: \(outage)")
                #expect(recovered.count >= 3 && recovered.allSatisfy { $0.result == "ok" }, "after it: \(recovered)")
            }
        }

        @Test("offset range: only I/O touching [from, to) is faulted")
        func offsets() throws {
            let plan = """
                rules:
                  - {fault: errno, errno: EIO, ops: [read, write], path: f, offset: {from: 4096, to: 8192}}
                """
            let run = try withFaultMount(plan: plan, setup: { b in try T.put(b, "f", T.pattern(12_288)) }) { m in
                let got = try T.child("""
                    p = sys.argv[1]
                    fd = os.open(p + "/f", os.O_RDWR)
                    def r(size, offset):
                        x = call(lambda: os.pread(fd, size, offset))
                        return x if x.startswith("E") else "ok"
                    print(json.dumps({
                        "reads": [r(100, 0), r(100, 4000), r(100, 4096), r(10, 4086), r(100, 8100), r(100, 8192), r(5000, 3000)],
                        "writes": [call(lambda: os.pwrite(fd, b"w" * 10, 100)), call(lambda: os.pwrite(fd, b"w" * 10, 5000))],
                    }))
                    """, [m.mountPoint])
                #expect(try T.strings(got, "reads") == ["ok", "EIO", "EIO", "ok", "EIO", "ok", "EIO"],
                        "[0,100) no, [4000,4100) yes, [4096,4196) yes, [4086,4096) no, [8100,8200) yes, [8192,8292) no, [3000,8000) yes")
                #expect(try T.strings(got, "writes") == ["10", "EIO"])
            }
            var expected = T.pattern(12_288)
            expected.replaceSubrange(100..<110, with: [UInt8](repeating: UInt8(ascii: "w"), count: 10))
            T.expectSame(run.backing["f"], expected, "only the write outside the range landed")
        }

        @Test("callers: exclude or include by process name or executable, so cat is faulted and python is not")
        func callersByName() throws {
            let cat = canonicalPath("/usr/bin/cat")
            let filters = [
                "{exclude: {name: [python3]}}",
                "{include: {name: [cat]}}",
                "{include: {exe: [\(cat)]}}",
            ]
            _ = try withFaultMount(setup: { b in try T.put(b, "f", "data") }) { m in
                for filter in filters {
                    try m.control.must(.clear(id: nil))
                    try m.control.arm("rules:\n  - {fault: errno, errno: EIO, ops: [open, read], path: f, callers: \(filter)}\n")
                    let catRun = try Tool.run("cat", [m.path("f")], timeout: 20)
                    #expect(catRun.exit == .exited(1) && catRun.stderr.contains("Input/output error"), "\(filter): \(catRun)")
                    let python = try T.child("print(json.dumps({'r': call(lambda: open(sys.argv[1]).read())}))", [m.path("f")])
                    #expect(python["r"] as? String == "data", "\(filter): python reads the file")
                }
            }
        }

        @Test("callers: excluding the test process's pid spares its own calls, a child's calls are faulted")
        func callersByPid() throws {
            _ = try withFaultMount(setup: { b in try T.put(b, "f", "data") }) { m in
                try m.control.arm("rules:\n  - {fault: errno, errno: EIO, ops: [open, read], path: f, callers: {exclude: {pid: [\(getpid())]}}}\n")
                let python = try T.child("print(json.dumps({'r': call(lambda: open(sys.argv[1]).read())}))", [m.path("f")])
                #expect(python["r"] as? String == "EIO", "a child process is faulted")
                // The test runs on a worker thread of this process; FUSE
                // reports the calling thread's id, which must still count as
                // this process.
                let own = FS.readText(m.path("f"))
                #expect((try? own.get()) == "data", "the test process (pid \(getpid()), thread \(canonicalPath("/proc/thread-self"))) is excluded: \(own)")
            }
        }

        /// (operation, the path its rule targets, a Python expression over
        /// `p` = the file t, `d` = the directory td, and `m` = the mount).
        static let operationCases: [(op: String, path: String, call: String)] = [
            ("lookup", "t", "os.stat(p)"),
            ("getattr", "t", "os.fstat(os.open(p, os.O_RDONLY))"),
            ("open", "t", "os.open(p, os.O_RDONLY)"),
            ("create", "td/new", "os.open(d + '/new', os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)"),
            ("read", "t", "os.read(os.open(p, os.O_RDONLY), 10)"),
            ("write", "t", "os.write(os.open(p, os.O_WRONLY), b'x')"),
            ("fsync", "t", "os.fsync(os.open(p, os.O_RDONLY))"),
            ("flush", "t", "os.close(os.open(p, os.O_RDONLY))"),
            ("fallocate", "t", "os.posix_fallocate(os.open(p, os.O_RDWR), 0, 8192)"),
            ("setattr", "t", "os.chmod(p, 0o600)"),
            ("chmod", "t", "os.chmod(p, 0o600)"),
            ("chown", "t", "os.chown(p, 0, 0)"),
            ("truncate", "t", "os.truncate(p, 1)"),
            ("utimens", "t", "os.utime(p, (1, 1))"),
            ("rename", "t", "os.rename(p, m + '/renamed')"),
            ("unlink", "t", "os.unlink(p)"),
            ("link", "td/hard", "os.link(p, d + '/hard')"),
            ("symlink", "td/soft", "os.symlink('t', d + '/soft')"),
            ("readlink", "td/ln", "os.readlink(d + '/ln')"),
            ("mkdir", "td/newdir", "os.mkdir(d + '/newdir')"),
            ("rmdir", "td/sub", "os.rmdir(d + '/sub')"),
            ("mknod", "td/fifo", "os.mkfifo(d + '/fifo')"),
            ("opendir", "td", "os.listdir(d)"),
            ("readdir", "td", "os.listdir(d)"),
            ("setxattr", "t", "os.setxattr(p, 'user.k', b'v')"),
            ("getxattr", "t", "os.getxattr(p, 'user.k')"),
            ("listxattr", "t", "os.listxattr(p)"),
        ]

        @Test("ops: each operation alone can be failed with an errno, and nothing in the backing changes")
        func everyOperation() throws {
            var before: [String: [UInt8]] = [:]
            let run = try withFaultMount(setup: { b in
                try T.put(b, "t", "data")
                try must(FS.mkdir(b + "/td"), "mkdir td")
                try must(FS.mkdir(b + "/td/sub"), "mkdir td/sub")
                try must(FS.symlink("../t", b + "/td/ln"), "symlink td/ln")
                before = try snapshotFiles(b)
            }) { m in
                for (op, path, call) in Self.operationCases {
                    try m.control.must(.clear(id: nil))
                    try m.control.arm("rules:\n  - {fault: errno, errno: EROFS, ops: [\(op)], path: \"\(path)\"}\n")
                    let got = try T.child("m = sys.argv[1]\np, d = m + '/t', m + '/td'\nprint(json.dumps({'r': call(lambda: \(call))}))",
                                          [m.mountPoint])
                    #expect(got["r"] as? String == "EROFS", "\(op) on \(path): \(call) gave \(got["r"] ?? "nil")")
                    let fired = try (m.control.must(.list).rules ?? []).first?.fired
                    #expect((fired ?? 0) >= 1, "\(op): the rule fired")
                }
            }
            #expect(!before.isEmpty)
            T.expectSame(files: run.backing, before, "every call failed, so the backing is as it was")
        }

        @Test("glob forms: a leading slash, a set first, an escaped star, a leading **/ and ? all match as documented")
        func globForms() throws {
            let plan = #"""
                rules:
                  - {fault: errno, errno: EIO, ops: [open], path: "/lead/slash.txt"}
                  - {fault: errno, errno: EIO, ops: [open], path: "[ab]x.txt"}
                  - {fault: errno, errno: EIO, ops: [open], path: '\*star'}
                  - {fault: errno, errno: EIO, ops: [open], path: "**/deep.txt"}
                  - {fault: errno, errno: EIO, ops: [open], path: "q?.log"}
                """#
            let faulted = ["lead/slash.txt", "ax.txt", "bx.txt", "*star", "deep.txt", "x/y/deep.txt", "q1.log"]
            let spared = ["lead/other.txt", "cx.txt", "xstar", "deep.txt.bak", "x/y/deep.txt2", "q12.log", "q/.log"]
            _ = try withFaultMount(plan: plan, setup: { b in
                for dir in ["lead", "x", "x/y", "q"] { try must(FS.mkdir(b + "/" + dir), "mkdir \(dir)") }
                for file in faulted + spared { try T.put(b, file, "f") }
            }) { m in
                let got = try T.child("""
                    p = sys.argv[1]
                    print(json.dumps({f: call(lambda: os.close(os.open(p + "/" + f, os.O_RDONLY))) for f in sys.argv[2:]}))
                    """, [m.mountPoint] + faulted + spared)
                for file in faulted { #expect(got[file] as? String == "EIO", "\(file) is targeted: \(got[file] ?? "nil")") }
                for file in spared { #expect(got[file] as? String == "ok", "\(file) is not targeted: \(got[file] ?? "nil")") }
            }
        }

        @Test("path glob and operation set: only matching paths and operations are faulted")
        func globAndOps() throws {
            let plan = """
                rules:
                  - {fault: errno, errno: EACCES, ops: [open], path: "data/**/*.json"}
                  - {fault: errno, errno: EROFS, ops: [write], path: "logs/*.log"}
                """
            _ = try withFaultMount(plan: plan, setup: { b in
                for dir in ["data", "data/a", "data/a/b", "logs", "other"] { try must(FS.mkdir(b + "/" + dir), "mkdir \(dir)") }
                for file in ["data/x.json", "data/a/b.json", "data/a/b/c.json", "data/a/b.txt", "other/a.json", "logs/app.log"] {
                    try T.put(b, file, "{}")
                }
            }) { m in
                let got = try T.child("""
                    p = sys.argv[1]
                    files = ["data/x.json", "data/a/b.json", "data/a/b/c.json", "data/a/b.txt", "other/a.json"]
                    out = {f: call(lambda: os.close(os.open(p + "/" + f, os.O_RDONLY))) for f in files}
                    out["stat"] = call(lambda: os.stat(p + "/data/a/b.json"))
                    fd = os.open(p + "/logs/app.log", os.O_RDWR)
                    out["log-read"] = call(lambda: os.pread(fd, 2, 0))
                    out["log-write"] = call(lambda: os.pwrite(fd, b"x", 0))
                    print(json.dumps(out))
                    """, [m.mountPoint])
                #expect(got["data/x.json"] as? String == "EACCES", "`**/` matches zero directories")
                #expect(got["data/a/b.json"] as? String == "EACCES")
                #expect(got["data/a/b/c.json"] as? String == "EACCES")
                #expect(got["data/a/b.txt"] as? String == "ok")
                #expect(got["other/a.json"] as? String == "ok")
                #expect(got["stat"] as? String == "ok", "stat is not in ops")
                #expect(got["log-read"] as? String == T.hex(Array("{}".utf8)), "read is not in ops")
                #expect(got["log-write"] as? String == "EROFS")
            }
        }
    }
}
