#if canImport(Glibc)
import Glibc
#endif
import FaultFSTestSupport
import Foundation
import SystemPackage
import Testing

extension MountTests {
    /// The control socket (issue 3 §6): arm answers only once the rule is in
    /// force, list/clear/counters/trace/exempt/power-loss behave, bad
    /// requests get `ok: false` with one line, and `faultbench ctl` speaks it.
    @Suite("FaultControl", .serialized, .timeLimit(.minutes(2)))
    struct FaultControl {
        typealias T = FaultTest

        @Test("arm answers only after the rule is in force: a name and pages cached just before are not used after")
        func armIsInForce() throws {
            let names = (0..<5).map { "c\($0)" }
            _ = try withFaultMount(setup: { b in for n in names + ["paged"] { try T.put(b, n, "data-\(n)") } }) { m in
                // Across processes: stat (the kernel caches name and
                // attributes for a second), arm from the test, stat again.
                for name in names.prefix(2) {
                    let before = try T.child("print(json.dumps({'r': call(lambda: os.stat(sys.argv[1]))}))", [m.path(name)])
                    #expect(before["r"] as? String == "ok")
                    try m.control.arm("rules:\n  - {fault: missing, path: \(name)}\n")
                    let after = try T.child("print(json.dumps({'r': call(lambda: os.stat(sys.argv[1]))}))", [m.path(name)])
                    #expect(after["r"] as? String == "ENOENT", "the next stat after arm of \(name)")
                }
                // Within one process, microseconds apart: the reply to arm
                // comes only after the kernel dropped what it cached; an fd
                // opened before the arm no longer reads cached pages.
                let got = try T.child("""
                    p, sock = sys.argv[1], sys.argv[2]
                    def arm(plan):
                        return "armed" if ctl(sock, {"op": "arm", "plan": plan})["ok"] else "refused"
                    out = {}
                    for n in sys.argv[3:]:
                        first = call(lambda: os.stat(p + "/" + n))
                        ok = arm("rules:\\n  - {fault: missing, path: %s}\\n" % n)
                        out[n] = [first, ok, call(lambda: os.stat(p + "/" + n))]
                    fd = os.open(p + "/paged", os.O_RDONLY)
                    out["paged"] = [call(lambda: os.pread(fd, 64, 0))]
                    out["paged"].append(arm("rules:\\n  - {fault: errno, errno: EIO, ops: [read], path: paged}\\n"))
                    out["paged"].append(call(lambda: os.pread(fd, 64, 0)))
                    out["listdir"] = sorted(os.listdir(p))
                    print(json.dumps(out))
                    """, [m.mountPoint, m.socketPath] + Array(names.dropFirst(2)))
                for name in names.dropFirst(2) {
                    #expect(try T.strings(got, name) == ["ok", "armed", "ENOENT"])
                }
                #expect(try T.strings(got, "paged") == [T.hex(Array("data-paged".utf8)), "armed", "EIO"])
                #expect(try T.strings(got, "listdir") == ["paged"], "every missing name is hidden from readdir")
            }
        }

        @Test("clear: bytes damaged while a rule was armed are not served from the kernel's cache once the rule is cleared")
        func clearLeavesNoDamage() throws {
            let data = T.pattern(16_384, salt: 4)
            _ = try withFaultMount(setup: { b in try T.put(b, "f", data) }) { m in
                // One process opens the file before the rule exists (a
                // cached, not direct-I/O, descriptor), reads under the rule,
                // then clears it.
                let got = try T.child("""
                    p, sock = sys.argv[1], sys.argv[2]
                    def request(r):
                        reply = ctl(sock, r)
                        return "ok" if reply["ok"] else reply["error"]
                    fd = os.open(p + "/f", os.O_RDONLY)
                    armed = request({"op": "arm", "plan": "rules:\\n  - {fault: corrupt-read, path: f, mode: zero}\\n"})
                    under = os.pread(fd, 100, 0)
                    cleared = request({"op": "clear"})
                    # Another process reads while this one still holds its descriptor.
                    import subprocess
                    other = subprocess.run([sys.executable, "-c", "import sys; print(open(sys.argv[1], 'rb').read().hex())", p + "/f"],
                                           capture_output=True, text=True, check=True).stdout.strip()
                    print(json.dumps({"armed": armed, "under": under.hex(), "cleared": cleared, "other": other}))
                    """, [m.mountPoint, m.socketPath])
                #expect(got["armed"] as? String == "ok" && got["cleared"] as? String == "ok")
                #expect(got["under"] as? String == T.hex([UInt8](repeating: 0, count: 100)), "the rule applies to a descriptor opened before it")
                #expect(try (m.control.must(.list).rules ?? []).isEmpty)
                // No rule armed: another process must read the backing's bytes.
                T.expectSame(T.bytes(hex: got["other"] as? String ?? ""), data, "read by another process after clear, with no rule armed")
                let after = try T.child("print(json.dumps({'r': open(sys.argv[1], 'rb').read().hex()}))", [m.path("f")])
                T.expectSame(T.bytes(hex: after["r"] as? String ?? ""), data, "read after clear once every descriptor is closed")
            }
        }

