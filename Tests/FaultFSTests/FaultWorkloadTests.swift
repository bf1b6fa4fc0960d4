#if canImport(Glibc)
import Glibc
#endif
import FaultFSTestSupport
import Foundation
import SystemPackage
import Testing

extension MountTests {
    /// Whole workloads under a plan (issue 3 §6): armed rules that match
    /// nothing change nothing; the same seed and workload give the same
    /// trace on two mounts; a recorded trace replays the same faults.
    @Suite("FaultWorkload", .serialized, .timeLimit(.minutes(3)))
    struct FaultWorkload {
        typealias T = FaultTest

        /// 100 rules of every kind, none of whose paths exists.
        static var hundredNonMatchingRules: String {
            let kinds = [
                "fault: missing", "fault: errno, errno: EIO", "fault: transient", "fault: short-write, bytes: 1",
                "fault: short-read, bytes: 1", "fault: torn-write", "fault: lost-write", "fault: delay, ms: 50",
                "fault: corrupt-read", "fault: kill-caller, bytes: 0", "fault: power-loss", "fault: fsync-fail",
                "fault: disk-full, bytes: 0",
            ]
            return "rules:\n" + (0..<100).map { "  - {\(kinds[$0 % kinds.count]), path: \"nomatch/\($0)/**\"}\n" }.joined()
        }

        @Test("100 armed rules that match nothing change nothing: 1500 random operations match the model")
        func disarmedChangesNothing() throws {
            let seed: UInt64 = 20_261_126
            let run = try withFaultMount(plan: Self.hundredNonMatchingRules) { m in
                #expect(try (m.control.must(.list).rules ?? []).count == 100)
                var random = RandomRun(fs: m.fs, seed: seed)
                defer { random.closeAll() }
                for step in 0..<1500 { try random.step(step) }
                random.closeAll()
                try random.compareBacking()
                #expect(random.counts.count >= 9, "every kind of operation ran: \(random.counts)")
                let counters = try m.control.must(.counters)
                #expect(counters.faults == 0)
                // Name operations in the root (lookup, create, unlink, rename)
                // are put to the engine, since a rule may match below it;
                // reads, writes and the like on a file no rule can match skip
                // it (its verdict in TargetVerdicts), which is what keeps idle
                // rules cheap. Both halves must hold.
                let calls = try #require(counters.calls)
                #expect(calls >= 100, "name operations reached the engine: \(calls)")
                #expect(calls < 1500, "data operations on unmatchable files skipped the engine: \(calls)")
                let mounted = try must(FS.statvfs(m.mountPoint), "statvfs of the mount")
                let backing = try must(FS.statvfs(m.fs.backing), "statvfs of the backing")
                #expect(mounted.f_blocks == backing.f_blocks && mounted.f_frsize == backing.f_frsize,
                        "statfs passes through when no disk-full rule gives a capacity")
            }
            #expect(run.traceFile == "", "no fault, no trace line")
        }

