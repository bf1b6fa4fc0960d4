#if canImport(Glibc)
import Glibc
#endif
import FaultEngine
import FaultFSTestSupport
import Foundation
import SystemPackage
import Testing

extension MountTests {
    /// One test per fault of DESIGN.md (issue 3 §6): a real mount armed from
    /// a plan file, the fault's visible effect seen by a separate process (a
    /// Python child, or cat/ls), and the backing directory read by the test
    /// process as the oracle.
    @Suite("FaultConformance", .serialized, .timeLimit(.minutes(2)))
    struct FaultConformance {
        typealias T = FaultTest

        @Test("missing: the entry is left out of ls/readdir, stat and open get ENOENT, the backing keeps it")
        func missing() throws {
            let plan = """
                rules:
                  - name: hide-file
                    fault: missing
                    path: hidden.txt
                  - name: hide-dir
                    fault: missing
                    path: secret
                  - name: hide-tool
                    fault: missing
                    path: bin/mytool
                """
            let run = try withFaultMount(plan: plan, setup: { b in
                try T.put(b, "hidden.txt", "hidden")
                try T.put(b, "visible.txt", "visible")
                try must(FS.mkdir(b + "/secret"), "mkdir secret")
                try T.put(b, "secret/inner.txt", "inner")
                try must(FS.mkdir(b + "/bin"), "mkdir bin")
                try must(FS.writeFile(b + "/bin/mytool", "#!/bin/sh\necho tool ran\n", mode: 0o755), "write bin/mytool")
                try must(FS.writeFile(b + "/bin/othertool", "#!/bin/sh\necho other ran\n", mode: 0o755), "write bin/othertool")
            }) { m in
                // A tool in a bin directory on PATH: the shell cannot find it.
                let shell = try Tool.run("sh", ["-c", "mytool"], environment: ["PATH": m.path("bin") + ":/usr/bin:/bin"], timeout: 20)
                #expect(shell.exit == .exited(127), "\(shell)")
                let other = try Tool.run("sh", ["-c", "othertool"], environment: ["PATH": m.path("bin") + ":/usr/bin:/bin"], timeout: 20)
                #expect(other.succeeded && other.stdout == "other ran\n", "\(other)")
                let ls = try Tool.run("ls", ["-a", m.mountPoint], timeout: 20)
                #expect(ls.succeeded, "\(ls)")
                #expect(ls.stdout == ".\n..\nbin\nvisible.txt\n", "ls shows only what no rule hides")
                let got = try T.child("""
                    p = sys.argv[1]
                    print(json.dumps({
                        "listdir": sorted(os.listdir(p)),
                        "stat": call(lambda: os.stat(p + "/hidden.txt")),
                        "lstat": call(lambda: os.lstat(p + "/hidden.txt")),
                        "open": call(lambda: os.open(p + "/hidden.txt", os.O_RDONLY) and None),
                        "dir": call(lambda: os.stat(p + "/secret")),
                        "inner": call(lambda: os.stat(p + "/secret/inner.txt")),
                        "visible": call(lambda: open(p + "/visible.txt").read()),
                    }))
                    """, [m.mountPoint])
                #expect(try T.strings(got, "listdir") == ["bin", "visible.txt"])
                for key in ["stat", "lstat", "open", "dir", "inner"] {
                    #expect(got[key] as? String == "ENOENT", "\(key): \(got[key] ?? "nil")")
                }
                #expect(got["visible"] as? String == "visible")
                let cat = try Tool.run("cat", [m.path("hidden.txt")], timeout: 20)
                #expect(cat.exit == .exited(1))
                #expect(cat.stderr.contains("No such file or directory"), "\(cat)")
            }
            T.expectSame(run.backing["hidden.txt"], Array("hidden".utf8), "the backing file is untouched")
            T.expectSame(run.backing["secret/inner.txt"], Array("inner".utf8))
            #expect(FaultTest.lines(run.traceFile).allSatisfy { $0.contains("\"result\":\"ENOENT\"") })
        }

        @Test("errno: one errno by name or number on the chosen operation only; a weighted set gives only its errnos")
        func errno() throws {
            let plan = """
                rules:
                  - name: locked
                    fault: errno
                    path: locked
                    ops: [open]
                    errno: EACCES
                  - name: full
                    fault: errno
                    path: full
                    ops: [write]
                    errno: 28
                  - name: flaky
                    fault: errno
                    path: flaky
                    ops: [read]
                    errno: {EIO: 3, EAGAIN: 1}
                """
            let run = try withFaultMount(plan: plan, setup: { b in
                try T.put(b, "locked", "locked")
                try T.put(b, "full", "full")
                try T.put(b, "flaky", "flaky")
            }) { m in
                let got = try T.child("""
                    p = sys.argv[1]
                    fd = os.open(p + "/flaky", os.O_RDONLY)
                    reads = [call(lambda: os.pread(fd, 16, 0)) for _ in range(200)]
                    wfd = os.open(p + "/full", os.O_WRONLY)
                    print(json.dumps({
                        "pid": os.getpid(),
                        "locked-stat": call(lambda: os.stat(p + "/locked")),
                        "locked-open": call(lambda: os.open(p + "/locked", os.O_RDONLY) and None),
                        "full-write": call(lambda: os.write(wfd, b"more")),
                        "full-read": call(lambda: open(p + "/full").read()),
                        "reads": reads,
                    }))
                    """, [m.mountPoint])
                #expect(got["locked-stat"] as? String == "ok", "stat is not an operation of the rule")
                #expect(got["locked-open"] as? String == "EACCES")
                #expect(got["full-write"] as? String == "ENOSPC", "errno: 28 is ENOSPC")
                #expect(got["full-read"] as? String == "full")
                let reads = try T.strings(got, "reads")
                let eio = reads.filter { $0 == "EIO" }.count, eagain = reads.filter { $0 == "EAGAIN" }.count
                #expect(Set(reads) == ["EIO", "EAGAIN"], "only the listed errnos occur, and both do: \(Set(reads))")
                #expect(eio + eagain == 200)
                #expect((120...180).contains(eio), "weights 3:1 give about 150 EIO of 200, got \(eio)")
                // Every fault is one trace line: keys in a fixed order, the caller's pid.
                let lines = try m.control.trace()
                #expect(lines.count == 202, "the open, the write and 200 reads: \(lines.count)")
                let locked = try #require(lines.first { $0.contains("\"rule\":\"locked\"") })
                let pid = try #require(T.int(got["pid"]))
                let pattern = #/\{"seq":[0-9]+,"t":[0-9]+\.[0-9]{9},"rule":"locked","fault":"errno","op":"open","path":"locked","n":1,"offset":0,"length":0,"result":"EACCES","pid":([0-9]+)\}/#
                let match = try #require(locked.wholeMatch(of: pattern), "\(locked)")
                #expect(Int(match.1) == pid, "the trace names the caller: \(locked)")
            }
            T.expectSame(run.backing["full"], Array("full".utf8), "the failed write stored nothing")
        }