        @Test("the control socket is private (0600) and gone after unmount; a regular file at its path stops the mount")
        func socketFile() throws {
            var socketPath = ""
            let run = try withFaultMount { m in
                socketPath = m.socketPath
                let st = try must(FS.lstat(m.socketPath), "lstat the socket")
                #expect(fileType(st.st_mode) == S_IFSOCK)
                #expect(permissions(st.st_mode) == 0o600, "mode \(String(permissions(st.st_mode), radix: 8))")
            }
            #expect(!socketPath.isEmpty)
            #expect(run.leftovers.isEmpty, "the socket is removed at unmount: \(run.leftovers)")
            try withTemporaryDirectory("ctl") { dir in
                let backing = try dir.makeDirectory("backing"), mnt = try dir.makeDirectory("mnt")
                let occupied = dir.path("occupied")
                try must(FS.writeFile(occupied, "keep me"), "write a regular file")
                let result = try Tool.run(try FaultbenchBinary.path(), ["mount", backing, mnt, "--control", occupied], timeout: 20)
                #expect(result.exit == .exited(1), "\(result)")
                #expect(result.stderr == "faultbench: cannot create the control socket '\(occupied)': a file that is not a socket is there; name a new path in a writable directory.\n")
                #expect(MountTable.fuseMounts(under: dir.path).isEmpty, "nothing mounted")
                #expect(try must(FS.readText(occupied), "read the file back") == "keep me")
            }
        }

        @Test("--track-durability: files unlinked or replaced while mounted leave no stash beside the backing after unmount")
        func noStashLeft() throws {
            let run = try withFaultMount(arguments: ["--track-durability"], setup: { b in
                try T.put(b, "gone", "G")
                try T.put(b, "target", "old")
            }) { m in
                let got = try T.child("""
                    p = sys.argv[1]
                    os.unlink(p + "/gone")
                    with open(p + "/tmp", "w") as f:
                        f.write("new")
                    os.rename(p + "/tmp", p + "/target")
                    print(json.dumps({"r": sorted(os.listdir(p))}))
                    """, [m.mountPoint])
                #expect(try T.strings(got, "r") == ["target"])
            }
            #expect(run.backing["gone"] == nil)
            T.expectSame(run.backing["target"], Array("new".utf8))
            #expect(run.leftovers.isEmpty, "left beside the backing: \(run.leftovers)")
        }