        /// A seeded workload of writes, reads and fsyncs on four files; it
        /// prints every call's outcome (counts, a hash of the bytes read,
        /// or the errno) so two runs can be compared.
        static let workload = #"""
            import errno, hashlib, json, os, random, sys
            p, seed, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
            rng = random.Random(seed)
            os.mkdir(p + "/d")
            names = ["f0", "f1", "f2", "d/f3"]
            fds = {n: os.open(p + "/" + n, os.O_RDWR | os.O_CREAT, 0o644) for n in names}
            log = []
            for i in range(steps):
                n = rng.choice(names)
                fd = fds[n]
                r = rng.random()
                try:
                    if r < 0.45:
                        off = rng.randrange(0, 32768)
                        data = rng.randbytes(rng.randrange(1, 8192))
                        log.append("w %s %d %d -> %d" % (n, off, len(data), os.pwrite(fd, data, off)))
                    elif r < 0.85:
                        off, size = rng.randrange(0, 40000), rng.randrange(1, 8192)
                        b = os.pread(fd, size, off)
                        log.append("r %s %d %d -> %d %s" % (n, off, size, len(b), hashlib.sha1(b).hexdigest()[:16]))
                    else:
                        os.fsync(fd)
                        log.append("s %s" % n)
                except OSError as e:
                    log.append("e %s %s" % (n, errno.errorcode.get(e.errno, e.errno)))
            print(json.dumps(log))
            """#

        static let probabilityPlan = """
            seed: 1234
            rules:
              - {name: eio, fault: errno, errno: {EIO: 2, EAGAIN: 1}, ops: [write], probability: 0.1}
              - {name: short, fault: short-write, at-most: 1000, probability: 0.1}
              - {name: torn, fault: torn-write, block: 512, probability: 0.1}
              - {name: lost, fault: lost-write, path: "d/**", probability: 0.3}
              - {name: rshort, fault: short-read, fraction: 0.5, probability: 0.1}
              - {name: rot, fault: corrupt-read, mode: flip-bits, flips: 2, probability: 0.1}
              - {name: lag, fault: delay, distribution: uniform, min: 0ms, max-delay: 1ms, ops: [read, fsync], probability: 0.2}
              - {name: fsfail, fault: fsync-fail, probability: 0.2}
            """

        /// What one run of the workload left: its log, the trace, the files.
        struct Outcome {
            var log: [String]
            var trace: [String]
            var files: [String: [UInt8]]
        }

        static func runWorkload(plan: String) throws -> Outcome {
            let run = try withFaultMount(plan: plan) { m in
                try FaultPython.strings(Self.workload, [m.mountPoint, "77", "400"])
            }
            return Outcome(log: run.value, trace: FaultTest.lines(run.traceFile), files: run.backing)
        }

        /// A trace line without the fields that legitimately differ between
        /// two runs: `t` (wall-clock timing of each call) and `pid` (each
        /// run's workload is a new process).
        static func timeless(_ line: String) -> String {
            line.replacing(#/,"t":[0-9]+\.[0-9]+/#, with: "").replacing(#/,"pid":[0-9]+/#, with: "")
        }

        @Test("determinism: the same seed, plan and workload on two fresh mounts give the same trace byte for byte (less t and pid)")
        func determinism() throws {
            let first = try Self.runWorkload(plan: Self.probabilityPlan)
            let second = try Self.runWorkload(plan: Self.probabilityPlan)
            let faults = Set(try FaultTest.events(first.trace).compactMap { $0["fault"] as? String })
            #expect(faults.count >= 7, "the workload met most rules: \(faults.sorted())")
            #expect(first.trace.count >= 50, "\(first.trace.count) faults")
            T.expectSame(lines: first.trace.map(Self.timeless), second.trace.map(Self.timeless), "the traces less t and pid")
            let identical = first.trace.map(Self.timeless).joined(separator: "\n") == second.trace.map(Self.timeless).joined(separator: "\n")
            #expect(identical, "byte for byte")
            T.expectSame(lines: first.log, second.log, "the workload saw the same results")
            T.expectSame(files: first.files, second.files, "the backing ended the same")
        }

        @Test("two trials on one mount (arm, run, drain, clear) give the same trace, as two fresh mounts would")
        func trialsOnOneMount() throws {
            // The plan's own seed line is left out: the mount's --seed is the one in force over the socket.
            let plan = Self.probabilityPlan.split(separator: "\n").filter { !$0.hasPrefix("seed:") }.joined(separator: "\n") + "\n"
            let traces = try withFaultMount(arguments: ["--seed", "1234"]) { m -> [[String]] in
                var traces: [[String]] = []
                for trial in 0..<2 {
                    try m.control.arm(plan)
                    _ = try FaultPython.strings(Self.workload, [m.mountPoint, "77", "300"])
                    traces.append(try m.control.trace(drain: true))
                    try m.control.must(.clear(id: nil))
                    // Reset the files through the mount, with no rule armed, for the next trial.
                    let reset = try Tool.run("sh", ["-c", "rm -rf \"$0\"/*", m.mountPoint], timeout: 20)
                    #expect(reset.succeeded, "trial \(trial): \(reset)")
                }
                return traces
            }.value
            #expect(traces[0].count >= 30, "\(traces[0].count) faults")
            T.expectSame(lines: traces[1].map(Self.timeless), traces[0].map(Self.timeless), "trial 2 against trial 1 (t and pid left out)")
        }

        @Test("replay: faultbench replay re-injects a recorded trace; the same op/path/n/result happen, with the same effects")
        func replay() throws {
            let recorded = try Self.runWorkload(plan: Self.probabilityPlan)
            let directory = try TemporaryDirectory("replay")
            defer { try? directory.remove() }
            let tracePath = directory.path("recorded.jsonl"), replayedPath = directory.path("replayed.jsonl")
            try must(FS.writeFile(tracePath, recorded.trace.joined(separator: "\n") + "\n"), "write the recorded trace")
            let backing = try directory.makeDirectory("backing"), mnt = try directory.makeDirectory("mnt")
            let log = try withFaultbenchServing(["replay", tracePath, backing, mnt, "--trace", replayedPath,
                                                 "--control", directory.path("ctl.sock")], mountPoint: mnt) {
                try FaultPython.strings(Self.workload, [canonicalPath(mnt), "77", "400"])
            }
            let replayed = FaultTest.lines(try? FS.readText(replayedPath).get())
            func key(_ line: String) throws -> String {
                let e = try FaultTest.events([line])[0]
                return "\(e["op"] ?? "") \(e["path"] ?? "") \(T.int(e["n"]) ?? -1) \(e["result"] ?? "")"
            }
            let want = try recorded.trace.map(key), got = try replayed.map(key)
            T.expectSame(lines: got, want, "the replayed faults (op path n result) against the recorded ones")
            let files = try snapshotFiles(backing)
            T.expectSame(lines: log, recorded.log, "the workload saw the same results")
            T.expectSame(files: files, recorded.files, "the backing ended the same")
        }

        @Test("chaos: six processes run the workload at once under every data fault while rules are re-armed; the daemon stays up and unmounts cleanly")
        func concurrentChaos() throws {
            let workers = 6
            let run = try withFaultMount(plan: Self.probabilityPlan, setup: { b in
                for i in 0..<workers { try must(FS.mkdir(b + "/w\(i)"), "mkdir w\(i)") }
            }) { m in
                let children = try (0..<workers).map { i in
                    try ChildProcess.spawn(Tool.python3, ["-c", Self.workload, m.path("w\(i)"), String(100 + i), "600"],
                                           stdout: m.directory.path("w\(i).out"), stderr: m.directory.path("w\(i).err"))
                }
                // Meanwhile the control socket re-arms rules again and again.
                var rearms = 0
                while children.contains(where: { $0.poll() == nil }) && rearms < 200 {
                    try m.control.arm("rules:\n  - {name: flap, fault: delay, ms: 1, probability: 0.1}\n")
                    try m.control.must(.list)
                    let ids = try (m.control.must(.list).rules ?? []).compactMap { $0.name == "flap" ? $0.id : nil }
                    for id in ids { try m.control.must(.clear(id: id)) }
                    rearms += 1
                }
                for (i, child) in children.enumerated() {
                    #expect(child.wait(timeout: 60) == .exited(0), "worker \(i): \((try? FS.readText(m.directory.path("w\(i).err")).get()) ?? "")")
                    let log = (try? FS.readText(m.directory.path("w\(i).out")).get()) ?? ""
                    #expect(log.hasPrefix("[\"") && log.contains("-> "), "worker \(i) printed its log")
                }
                #expect(rearms > 0)
                let counters = try m.control.must(.counters)
                #expect(counters.faults ?? 0 > 100, "\(counters)")
                #expect(m.fs.process.poll() == nil, "the daemon is still running")
            }
            #expect(FaultTest.lines(run.traceFile).count > 100)
            let daemonLeft = run.leftovers.filter { !($0.hasPrefix("w") && ($0.hasSuffix(".out") || $0.hasSuffix(".err"))) }
            #expect(daemonLeft.isEmpty, "\(daemonLeft)")
        }

        @Test("power loss on demand while six processes write: they are killed, synced data survives, the daemon stays up")
        func powerLossUnderLoad() throws {
            let workers = 6
            let run = try withFaultMount(arguments: ["--track-durability"], setup: { b in
                for i in 0..<workers { try must(FS.mkdir(b + "/w\(i)"), "mkdir w\(i)") }
            }) { m in
                let children = try (0..<workers).map { i in
                    try ChildProcess.spawn(Tool.python3, ["-c", """
                        import os, sys
                        p = sys.argv[1]
                        fd = os.open(p + "/synced", os.O_WRONLY | os.O_CREAT, 0o644)
                        os.write(fd, b"S" * 8192)
                        os.fsync(fd)
                        open(p + "/ready", "w").close()
                        g = os.open(p + "/busy", os.O_RDWR | os.O_CREAT, 0o644)
                        i = 0
                        while True:
                            os.pwrite(g, bytes([i % 251]) * 4096, (i % 64) * 4096)
                            os.pwrite(fd, b"U" * 100, 8192 + i % 1000)
                            i += 1
                        """, m.path("w\(i)")], stdout: "/dev/null", stderr: m.directory.path("w\(i).err"))
                }
                let deadline = Clock.now + 20
                while (0..<workers).contains(where: { FS.lstat(m.backingPath("w\($0)/ready")).errno != nil }) && Clock.now < deadline {
                    usleep(5_000)
                }
                usleep(100_000)
                try m.control.must(.powerLoss(kill: children.map(\.pid)))
                for (i, child) in children.enumerated() {
                    #expect(child.wait(timeout: 20) == .signaled(SIGKILL), "worker \(i) is killed by the power loss")
                }
                #expect(m.fs.process.poll() == nil, "the daemon is still running")
                let sizes = try T.child("""
                    print(json.dumps({"r": [os.stat(sys.argv[1] + "/w%d/synced" % i).st_size for i in range(int(sys.argv[2]))]}))
                    """, [m.mountPoint, String(workers)])
                #expect(T.ints(sizes["r"]) == Array(repeating: 8192, count: workers), "the mount shows the synced size")
            }
            for i in 0..<workers {
                T.expectSame(run.backing["w\(i)/synced"], [UInt8](repeating: UInt8(ascii: "S"), count: 8192), "w\(i): the synced bytes, nothing written after")
                T.expectSame(run.backing["w\(i)/busy"], [], "w\(i): the never-synced file is empty again (its create stays without metadata)")
            }
        }

        @Test("a --trace file that spans a clear (seq and n start again) is either replayed faithfully or refused with one line")
        func traceAcrossClear() throws {
            let script = """
                fd = os.open(sys.argv[1], os.O_RDONLY)
                print(json.dumps({"r": [("ok" if not r.startswith("E") else r) for r in [call(lambda: os.pread(fd, 4, 0)) for _ in range(4)]]}))
                """
            let recorded = try withFaultMount(setup: { b in try T.put(b, "f", "data") }) { m -> [[String]] in
                try m.control.arm("rules:\n  - {fault: errno, errno: EIO, ops: [read], path: f, nth: 2}\n")
                let first = try T.strings(try T.child(script, [m.path("f")]), "r")
                try m.control.must(.clear(id: nil))
                try m.control.arm("rules:\n  - {fault: errno, errno: EROFS, ops: [read], path: f, nth: 1}\n")
                let second = try T.strings(try T.child(script, [m.path("f")]), "r")
                return [first, second]
            }
            #expect(recorded.value == [["ok", "EIO", "ok", "ok"], ["EROFS", "ok", "ok", "ok"]])
            let directory = try TemporaryDirectory("replay")
            defer { try? directory.remove() }
            let tracePath = directory.path("recorded.jsonl")
            try must(FS.writeFile(tracePath, recorded.traceFile ?? ""), "write the trace")
            let backing = try directory.makeDirectory("backing"), mnt = try directory.makeDirectory("mnt")
            try T.put(backing, "f", "data")
            do {
                let replayed = try withFaultbenchServing(["replay", tracePath, backing, mnt], mountPoint: mnt) {
                    [try T.strings(try T.child(script, [canonicalPath(mnt) + "/f"]), "r"),
                     try T.strings(try T.child(script, [canonicalPath(mnt) + "/f"]), "r")]
                }
                #expect(replayed == recorded.value, "the replay injects each fault at its own call: \(replayed)")
            } catch let error as SupportError where error.description.contains("before the mount appeared") {
                #expect(error.description.contains("line 2"), "refused, naming the line where seq starts again: \(error)")
            }
        }

        @Test("replay of a missing fault that ran out (max: 1): the listing shows the file again, as in the recorded run")
        func replayMissingListing() throws {
            let script = """
                m = sys.argv[1]
                out = [call(lambda: os.stat(m + "/f"))]
                out.append(",".join(sorted(os.listdir(m))))
                out.append(call(lambda: os.stat(m + "/f")))
                print(json.dumps({"r": out}))
                """
            let recorded = try withFaultMount(plan: "rules:\n  - {fault: missing, path: f, ops: [lookup], max: 1}\n",
                                              setup: { b in try T.put(b, "f", "x"); try T.put(b, "g", "y") }) { m in
                try T.strings(try T.child(script, [m.mountPoint]), "r")
            }
            #expect(recorded.value == ["ENOENT", "f,g", "ok"], "recorded: \(recorded.value)")
            let directory = try TemporaryDirectory("replay")
            defer { try? directory.remove() }
            let tracePath = directory.path("recorded.jsonl")
            try must(FS.writeFile(tracePath, recorded.traceFile ?? ""), "write the trace")
            let backing = try directory.makeDirectory("backing"), mnt = try directory.makeDirectory("mnt")
            try T.put(backing, "f", "x")
            try T.put(backing, "g", "y")
            let replayed = try withFaultbenchServing(["replay", tracePath, backing, mnt], mountPoint: mnt) {
                try T.strings(try T.child(script, [canonicalPath(mnt)]), "r")
            }
            #expect(replayed == recorded.value, "replayed: \(replayed)")
        }

        @Test("a name with spaces, quotes, a backslash and non-ASCII survives the trace's JSON and is replayed")
        func strangeNames() throws {
            let name = "sp ace \"q\" \\b \u{00FC}.txt"
            // In a glob a backslash escapes the next character, so the name's own backslash is doubled.
            let pattern = name.replacingOccurrences(of: "\\", with: "\\\\")
            let plan = "rules:\n  - {fault: errno, errno: EIO, ops: [read], path: '\(pattern)', every: 2}\n"
            let script = """
                p = sys.argv[1]
                fd = os.open(p, os.O_RDONLY)
                print(json.dumps({"r": [call(lambda: os.pread(fd, 4, 0)) for _ in range(6)]}))
                """
            let want = ["ok", "EIO", "ok", "EIO", "ok", "EIO"]
            func simplified(_ got: [String: Any]) throws -> [String] { try T.strings(got, "r").map { $0.hasPrefix("E") ? $0 : "ok" } }
            let recorded = try withFaultMount(plan: plan, setup: { b in try T.put(b, name, "data") }) { m in
                try simplified(try T.child(script, [m.path(name)]))
            }
            #expect(recorded.value == want)
            let events = try FaultTest.events(FaultTest.lines(recorded.traceFile))
            #expect(events.count == 3 && events.allSatisfy { $0["path"] as? String == name }, "the trace names the file exactly: \(recorded.traceFile ?? "")")

            let directory = try TemporaryDirectory("replay")
            defer { try? directory.remove() }
            let tracePath = directory.path("recorded.jsonl")
            try must(FS.writeFile(tracePath, recorded.traceFile ?? ""), "write the trace")
            let backing = try directory.makeDirectory("backing"), mnt = try directory.makeDirectory("mnt")
            try T.put(backing, name, "data")
            let replayed = try withFaultbenchServing(["replay", tracePath, backing, mnt], mountPoint: mnt) {
                try simplified(try T.child(script, [canonicalPath(mnt) + "/" + name]))
            }
            #expect(replayed == want, "the replay fails the same reads")
        }

        /// fsync-fail on the 2nd fsync of f, power-loss on the 2nd fsync of g.
        static let crashScript = #"""
            import errno, json, os, sys
            p = sys.argv[1]
            f = os.open(p + "/f", os.O_RDWR | os.O_CREAT, 0o644)
            os.pwrite(f, b"S" * 100, 0)
            os.fsync(f)
            os.pwrite(f, b"U" * 100, 100)
            try:
                os.fsync(f)
                second = "ok"
            except OSError as e:
                second = errno.errorcode[e.errno]
            g = os.open(p + "/g", os.O_RDWR | os.O_CREAT, 0o644)
            os.pwrite(g, b"A" * 50, 0)
            os.fsync(g)
            os.pwrite(g, b"B" * 50, 50)
            print(json.dumps({"second": second, "size": os.fstat(f).st_size}), flush=True)
            os.fsync(g)
            print("survived", flush=True)
            """#

        @Test("replay: fsync-fail and power-loss undo the same data as in the recorded run")
        func replayCrashes() throws {
            let plan = """
                rules:
                  - {fault: fsync-fail, path: f, nth: 2}
                  - {fault: power-loss, path: g, nth: 2}
                """
            let expectedOutput = "{\"second\": \"EIO\", \"size\": 100}\n"
            let recorded = try withFaultMount(plan: plan) { m in try FaultPython.run(Self.crashScript, [m.mountPoint], timeout: 30) }
            #expect(recorded.value.exit == .signaled(SIGKILL), "\(recorded.value)")
            #expect(recorded.value.stdout == expectedOutput)
            T.expectSame(recorded.backing["f"], [UInt8](repeating: UInt8(ascii: "S"), count: 100), "recorded: the failed fsync dropped U")
            T.expectSame(recorded.backing["g"], [UInt8](repeating: UInt8(ascii: "A"), count: 50), "recorded: the power loss undid B")

            let directory = try TemporaryDirectory("replay")
            defer { try? directory.remove() }
            let tracePath = directory.path("recorded.jsonl")
            try must(FS.writeFile(tracePath, recorded.traceFile ?? ""), "write the recorded trace")
            #expect(FaultTest.lines(recorded.traceFile).count == 2)
            let backing = try directory.makeDirectory("backing"), mnt = try directory.makeDirectory("mnt")
            let replayed = try withFaultbenchServing(["replay", tracePath, backing, mnt], mountPoint: mnt) {
                try FaultPython.run(Self.crashScript, [canonicalPath(mnt)], timeout: 30)
            }
            #expect(replayed.exit == .signaled(SIGKILL), "replay kills the caller again: \(replayed)")
            #expect(replayed.stdout == expectedOutput, "replay: \(replayed.stdout)")
            let files = try snapshotFiles(backing)
            T.expectSame(files["f"], [UInt8](repeating: UInt8(ascii: "S"), count: 100), "replay: the failed fsync drops U too")
            T.expectSame(files["g"], [UInt8](repeating: UInt8(ascii: "A"), count: 50), "replay: the power loss undoes B too")
        }
    }
}