        @Test("transient: the first N calls fail with the errno, then the calls succeed")
        func transient() throws {
            let plan = """
                rules:
                  - fault: transient
                    path: busy
                    ops: [open]
                    errno: EBUSY
                    count: 3
                  - fault: transient
                    path: once
                    ops: [read]
                """
            let run = try withFaultMount(plan: plan, setup: { b in
                try T.put(b, "busy", "busy")
                try T.put(b, "once", "once")
            }) { m in
                let got = try T.child("""
                    p = sys.argv[1]
                    opens = [call(lambda: os.close(os.open(p + "/busy", os.O_RDONLY))) for _ in range(5)]
                    fd = os.open(p + "/once", os.O_RDONLY)
                    reads = [call(lambda: os.pread(fd, 4, 0)) for _ in range(3)]
                    print(json.dumps({"opens": opens, "reads": reads}))
                    """, [m.mountPoint])
                #expect(try T.strings(got, "opens") == ["EBUSY", "EBUSY", "EBUSY", "ok", "ok"])
                #expect(try T.strings(got, "reads") == ["EIO", T.hex(Array("once".utf8)), T.hex(Array("once".utf8))],
                        "the default transient is one EIO")
            }
            #expect(FaultTest.lines(run.traceFile).count == 4)
        }

        @Test("short-write: write() returns and stores fewer bytes; a loop over the count still stores everything")
        func shortWrite() throws {
            let plan = """
                rules:
                  - fault: short-write
                    path: "sw-*"
                    bytes: 100
                  - fault: short-write
                    path: frac
                    fraction: 0.25
                """
            let data = T.pattern(4096)
            let run = try withFaultMount(plan: plan) { m in
                let got = try T.child("""
                    p, data = sys.argv[1], bytes.fromhex(sys.argv[2])
                    def once(name):
                        fd = os.open(p + "/" + name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                        try:
                            return os.write(fd, data)
                        finally:
                            os.close(fd)
                    def loop(name):
                        fd = os.open(p + "/" + name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                        counts, done = [], 0
                        while done < 1000:
                            n = os.write(fd, data[done:1000])
                            counts.append(n)
                            done += n
                        os.close(fd)
                        return counts
                    print(json.dumps({"bytes": once("sw-once"), "fraction": once("frac"), "loop": loop("sw-loop")}))
                    """, [m.mountPoint, T.hex(data)])
                #expect(T.int(got["bytes"]) == 100)
                #expect(T.int(got["fraction"]) == 1024)
                #expect(T.ints(got["loop"]) == Array(repeating: 100, count: 10), "\(got["loop"] ?? "nil")")
            }
            T.expectSame(run.backing["sw-once"], Array(data[0..<100]), "a caller that ignores the count leaves 100 bytes")
            T.expectSame(run.backing["frac"], Array(data[0..<1024]))
            T.expectSame(run.backing["sw-loop"], Array(data[0..<1000]), "the careful writer's file is whole")
        }

        @Test("short-read: read() returns fewer bytes, exactly the backing's first ones at that offset")
        func shortRead() throws {
            let plan = """
                rules:
                  - fault: short-read
                    path: sr
                    bytes: 10
                  - fault: short-read
                    path: sr-random
                    at-most: 100
                """
            let data = T.pattern(8192, salt: 3)
            let run = try withFaultMount(plan: plan, setup: { b in
                try T.put(b, "sr", data)
                try T.put(b, "sr-random", data)
            }) { m in
                let got = try T.child("""
                    p = sys.argv[1]
                    fd = os.open(p + "/sr", os.O_RDONLY)
                    rfd = os.open(p + "/sr-random", os.O_RDONLY)
                    print(json.dumps({
                        "at0": call(lambda: os.pread(fd, 4096, 0)),
                        "at1000": call(lambda: os.pread(fd, 4096, 1000)),
                        "small": call(lambda: os.pread(fd, 5, 0)),
                        "random": [call(lambda: os.pread(rfd, 4096, 0)) for _ in range(20)],
                    }))
                    """, [m.mountPoint])
                #expect(got["at0"] as? String == T.hex(data[0..<10]))
                #expect(got["at1000"] as? String == T.hex(data[1000..<1010]))
                #expect(got["small"] as? String == T.hex(data[0..<5]), "a read of no more than 10 bytes is left alone")
                for read in try T.strings(got, "random") {
                    let bytes = try #require(T.bytes(hex: read))
                    #expect((1...100).contains(bytes.count), "at-most 100 gives 1...100 bytes, got \(bytes.count)")
                    #expect(bytes == Array(data[0..<bytes.count]))
                }
            }
            T.expectSame(run.backing["sr"], data)
        }

        @Test("torn-write: the full count is reported, only the prefix up to the last block boundary is stored")
        func tornWrite() throws {
            let plan = """
                rules:
                  - fault: torn-write
                    path: "torn*"
                  - fault: torn-write
                    path: small
                    block: 512
                """
            let data = T.pattern(10_000, salt: 5)
            let old = [UInt8](repeating: UInt8(ascii: "x"), count: 8192)
            let run = try withFaultMount(plan: plan, setup: { b in try T.put(b, "torn-mid", old) }) { m in
                let got = try T.child("""
                    p, data = sys.argv[1], bytes.fromhex(sys.argv[2])
                    def pw(name, chunk, offset, flags=os.O_WRONLY | os.O_CREAT):
                        fd = os.open(p + "/" + name, flags, 0o644)
                        try:
                            return os.pwrite(fd, chunk, offset)
                        finally:
                            os.close(fd)
                    print(json.dumps({
                        "whole": pw("torn", data, 0),
                        "mid": pw("torn-mid", data[:4096], 1000),
                        "small": pw("small", data[:1300], 0),
                    }))
                    """, [m.mountPoint, T.hex(data)])
                #expect(T.int(got["whole"]) == 10_000, "the full count is reported")
                #expect(T.int(got["mid"]) == 4096)
                #expect(T.int(got["small"]) == 1300)
            }
            T.expectSame(run.backing["torn"], Array(data[0..<8192]), "10000 bytes at 0 in 4096-byte blocks: 8192 stored")
            T.expectSame(run.backing["torn-mid"], Array(old[0..<1000]) + Array(data[0..<3096]) + Array(old[4096...]),
                    "4096 bytes at 1000: stored up to the boundary at 4096")
            T.expectSame(run.backing["small"], Array(data[0..<1024]), "1300 bytes in 512-byte blocks: 1024 stored")
        }