        @Test("list, clear and counters: ids, names and per-rule counts; clear one or all; faults and calls counted; trace drains")
        func listClearCounters() throws {
            let plan = """
                rules:
                  - {name: a, fault: errno, errno: EIO, ops: [read], path: a}
                  - {name: b, fault: lost-write, path: b}
                """
            let run = try withFaultMount(plan: plan, setup: { b in
                try T.put(b, "a", "A")
                try T.put(b, "b", "B")
            }) { m in
                let listed = try (m.control.must(.list).rules ?? [])
                #expect(listed.map(\.id) == [1, 2])
                #expect(listed.map(\.name) == ["a", "b"])
                #expect(listed.map(\.fault) == ["errno", "lost-write"])
                #expect(listed.map(\.path) == ["a", "b"])
                #expect(listed.map(\.fired) == [0, 0])

                let reads = try T.child("fd = os.open(sys.argv[1], os.O_RDONLY)\nprint(json.dumps({'r': [call(lambda: os.pread(fd, 1, 0)) for _ in range(3)]}))", [m.path("a")])
                #expect(try T.strings(reads, "r") == ["EIO", "EIO", "EIO"])
                let after = try (m.control.must(.list).rules ?? [])
                #expect(after.map(\.matched) == [3, 0])
                #expect(after.map(\.fired) == [3, 0])

                let counters = try m.control.must(.counters)
                #expect(counters.faults == 3)
                #expect(counters.calls ?? 0 >= 3)
                #expect(counters.pendingTrace == 3)
                #expect(try m.control.trace().count == 3, "trace without drain keeps the lines")
                let drained = try m.control.trace(drain: true)
                #expect(drained.count == 3 && drained.allSatisfy { $0.contains("\"rule\":\"a\"") && $0.contains("\"result\":\"EIO\"") })
                #expect(try m.control.must(.counters).pendingTrace == 0)
                #expect(try m.control.trace() == [])

                #expect(try m.control.must(.clear(id: 1)).cleared == 1)
                #expect(try (m.control.must(.list).rules ?? []).map(\.name) == ["b"])
                let again = try T.child("print(json.dumps({'r': call(lambda: open(sys.argv[1]).read())}))", [m.path("a")])
                #expect(again["r"] as? String == "A", "a cleared rule no longer fires")
                let missing = try m.control.send(.clear(id: 99))
                #expect(!missing.ok && missing.error == "no armed rule has id 99; list shows the ids", "\(missing)")
                let written = try T.child("fd = os.open(sys.argv[1], os.O_WRONLY)\nprint(json.dumps({'r': os.write(fd, b'XYZ')}))", [m.path("b")])
                #expect(T.int(written["r"]) == 3)
                #expect(try m.control.must(.clear(id: nil)).cleared == 1)
                #expect(try (m.control.must(.list).rules ?? []).isEmpty)

                // The same through the command line.
                let binary = try FaultbenchBinary.path()
                let ping = try Tool.run(binary, ["ctl", m.socketPath, "ping"], timeout: 20)
                #expect(ping.succeeded && ping.stdout == "{\"ok\":true}\n", "\(ping)")
                let counted = try Tool.run(binary, ["ctl", m.socketPath, "counters"], timeout: 20)
                #expect(counted.succeeded && counted.stdout.contains("\"faults\":4"), "\(counted)")
                let planFile = m.directory.path("cli.yaml")
                try must(FS.writeFile(planFile, "rules:\n  - {name: cli, fault: lost-write, path: nowhere}\n"), "write cli.yaml")
                let armed = try Tool.run(binary, ["ctl", m.socketPath, "arm", planFile], timeout: 20)
                #expect(armed.succeeded && armed.stdout.hasPrefix("{\"cached_open\":0,\"ids\":["), "\(armed)")
                let list = try Tool.run(binary, ["ctl", m.socketPath, "list"], timeout: 20)
                #expect(list.succeeded && list.stdout.contains("\"name\":\"cli\""), "\(list)")
                let cleared = try Tool.run(binary, ["ctl", m.socketPath, "clear"], timeout: 20)
                #expect(cleared.succeeded && cleared.stdout == "{\"cleared\":1,\"ok\":true}\n", "\(cleared)")
                let bad = try Tool.run(binary, ["ctl", m.socketPath, "clear", "99"], timeout: 20)
                #expect(bad.exit == .exited(1))
                #expect(bad.stderr == "faultbench: no armed rule has id 99; list shows the ids\n", "\(bad)")
            }
            T.expectSame(run.backing["b"], Array("B".utf8), "the lost write stored nothing")
            #expect(FaultTest.lines(run.traceFile).count == 1, "the trace file holds what was not drained: \(run.traceFile ?? "nil")")
            #expect(run.traceFile?.contains("\"result\":\"lost 3\"") == true)
        }

        @Test("a bad plan or request over the socket: ok false with one line naming line and field; nothing armed")
        func badRequests() throws {
            _ = try withFaultMount { m in
                let cases: [(String, String)] = [
                    ("rules:\n  - fault: errno\n    errno: EIO\n    probability: 1.5\n",
                     "control request:4: rules[0].probability: 1.5 is outside 0...1; use a number from 0 to 1."),
                    ("rules:\n  - fault: explode\n",
                     "control request:2: rules[0].fault: explode is not a fault; use one of missing, errno, transient, short-write, short-read, torn-write, lost-write, delay, corrupt-read, kill-caller, power-loss, fsync-fail, disk-full."),
                    ("rules:\n  - fault: errno\n    errno: EBOGUS\n",
                     "control request:3: rules[0].errno: EBOGUS is not a Linux errno name; use one like EIO, ENOSPC, EACCES or EAGAIN."),
                ]
                for (yaml, message) in cases {
                    let answer = try m.control.send(.arm(plan: yaml))
                    #expect(!answer.ok)
                    #expect(answer.error == message)
                    #expect(!(answer.error ?? "").contains("\n"))
                }
                let notJSON = try m.control.reply(m.control.exchange("{not json"))
                #expect(!notJSON.ok && notJSON.error?.isEmpty == false, "\(notJSON)")
                let unknown = try m.control.reply(m.control.exchange(#"{"op":"explode"}"#))
                #expect(unknown.error == "unknown op 'explode'; use arm, list, clear, power-loss, counters, trace, exempt or ping")
                let noPlan = try m.control.reply(m.control.exchange(#"{"op":"arm"}"#))
                #expect(!noPlan.ok && noPlan.error?.contains("plan") == true)
                #expect(try (m.control.must(.list).rules ?? []).isEmpty, "no bad request armed anything")

                // `faultbench ctl SOCKET arm FILE`: exit 1, one line on stderr.
                let file = m.directory.path("bad.yaml")
                try must(FS.writeFile(file, cases[0].0), "write bad.yaml")
                let cli = try Tool.run(try FaultbenchBinary.path(), ["ctl", m.socketPath, "arm", file], timeout: 20)
                #expect(cli.exit == .exited(1))
                // The CLI sends the file's name along, so the error names it.
                let named = cases[0].1.replacingOccurrences(of: "control request:", with: "\(file):")
                #expect(cli.stderr == "faultbench: \(named)\n", "\(cli)")
            }
        }

        @Test("arm takes a plan as a JSON object too")
        func armJSONPlan() throws {
            _ = try withFaultMount(setup: { b in try T.put(b, "j", "data") }) { m in
                // Raw lines: the typed request carries the plan as text, and
                // this is what a client that builds JSON objects sends.
                let plan = #"{"seed":9,"rules":[{"name":"json","fault":"errno","errno":{"EIO":1,"EAGAIN":1},"path":"j","ops":["read"],"probability":1,"max":2}]}"#
                let answer = try m.control.reply(m.control.exchange(#"{"op":"arm","plan":"# + plan + "}"))
                #expect(answer.ok && answer.ids == [1], "\(answer)")
                let got = try T.child("fd = os.open(sys.argv[1], os.O_RDONLY)\nprint(json.dumps({'r': [call(lambda: os.pread(fd, 4, 0)) for _ in range(3)]}))", [m.path("j")])
                let reads = try T.strings(got, "r")
                #expect(reads.count == 3 && Set(reads.prefix(2)).isSubset(of: ["EIO", "EAGAIN"]) && reads[2] == T.hex(Array("data".utf8)), "\(reads)")
                let bad = try m.control.reply(m.control.exchange(#"{"op":"arm","plan":{"rules":[{"fault":"errno"}]}}"#))
                #expect(!bad.ok && bad.error?.contains("rules[0].errno") == true, "\(bad)")
            }
        }

        @Test("an arm that fails on its second rule leaves nothing of it armed")
        func failedArmIsAtomic() throws {
            _ = try withFaultMount(setup: { b in try T.put(b, "y", "Y") }) { m in
                try m.control.arm("rules:\n  - {name: x, fault: lost-write, path: x}\n")
                let answer = try m.control.send(.arm(plan: "rules:\n  - {name: y, fault: errno, errno: EIO, path: y}\n  - {name: x, fault: lost-write, path: z}\n"))
                #expect(!answer.ok)
                #expect(answer.error?.contains("\"x\" is already armed") == true, "\(answer)")
                let names = try (m.control.must(.list).rules ?? []).map(\.name)
                #expect(names == ["x"], "only the earlier arm's rule; the failed request's first rule is not in force: \(names)")
                let read = try T.child("print(json.dumps({'r': call(lambda: open(sys.argv[1]).read())}))", [m.path("y")])
                #expect(read["r"] as? String == "Y", "y is not faulted")
            }
        }

        @Test("exempt: a process given by pid is never faulted while others are")
        func exempt() throws {
            _ = try withFaultMount(setup: { b in try T.put(b, "f", "data") }) { m in
                let go = m.directory.path("go")
                let output = m.directory.path("exempt.out")
                let child = try ChildProcess.spawn(Tool.python3, ["-c", FaultPython.prelude + """
                    while not os.path.exists(sys.argv[2]):
                        time.sleep(0.005)
                    print(json.dumps({"r": call(lambda: open(sys.argv[1]).read())}), flush=True)
                    """, m.path("f"), go], stdout: output, stderr: m.directory.path("exempt.err"))
                try m.control.must(.exempt(pids: [child.pid]))
                try m.control.arm("rules:\n  - {fault: errno, errno: EIO, path: f}\n")
                try must(FS.writeFile(go, "go"), "create the go file")
                #expect(child.wait(timeout: 20) == .exited(0))
                #expect(try must(FS.readText(output), "read the exempt child's output") == "{\"r\": \"data\"}\n")
                let other = try T.child("print(json.dumps({'r': call(lambda: open(sys.argv[1]).read())}))", [m.path("f")])
                #expect(other["r"] as? String == "EIO", "a process not exempted is faulted")
            }
        }

        @Test("power-loss on demand (ctl power-loss --kill PID): unsynced writes undone, synced ones kept, the named process killed")
        func powerLossOnDemand() throws {
            let old = [UInt8](repeating: UInt8(ascii: "O"), count: 4096)
            let run = try withFaultMount(arguments: ["--track-durability"], setup: { b in try T.put(b, "f", old) }) { m in
                let wrote = try T.child("""
                    p = sys.argv[1]
                    fd = os.open(p + "/f", os.O_RDWR)
                    os.pwrite(fd, b"N" * 100, 0)
                    os.pwrite(fd, b"E" * 100, 4096)
                    g = os.open(p + "/g", os.O_WRONLY | os.O_CREAT, 0o644)
                    os.write(g, b"S" * 10)
                    os.fsync(g)
                    os.write(g, b"U" * 10)
                    print(json.dumps({"r": "ok"}))
                    """, [m.mountPoint])
                #expect(wrote["r"] as? String == "ok")
                let sleeper = try ChildProcess.spawn(Tool.python3, ["-c", "import time; time.sleep(60)"],
                                                     stdout: "/dev/null", stderr: "/dev/null")
                // 4194304 (PID_MAX_LIMIT) is a valid pid that no process can have.
                let cli = try Tool.run(try FaultbenchBinary.path(), ["ctl", m.socketPath, "power-loss", "--kill", String(sleeper.pid), "4194304"], timeout: 20)
                #expect(cli.succeeded && cli.stdout == "{\"killed\":[\(sleeper.pid)],\"missing\":[4194304],\"ok\":true}\n", "\(cli)")
                #expect(sleeper.wait(timeout: 10) == .signaled(SIGKILL))
                let trace = try m.control.trace()
                #expect(trace.count == 1 && trace[0].contains("\"rule\":\"on-demand\""), "\(trace)")
            }
            T.expectSame(run.backing["f"], old, "the unsynced overwrite and extension are undone")
            T.expectSame(run.backing["g"], [UInt8](repeating: UInt8(ascii: "S"), count: 10), "synced bytes stay, later ones are undone")
        }
    }
}