        @Test("lost-write: success reported, nothing stored, the old bytes read back")
        func lostWrite() throws {
            let plan = """
                rules:
                  - fault: lost-write
                    path: "lost*"
                """
            let run = try withFaultMount(plan: plan, setup: { b in try T.put(b, "lost", "old content") }) { m in
                let got = try T.child("""
                    p = sys.argv[1]
                    fd = os.open(p + "/lost", os.O_RDWR)
                    nfd = os.open(p + "/lost-new", os.O_WRONLY | os.O_CREAT, 0o644)
                    print(json.dumps({
                        "w1": os.pwrite(fd, b"NEW!!", 0),
                        "w2": os.pwrite(fd, b"y" * 100, 1000),
                        "sync": call(lambda: os.fsync(fd)),
                        "back": os.pread(fd, 100, 0).hex(),
                        "new": os.write(nfd, b"z" * 50),
                    }))
                    """, [m.mountPoint])
                #expect(T.int(got["w1"]) == 5)
                #expect(T.int(got["w2"]) == 100)
                #expect(got["sync"] as? String == "ok")
                #expect(got["back"] as? String == T.hex(Array("old content".utf8)))
                #expect(T.int(got["new"]) == 50)
            }
            T.expectSame(run.backing["lost"], Array("old content".utf8))
            T.expectSame(run.backing["lost-new"], [], "the new file exists, its data was lost")
            #expect(FaultTest.lines(run.traceFile).count == 3)
        }

        @Test("delay: a process killed while a call of it is delayed dies at once, and a signal ends the call with EINTR")
        func delayIsInterruptible() throws {
            let plan = """
                rules:
                  - {name: stall, fault: delay, path: stalled, ops: [read], ms: 20000}
                """
            _ = try withFaultMount(plan: plan, setup: { b in try T.put(b, "stalled", "x") }) { m in
                // A reader stuck in a 20 s read is SIGKILLed after 0.3 s: it
                // must be gone long before the delay would end.
                let reader = try ChildProcess.spawn("cat", [m.fs.path("stalled")], stdout: "/dev/null", stderr: "/dev/null")
                Clock.sleep(0.3)
                let killedAt = Clock.now
                reader.send(SIGKILL)
                let ended = reader.wait(timeout: 5)
                #expect(ended == .signaled(SIGKILL))
                #expect(Clock.now - killedAt < 1, "the killed reader took \(Clock.now - killedAt) s to die")
                // A caught signal interrupts the call the same way: read() fails
                // with EINTR, and the handler runs then, not 20 s later.
                let got = try T.child("""
                    import signal
                    class Alarm(Exception): pass
                    def ring(*a): raise Alarm()
                    signal.signal(signal.SIGALRM, ring)
                    fd = os.open(sys.argv[1] + "/stalled", os.O_RDONLY)
                    start = time.monotonic()
                    signal.setitimer(signal.ITIMER_REAL, 0.2)
                    try:
                        os.read(fd, 1)
                        outcome = "completed"
                    except Alarm:
                        outcome = "interrupted"
                    print(json.dumps({"read": outcome, "seconds": time.monotonic() - start}))
                    """, [m.mountPoint])
                #expect(got["read"] as? String == "interrupted")
                #expect((got["seconds"] as? Double ?? 99) < 2, "\(got)")
            }
        }

        @Test("delay: 5 ms per call at the median (±0.5 ms against the no-fault baseline); bandwidth 10 MB/s adds 10 ms per 100 kB")
        func delay() throws {
            // Both files are targeted (direct I/O, every read reaches the
            // engine); the rule on `fast` never fires, so the baseline pays
            // the same path as the delayed calls, less the delay.
            let plan = """
                rules:
                  - name: slow
                    fault: delay
                    path: slow
                    ops: [read]
                    ms: 5
                  - name: baseline
                    fault: delay
                    path: fast
                    ops: [read]
                    ms: 5
                    probability: 0
                  - name: pipe
                    fault: delay
                    path: narrow
                    ops: [read]
                    bandwidth: 10000000
                  - name: spread
                    fault: delay
                    path: uniform
                    ops: [read]
                    distribution: uniform
                    min: 2ms
                    max-delay: 4ms
                  - name: tail
                    fault: delay
                    path: lognormal
                    ops: [read]
                    distribution: log-normal
                    median: 2ms
                    sigma: 0.5
                """
            let data = T.pattern(100_000)
            let run = try withFaultMount(plan: plan, setup: { b in
                for name in ["slow", "fast", "narrow", "uniform", "lognormal"] { try T.put(b, name, data) }
            }) { m in
                let got = try T.child("""
                    p = sys.argv[1]
                    fds = {n: os.open(p + "/" + n, os.O_RDONLY) for n in ["slow", "fast", "narrow", "uniform", "lognormal"]}
                    def timed(name, size):
                        t = time.perf_counter_ns()
                        os.pread(fds[name], size, 0)
                        return (time.perf_counter_ns() - t) / 1e6
                    for n in ["slow", "fast", "narrow"]: timed(n, 1)
                    slow, fast, narrow, wide = [], [], [], []
                    uniform = [timed("uniform", 1) for _ in range(21)]
                    lognormal = [timed("lognormal", 1) for _ in range(21)]
                    for _ in range(21):
                        fast.append(timed("fast", 1))
                        slow.append(timed("slow", 1))
                    for _ in range(11):
                        wide.append(timed("fast", 100000))
                        narrow.append(timed("narrow", 100000))
                    print(json.dumps({"slow": slow, "fast": fast, "narrow": narrow, "wide": wide, "uniform": uniform, "lognormal": lognormal}))
                    """, [m.mountPoint])
                let slow = try #require(T.doubles(got["slow"])), fast = try #require(T.doubles(got["fast"]))
                let added = T.median(slow) - T.median(fast)
                #expect(abs(added - 5) <= 0.5, "median delayed \(T.median(slow)) ms - baseline \(T.median(fast)) ms = \(added) ms, want 5 ± 0.5")
                let narrow = try #require(T.doubles(got["narrow"])), wide = try #require(T.doubles(got["wide"]))
                let bandwidth = T.median(narrow) - T.median(wide)
                #expect(abs(bandwidth - 10) <= 1, "100000 bytes at 10 MB/s: \(bandwidth) ms added, want 10 ± 1")
                // Drawn delays: the trace says what each call got; no call
                // took less than that, and uniform draws stay in [min, max].
                let events = try FaultTest.events(try m.control.trace())
                for (rule, measured) in [("spread", try #require(T.doubles(got["uniform"]))), ("tail", try #require(T.doubles(got["lognormal"])))] {
                    let drawn = events.filter { $0["rule"] as? String == rule }.compactMap { event -> Double? in
                        guard let text = event["result"] as? String, text.hasPrefix("delay "), text.hasSuffix("ms") else { return nil }
                        return Double(text.dropFirst(6).dropLast(2))
                    }
                    #expect(drawn.count == measured.count, "\(rule): one traced delay per call")
                    for (d, t) in zip(drawn, measured) { #expect(t >= d - 0.05, "\(rule): a call took \(t) ms, less than its delay \(d) ms") }
                    if rule == "spread" { #expect(drawn.allSatisfy { (2...4).contains($0) }, "uniform 2-4 ms: \(drawn)") }
                    if rule == "tail" { #expect(Set(drawn).count > 10 && (1...4).contains(T.median(drawn)), "log-normal around 2 ms: \(drawn)") }
                }
            }
            let lines = FaultTest.lines(run.traceFile)
            #expect(lines.filter { $0.contains("\"rule\":\"slow\"") && $0.contains("\"result\":\"delay 5.000000ms\"") }.count == 22)
            #expect(lines.filter { $0.contains("\"rule\":\"pipe\"") && $0.contains("\"result\":\"delay 10.000000ms\"") }.count == 11)
            #expect(!lines.contains { $0.contains("\"rule\":\"baseline\"") })
        }

        @Test("corrupt-read: the bytes read differ from the backing exactly as the traced plan says; the backing is untouched")
        func corruptRead() throws {
            let plan = """
                rules:
                  - fault: corrupt-read
                    path: zeroed
                    mode: zero
                    bytes: 16
                  - fault: corrupt-read
                    path: flipped
                    flips: 3
                  - fault: corrupt-read
                    path: scrambled
                    mode: random
                    bytes: 32
                """
            let data = T.pattern(4096, salt: 9)
            let names = ["zeroed", "flipped", "scrambled"]
            var readBack: [String: [UInt8]] = [:]
            let run = try withFaultMount(plan: plan, setup: { b in for n in names { try T.put(b, n, data) } }) { m in
                let got = try T.child("""
                    p = sys.argv[1]
                    out = {}
                    for n in ["zeroed", "flipped", "scrambled"]:
                        fd = os.open(p + "/" + n, os.O_RDONLY)
                        out[n] = os.pread(fd, 4096, 0).hex()
                    print(json.dumps(out))
                    """, [m.mountPoint])
                for n in names { readBack[n] = T.bytes(hex: got[n] as? String ?? "") }
            }
            for n in names { T.expectSame(run.backing[n], data, "\(n) is untouched in the backing") }
            let zeroed = try #require(readBack["zeroed"]), flipped = try #require(readBack["flipped"]),
                scrambled = try #require(readBack["scrambled"])
            #expect(zeroed.count == 4096 && flipped.count == 4096 && scrambled.count == 4096)
            let zeroDiff = zeroed.indices.filter { zeroed[$0] != data[$0] }
            #expect(zeroDiff.count == 16 && zeroDiff.last! - zeroDiff.first! == 15 && zeroDiff.allSatisfy { zeroed[$0] == 0 },
                    "16 consecutive bytes zeroed: \(zeroDiff)")
            let flippedBits = zip(flipped, data).map { ($0 ^ $1).nonzeroBitCount }.reduce(0, +)
            #expect(flippedBits == 1 || flippedBits == 3, "3 flips (one bit may flip twice): \(flippedBits) bits differ")
            let scrambledDiff = scrambled.indices.filter { scrambled[$0] != data[$0] }
            #expect(!scrambledDiff.isEmpty && scrambledDiff.last! - scrambledDiff.first! < 32, "random bytes within 32: \(scrambledDiff)")
            // The exact damage: the trace names mode and seed; applying that
            // plan to the backing's bytes gives what the reader got.
            let events = try FaultTest.events(FaultTest.lines(run.traceFile))
            for n in names {
                let event = try #require(events.first { $0["path"] as? String == n && T.int($0["offset"]) == 0 }, "a trace line for \(n)")
                let words = (event["result"] as? String ?? "").split(separator: " ")
                let mode: CorruptionMode = n == "zeroed" ? .zero(bytes: 16) : n == "flipped" ? .flipBits(3) : .random(bytes: 32)
                let seed = try #require(words.last.flatMap { UInt64($0.dropFirst("seed=0x".count), radix: 16) }, "\(event)")
                var expected = data
                expected.withUnsafeMutableBytes { CorruptionPlan(mode: mode, seed: seed).apply(to: $0) }
                T.expectSame(readBack[n], expected, "\(n): the bytes read are the traced plan applied to the backing")
            }
        }

        @Test("kill-caller: a chunked writer is SIGKILLed at exactly N bytes; the backing file has exactly N bytes")
        func killCaller() throws {
            let plan = """
                rules:
                  - fault: kill-caller
                    path: victim
                    bytes: 2500
                """
            let data = T.pattern(10_000, salt: 11)
            let run = try withFaultMount(plan: plan) { m in
                let result = try FaultPython.run("""
                    import os, sys
                    data = bytes.fromhex(sys.argv[2])
                    fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                    for i in range(10):
                        n = os.write(fd, data[i * 1000:(i + 1) * 1000])
                        print(i, n, flush=True)
                    print("survived", flush=True)
                    """, [m.path("victim"), T.hex(data)], timeout: 30)
                #expect(result.exit == .signaled(SIGKILL), "\(result)")
                #expect(result.stdout == "0 1000\n1 1000\n", "the third write never returned")
            }
            T.expectSame(run.backing["victim"], Array(data[0..<2500]))
            #expect(FaultTest.lines(run.traceFile).count == 1)
            #expect(FaultTest.lines(run.traceFile).first?.contains("\"result\":\"kill after 500/1000\"") == true)
        }

        @Test("kill-caller counts a process's bytes across its threads: two writer threads taking turns die at N bytes")
        func killCallerThreads() throws {
            let plan = """
                rules:
                  - fault: kill-caller
                    path: victim
                    bytes: 2500
                """
            let run = try withFaultMount(plan: plan) { m in
                let result = try FaultPython.run("""
                    import os, sys, threading
                    fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                    turn, cv = [0], threading.Condition()
                    def writer(k, tag):
                        for i in range(5):
                            with cv:
                                cv.wait_for(lambda: turn[0] % 2 == k)
                                print(tag.decode(), os.write(fd, tag * 1000), flush=True)
                                turn[0] += 1
                                cv.notify_all()
                    threads = [threading.Thread(target=writer, args=(0, b"a")), threading.Thread(target=writer, args=(1, b"b"))]
                    for t in threads: t.start()
                    for t in threads: t.join()
                    print("survived", flush=True)
                    """, [m.path("victim")], timeout: 30)
                #expect(result.exit == .signaled(SIGKILL), "\(result)")
                #expect(result.stdout == "a 1000\nb 1000\n", "the process dies in its third write")
            }
            let expected = [UInt8](repeating: UInt8(ascii: "a"), count: 1000) + [UInt8](repeating: UInt8(ascii: "b"), count: 1000)
                + [UInt8](repeating: UInt8(ascii: "a"), count: 500)
            T.expectSame(run.backing["victim"], expected, "2500 bytes of the process, whichever thread wrote them")
        }

        @Test("power-loss keep-random-subset: each unsynced 4 KiB block survives whole or not at all, the same blocks for the same seed")
        func powerLossKeepSubset() throws {
            let plan = """
                seed: 5
                rules:
                  - fault: power-loss
                    path: trigger
                    keep-random-subset: 0.5
                """
            let blocks = 32
            let old = [UInt8](repeating: UInt8(ascii: "O"), count: blocks * 4096)
            func survivors() throws -> [Bool] {
                let run = try withFaultMount(plan: plan, setup: { b in
                    try T.put(b, "data", old)
                    try T.put(b, "trigger", "t")
                }) { m in
                    let result = try FaultPython.run("""
                        import os, sys
                        p = sys.argv[1]
                        fd = os.open(p + "/data", os.O_RDWR)
                        for i in range(\(blocks)):
                            os.pwrite(fd, bytes([65 + i % 26]) * 4096, i * 4096)
                        os.fsync(os.open(p + "/trigger", os.O_RDONLY))
                        """, [m.mountPoint], timeout: 30)
                    #expect(result.exit == .signaled(SIGKILL), "\(result)")
                }
                let data = try #require(run.backing["data"])
                #expect(data.count == old.count)
                return try (0..<blocks).map { i in
                    let block = Array(data[(i * 4096)..<min(data.count, (i + 1) * 4096)])
                    let new = [UInt8](repeating: UInt8(65 + i % 26), count: 4096)
                    guard block == new || block == Array(old[0..<4096]) else {
                        throw SupportError("block \(i) is neither the old nor the new bytes")
                    }
                    return block == new
                }
            }
            let first = try survivors(), second = try survivors()
            let kept = first.filter { $0 }.count
            #expect((4...28).contains(kept), "about half of \(blocks) blocks survive: \(kept)")
            #expect(first == second, "the same seed keeps the same blocks")
        }

        @Test("power-loss: data written since the last fsync is undone, synced data survives, the caller is killed")
        func powerLoss() throws {
            let plan = """
                rules:
                  - fault: power-loss
                    path: data
                    nth: 2
                """
            let old = [UInt8](repeating: UInt8(ascii: "O"), count: 8192)
            let run = try withFaultMount(plan: plan, setup: { b in
                try T.put(b, "data", old)
                try T.put(b, "other", [UInt8](repeating: UInt8(ascii: "P"), count: 100))
                try T.put(b, "untouched", "K")
            }) { m in
                let result = try FaultPython.run("""
                    import os, sys
                    p = sys.argv[1]
                    fd = os.open(p + "/data", os.O_RDWR)
                    os.pwrite(fd, b"A" * 4096, 0)
                    os.fsync(fd)
                    os.pwrite(fd, b"B" * 4096, 4096)
                    os.pwrite(fd, b"C" * 4096, 8192)
                    g = os.open(p + "/other", os.O_RDWR)
                    os.pwrite(g, b"Q" * 200, 0)
                    n = os.open(p + "/new", os.O_WRONLY | os.O_CREAT, 0o644)
                    os.write(n, b"N" * 50)
                    print("before", flush=True)
                    os.fsync(fd)
                    print("survived", flush=True)
                    """, [m.mountPoint], timeout: 30)
                #expect(result.exit == .signaled(SIGKILL), "\(result)")
                #expect(result.stdout == "before\n")
                // The mount shows the post-crash state to the next process.
                let after = try T.child("""
                    p = sys.argv[1]
                    print(json.dumps({"data": open(p + "/data", "rb").read().hex(), "new": call(lambda: os.stat(p + "/new").st_size)}))
                    """, [m.mountPoint])
                #expect(after["data"] as? String == T.hex([UInt8](repeating: UInt8(ascii: "A"), count: 4096) + old[4096...]))
                #expect(T.int(after["new"]) == 0)
            }
            T.expectSame(run.backing["data"], [UInt8](repeating: UInt8(ascii: "A"), count: 4096) + old[4096...],
                    "the synced first block survives; the overwrite and the extension are undone")
            T.expectSame(run.backing["other"], [UInt8](repeating: UInt8(ascii: "P"), count: 100), "unsynced writes to other files are undone")
            T.expectSame(run.backing["new"], [], "without metadata: the create stays, its unsynced data is gone")
            T.expectSame(run.backing["untouched"], Array("K".utf8))
        }

        /// release cannot fail (close has returned), but a power loss can
        /// strike there; its trace line says it did, so it must happen.
        @Test("power-loss on release: the crash happens when the file is closed, as the trace says")
        func powerLossOnRelease() throws {
            let plan = """
                rules:
                  - fault: power-loss
                    path: data
                    ops: [release]
                    max: 1
                """
            let run = try withFaultMount(plan: plan, setup: { b in try T.put(b, "data", "old-data") }) { m in
                let got = try T.child("""
                    p = sys.argv[1]
                    fd = os.open(p + "/data", os.O_RDWR)
                    os.pwrite(fd, b"new-data", 0)
                    before = os.pread(fd, 64, 0).decode()
                    os.close(fd)
                    # The kernel sends release after close() has returned. Watch
                    # the backing file, so no other open makes a release of its own.
                    deadline = time.time() + 10
                    while time.time() < deadline:
                        with open(sys.argv[2], "rb") as f:
                            if f.read() == b"old-data": break
                        time.sleep(0.01)
                    with open(p + "/data", "rb") as f: after = f.read().decode()
                    print(json.dumps({"r": [before, after]}))
                    """, [m.mountPoint, m.backingPath("data")])
                #expect(try T.strings(got, "r") == ["new-data", "old-data"], "the unsynced write is undone once the file is closed")
            }
            T.expectSame(run.backing["data"], Array("old-data".utf8))
            let trace = FaultTest.lines(run.traceFile)
            #expect(trace.count == 1 && trace.allSatisfy { $0.contains("\"op\":\"release\"") && $0.contains("power-loss") }, "\(trace)")
        }

        @Test("power-loss with metadata: a create since the directory's last fsync is undone; one after a directory fsync stays")
        func powerLossMetadata() throws {
            let plan = """
                rules:
                  - fault: power-loss
                    path: trigger
                    metadata: true
                """
            let run = try withFaultMount(plan: plan, setup: { b in
                try must(FS.mkdir(b + "/d"), "mkdir d")
                try T.put(b, "trigger", "t")
            }) { m in
                let result = try FaultPython.run("""
                    import os, sys
                    p = sys.argv[1]
                    def create(name, data):
                        fd = os.open(p + "/" + name, os.O_WRONLY | os.O_CREAT, 0o644)
                        os.write(fd, data)
                        os.fsync(fd)
                        os.close(fd)
                    create("d/kept", b"K" * 10)
                    dfd = os.open(p + "/d", os.O_RDONLY | os.O_DIRECTORY)
                    os.fsync(dfd)
                    create("d/gone", b"G" * 10)
                    create("rootgone", b"R" * 10)
                    print("before", flush=True)
                    t = os.open(p + "/trigger", os.O_RDONLY)
                    os.fsync(t)
                    print("survived", flush=True)
                    """, [m.mountPoint], timeout: 30)
                #expect(result.exit == .signaled(SIGKILL), "\(result)")
                #expect(result.stdout == "before\n")
                let ls = try Tool.run("ls", [m.path("d")], timeout: 20)
                #expect(ls.stdout == "kept\n", "the mount shows the post-crash directory: \(ls)")
            }
            T.expectSame(run.backing["d/kept"], [UInt8](repeating: UInt8(ascii: "K"), count: 10), "created, synced, directory synced: durable")
            #expect(run.backing["d/gone"] == nil, "file synced but its directory not: the create is undone")
            #expect(run.backing["rootgone"] == nil, "the root directory was never synced")
            T.expectSame(run.backing["trigger"], Array("t".utf8))
        }

        @Test("power-loss with metadata: renames, unlinks and mkdirs since the directory's last fsync are undone; an atomic replace with a directory fsync survives")
        func powerLossMetadataRenames() throws {
            let plan = """
                rules:
                  - fault: power-loss
                    path: trigger
                    metadata: true
                """
            let run = try withFaultMount(plan: plan, setup: { b in
                for (name, text) in [("a", "A"), ("b", "B"), ("target", "old"), ("safe/target", "old")] {
                    if name.hasPrefix("safe/"), FS.lstat(b + "/safe").errno != nil { try must(FS.mkdir(b + "/safe"), "mkdir safe") }
                    try T.put(b, name, text)
                }
                try T.put(b, "trigger", "t")
            }) { m in
                let result = try FaultPython.run("""
                    import os, sys
                    p = sys.argv[1]
                    def replace(d, name, data, sync_dir):
                        fd = os.open(p + "/" + d + "/tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                        os.write(fd, data)
                        os.fsync(fd)
                        os.close(fd)
                        os.rename(p + "/" + d + "/tmp", p + "/" + d + "/" + name)
                        if sync_dir:
                            dfd = os.open(p + "/" + d, os.O_RDONLY | os.O_DIRECTORY)
                            os.fsync(dfd)
                            os.close(dfd)
                    replace("safe", "target", b"new", True)
                    replace(".", "target", b"new", False)
                    os.rename(p + "/a", p + "/a2")
                    os.unlink(p + "/b")
                    os.mkdir(p + "/newdir")
                    print("before", flush=True)
                    os.fsync(os.open(p + "/trigger", os.O_RDONLY))
                    print("survived", flush=True)
                    """, [m.mountPoint], timeout: 30)
                #expect(result.exit == .signaled(SIGKILL), "\(result)")
                #expect(result.stdout == "before\n")
            }
            T.expectSame(run.backing["safe/target"], Array("new".utf8), "replaced, file and directory synced: durable")
            #expect(run.backing["safe/tmp"] == nil)
            T.expectSame(run.backing["target"], Array("old".utf8), "replaced without a directory fsync: the old file is back")
            #expect(run.backing["tmp"] == nil, "and the temporary name is gone (its create was never made durable)")
            T.expectSame(run.backing["a"], Array("A".utf8), "the rename of a is undone")
            #expect(run.backing["a2"] == nil)
            T.expectSame(run.backing["b"], Array("B".utf8), "the unlinked b is back with its bytes")
            #expect(run.backing["newdir/"] == nil, "the mkdir is undone")
            #expect(run.leftovers.isEmpty, "no stash directory or socket left beside the backing: \(run.leftovers)")
        }

        /// An fsync-fail drops the file's pages, which waits for page locks;
        /// readers of the same files hold them while their READs wait in
        /// /dev/fuse. Done on the worker that got the fsync, this hung the
        /// whole mount within seconds once every worker waited so (4 files,
        /// the default 2 workers). If it hangs, the connection is aborted
        /// through fusectl, so the test fails instead of hanging.
        /// A power loss inside a request drops every page the same way. The
        /// third case has read-only handles in the page cache beside
        /// direct-I/O writers (a file whose rules act on writes), whose
        /// pages the kernel drops after each write; a daemon-side drop on
        /// the worker hung it.
        @Test("fsync-fail, power loss or writes to a write-targeted file, beside concurrent readers, never hang the mount",
              .timeLimit(.minutes(2)),
              arguments: ["{name: ff, fault: fsync-fail, path: \"f*\"}",
                          "{name: pl, fault: power-loss, kill-caller: false, path: \"f*\"}",
                          "{name: w, fault: errno, errno: EIO, ops: [write], probability: 0, path: \"f*\"}"])
        func crashBesideReaders(_ rule: String) throws {
            let plan = "rules:\n  - \(rule)\n"
            _ = try withFaultMount(plan: plan, setup: { b in
                for i in 0..<4 { try T.put(b, "f\(i)", T.pattern(262_144, salt: i)) }
            }) { m in
                let got = try T.child(Self.besideReaders, [m.mountPoint, "0"], timeout: 60)
                #expect(got["r"] as? String == "ok", "the mount hung: a page drop waited on a worker")
            }
        }

        /// The same with fsync-fail, while the daemon cannot make a thread
        /// (its address space is capped at what it uses): the drop then
        /// goes to the thread made at mount, never to the worker, which hung
        /// the mount (as it did with a write's drop in the review of 68a9bbd).
        @Test("fsync-fail beside concurrent readers never hangs the mount, even when the daemon cannot make a thread",
              .timeLimit(.minutes(2)))
        func crashBesideReadersWithoutThreads() throws {
            let plan = "rules:\n  - {name: ff, fault: fsync-fail, path: \"f*\"}\n"
            _ = try withFaultMount(plan: plan, setup: { b in
                for i in 0..<4 { try T.put(b, "f\(i)", T.pattern(262_144, salt: i)) }
            }) { m in
                let got = try T.child(Self.besideReaders, [m.mountPoint, String(m.fs.process.pid)], timeout: 60)
                #expect(got["r"] as? String == "ok", "the mount hung: a page drop waited on a worker")
                #expect(got["threads"] as? String == "refused", "the cap did not stop thread creation: \(got)")
            }
        }

        /// A power loss that fires on a READ the page cache asked for (a
        /// private mmap of a file read with direct I/O, or a descriptor
        /// opened before the rule) while that READ holds the pages it is
        /// filling locked: dropping every page before answering it waited
        /// for those very locks, and the reader and the mount hung. The
        /// reader must end (SIGBUS or EIO: its read failed) within seconds.
        @Test("a power loss on a read the page cache asked for (mmap, an older descriptor) does not wait for that read's own pages",
              .timeLimit(.minutes(2)), arguments: ["mmap", "older descriptor"])
        func crashOnPageCacheRead(_ how: String) throws {
            let rule = "{name: pl, fault: power-loss, kill-caller: false, ops: [read], path: f}"
            _ = try withFaultMount(plan: how == "mmap" ? "rules:\n  - \(rule)\n" : nil,
                                   setup: { b in try T.put(b, "f", T.pattern(65_536, salt: 3)) }) { m in
                let got = try T.child("""
                    import mmap, signal, subprocess
                    mnt, sock, how, rule = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
                    connection = "/sys/fs/fuse/connections/%d" % os.minor(os.stat(mnt).st_dev)
                    fd = os.open(mnt + "/f", os.O_RDONLY)
                    if how != "mmap":
                        assert ctl(sock, {"op": "arm", "plan": "rules:\\n  - " + rule + "\\n"})["ok"]
                    pid = os.fork()
                    if pid == 0:
                        try:
                            if how == "mmap":
                                m = mmap.mmap(fd, 65536, mmap.MAP_PRIVATE, mmap.PROT_READ)
                                m[0]
                            else:
                                os.pread(fd, 4096, 0)
                        except OSError:
                            os._exit(3)
                        os._exit(0)
                    end = time.time() + 10
                    status = None
                    while time.time() < end:
                        done, status = os.waitpid(pid, os.WNOHANG)
                        if done: break
                        time.sleep(0.05)
                    else:
                        mounted = os.path.exists(connection)
                        if not mounted: subprocess.run(["mount", "-t", "fusectl", "none", "/sys/fs/fuse/connections"])
                        with open(connection + "/abort", "w") as f: f.write("1")
                        if not mounted: subprocess.run(["umount", "/sys/fs/fuse/connections"])
                        os.waitpid(pid, 0)
                        print(json.dumps({"r": "hung"}))
                        sys.exit(0)
                    how_ended = "signal %d" % os.WTERMSIG(status) if os.WIFSIGNALED(status) else "exit %d" % os.WEXITSTATUS(status)
                    print(json.dumps({"r": how_ended}))
                    """, [m.mountPoint, m.socketPath, how, rule], timeout: 60)
                let ended = got["r"] as? String
                #expect(ended != "hung", "the reader hung on its own pages")
                #expect(ended == "signal \(SIGBUS)" || ended == "exit 3", "the read should fail: \(String(describing: ended))")
            }
        }

        /// Two power losses at once, on READs of two files through the page
        /// cache (descriptors opened before the rule; a delay keeps both
        /// READs in flight): each crash spared only its own file, so each
        /// waited for the pages the other's READ held, and the mount hung.
        @Test("two power losses at once on page-cache reads of two files do not wait for each other", .timeLimit(.minutes(2)))
        func twoCrashesOnPageCacheReads() throws {
            _ = try withFaultMount(setup: { b in
                for i in 0..<2 { try T.put(b, "f\(i)", T.pattern(65_536, salt: i)) }
            }) { m in
                let got = try T.child("""
                    import subprocess
                    mnt, sock = sys.argv[1], sys.argv[2]
                    connection = "/sys/fs/fuse/connections/%d" % os.minor(os.stat(mnt).st_dev)
                    fds = [os.open(mnt + "/f%d" % i, os.O_RDONLY) for i in range(2)]
                    plan = ("rules:\\n"
                            "  - {name: slow, fault: delay, ms: 300, ops: [read], path: \\"f*\\"}\\n"
                            "  - {name: pl, fault: power-loss, kill-caller: false, ops: [read], path: \\"f*\\"}\\n")
                    assert ctl(sock, {"op": "arm", "plan": plan})["ok"]
                    pids = []
                    for fd in fds:
                        pid = os.fork()
                        if pid == 0:
                            try: os.pread(fd, 4096, 0)
                            except OSError: os._exit(3)
                            os._exit(0)
                        pids.append(pid)
                    end, left, ended = time.time() + 10, set(pids), []
                    while left and time.time() < end:
                        for pid in list(left):
                            done, status = os.waitpid(pid, os.WNOHANG)
                            if done:
                                left.discard(pid)
                                ended.append(os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status))
                        time.sleep(0.05)
                    if left:
                        mounted = os.path.exists(connection)
                        if not mounted: subprocess.run(["mount", "-t", "fusectl", "none", "/sys/fs/fuse/connections"])
                        with open(connection + "/abort", "w") as f: f.write("1")
                        if not mounted: subprocess.run(["umount", "/sys/fs/fuse/connections"])
                        for pid in left: os.waitpid(pid, 0)
                    print(json.dumps({"r": "hung" if left else "ok", "ended": sorted(ended)}))
                    """, [m.mountPoint, m.socketPath], timeout: 60)
                #expect(got["r"] as? String == "ok", "the two crashes waited for each other: \(got)")
                #expect(got["ended"] as? [Int] == [3, 3], "both reads should fail with EIO: \(got)")
            }
        }

        /// Two readers and an fsync-ing writer per file, 6 s; aborts the
        /// connection through fusectl if they hang. argv[2], when not "0",
        /// is the daemon's pid: its address space is first capped at what
        /// it uses, so it can make no thread (checked by reading its thread
        /// count before and after a burst of opens; reported as "threads").
        static let besideReaders = """
            import resource, subprocess
            mnt, daemon = sys.argv[1], int(sys.argv[2])
            connection = "/sys/fs/fuse/connections/%d" % os.minor(os.stat(mnt).st_dev)
            threads = "uncapped"
            if daemon:
                size = [int(l.split()[1]) for l in open("/proc/%d/status" % daemon) if l.startswith("VmSize:")][0] * 1024
                resource.prlimit(daemon, resource.RLIMIT_AS, (size + (2 << 20), resource.RLIM_INFINITY))
                # One fsync-fail: its drop wants a thread; none must appear.
                before = len(os.listdir("/proc/%d/task" % daemon))
                fd = os.open(mnt + "/f0", os.O_RDWR); os.pwrite(fd, b"y", 0)
                try: os.fsync(fd)
                except OSError: pass
                os.close(fd)
                time.sleep(0.2)
                threads = "refused" if len(os.listdir("/proc/%d/task" % daemon)) == before else "made"
            end = time.time() + 6
            def reader(path):
                fd = os.open(path, os.O_RDONLY)
                while time.time() < end: os.pread(fd, 131072, 0)
                os._exit(0)
            def fsyncer(path):
                fd = os.open(path, os.O_RDWR)
                while time.time() < end:
                    os.pwrite(fd, b"x" * 65536, 0)
                    try: os.fsync(fd)
                    except OSError: pass
                os._exit(0)
            pids = []
            for i in range(4):
                for job in (reader, reader, fsyncer):
                    pid = os.fork()
                    if pid == 0:
                        try: job(mnt + "/f%d" % i)
                        finally: os._exit(1)
                    pids.append(pid)
            left = set(pids)
            while left and time.time() < end + 15:
                for pid in list(left):
                    if os.waitpid(pid, os.WNOHANG)[0]: left.discard(pid)
                time.sleep(0.1)
            if left:
                # Hung: abort the connection so the mount can go.
                mounted = os.path.exists(connection)
                if not mounted: subprocess.run(["mount", "-t", "fusectl", "none", "/sys/fs/fuse/connections"])
                with open(connection + "/abort", "w") as f: f.write("1")
                if not mounted: subprocess.run(["umount", "/sys/fs/fuse/connections"])
                for pid in left: os.waitpid(pid, 0)
            if daemon: resource.prlimit(daemon, resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            print(json.dumps({"r": "hung" if left else "ok", "threads": threads}))
            """

        @Test("fsync-fail: fsync returns EIO and the unsynced data is dropped; a later fsync succeeds and keeps its data")
        func fsyncFail() throws {
            let plan = """
                rules:
                  - fault: fsync-fail
                    path: f
                    max: 1
                """
            let old = [UInt8](repeating: UInt8(ascii: "O"), count: 4096)
            let run = try withFaultMount(plan: plan, setup: { b in try T.put(b, "f", old) }) { m in
                let got = try T.child("""
                    p = sys.argv[1]
                    fd = os.open(p + "/f", os.O_RDWR)
                    os.pwrite(fd, b"N" * 4096, 0)
                    os.pwrite(fd, b"M" * 100, 4096)
                    first = call(lambda: os.fsync(fd))
                    after = os.pread(fd, 8192, 0)
                    os.pwrite(fd, b"Z" * 10, 0)
                    second = call(lambda: os.fsync(fd))
                    print(json.dumps({"first": first, "after": after.hex(), "second": second}))
                    """, [m.mountPoint])
                #expect(got["first"] as? String == "EIO")
                #expect(got["after"] as? String == T.hex(old), "after the failed fsync the file reads as before the writes")
                #expect(got["second"] as? String == "ok")
            }
            T.expectSame(run.backing["f"], [UInt8](repeating: UInt8(ascii: "Z"), count: 10) + old[10...])
        }

        @Test("disk-full: fallocate of more than the room left gets ENOSPC, like a write")
        func diskFullFallocate() throws {
            let plan = """
                rules:
                  - fault: disk-full
                    bytes: 10000
                    capacity: 1048576
                """
            let run = try withFaultMount(plan: plan) { m in
                let got = try T.child("""
                    p = sys.argv[1]
                    fd = os.open(p + "/reserved", os.O_RDWR | os.O_CREAT, 0o644)
                    big = call(lambda: os.posix_fallocate(fd, 0, 4 << 20))
                    small = call(lambda: os.posix_fallocate(fd, 0, 4096))
                    print(json.dumps({"big": big, "small": small}))
                    """, [m.mountPoint])
                #expect(got["big"] as? String == "ENOSPC", "4 MiB on a disk with 10000 bytes of room: \(got["big"] ?? "nil")")
                #expect(got["small"] as? String == "ok", "4096 bytes fit")
            }
            #expect((run.backing["reserved"]?.count ?? 0) <= 10_000, "the backing file is no larger than the room: \(run.backing["reserved"]?.count ?? -1) bytes")
        }

        @Test("disk-full: writes stop with a short count then ENOSPC after N bytes; creates get ENOSPC; statfs reports the capacity")
        func diskFull() throws {
            let capacity = 1_048_576, limit = 10_000
            let plan = """
                rules:
                  - fault: disk-full
                    bytes: \(limit)
                    capacity: \(capacity)
                """
            let data = T.pattern(4096, salt: 2)
            let run = try withFaultMount(plan: plan) { m in
                let got = try T.child("""
                    p, data = sys.argv[1], bytes.fromhex(sys.argv[2])
                    def df():
                        s = os.statvfs(p)
                        return [s.f_frsize, s.f_blocks, s.f_bfree, s.f_bavail]
                    before = df()
                    fd = os.open(p + "/big", os.O_WRONLY | os.O_CREAT, 0o644)
                    writes = [call(lambda: os.write(fd, data)) for _ in range(4)]
                    print(json.dumps({
                        "before": before, "writes": writes, "after": df(),
                        "fallocate": call(lambda: os.posix_fallocate(fd, 0, 1 << 20)),
                        "create": call(lambda: os.open(p + "/another", os.O_WRONLY | os.O_CREAT, 0o644) and None),
                        "mkdir": call(lambda: os.mkdir(p + "/dir")),
                    }))
                    """, [m.mountPoint, T.hex(data)])
                #expect(try T.strings(got, "writes") == ["4096", "4096", "1808", "ENOSPC"])
                #expect(got["create"] as? String == "ENOSPC")
                #expect(got["fallocate"] as? String == "ENOSPC", "reserving 1 MiB on a full disk")
                #expect(got["mkdir"] as? String == "ENOSPC")
                let before = try #require(T.ints(got["before"])), after = try #require(T.ints(got["after"]))
                let block = before[0]
                #expect(before[1] == capacity / block && before[2] == capacity / block && before[3] == capacity / block,
                        "an empty disk of \(capacity) bytes: \(before)")
                #expect(after[1] == capacity / block && after[3] == (capacity - limit) / block, "full after \(limit) bytes: \(after)")
                let df = try Tool.run("df", ["-B1", "--output=size", m.mountPoint], timeout: 20)
                #expect(df.stdout.split(separator: "\n").last.map { $0.trimmingCharacters(in: .whitespaces) } == String(capacity / block * block), "\(df)")
                // Cleared: the real disk again, and writes go through.
                try m.control.must(.clear(id: nil))
                let cleared = try T.child("""
                    p = sys.argv[1]
                    s = os.statvfs(p)
                    fd = os.open(p + "/after", os.O_WRONLY | os.O_CREAT, 0o644)
                    print(json.dumps({"blocks": s.f_blocks, "write": call(lambda: os.write(fd, b"z" * 4096))}))
                    """, [m.mountPoint])
                let real = try must(FS.statvfs(m.fs.backing), "statvfs of the backing")
                #expect(T.int(cleared["blocks"]) == Int(real.f_blocks), "statfs reports the backing's disk once the rule is cleared")
                #expect(T.int(cleared["write"]) == 4096)
            }
            T.expectSame(run.backing["big"], data + data + Array(data[0..<1808]), "exactly \(limit) bytes stored")
            #expect(run.backing["another"] == nil && run.backing["dir/"] == nil, "the refused create and mkdir left nothing")
            #expect(run.backing["after"]?.count == 4096)
        }
    }
}
