#if canImport(Glibc)
import Glibc
#endif
import FaultFS
import FaultFSTestSupport
import Foundation
import SystemPackage
import Testing

extension MountTests {
    /// Kernel passthrough for files no rule can reach: negotiated by hand
    /// over libfuse 3.14 (see Passthrough.swift). The conformance suites
    /// (git, tar, sqlite3, concurrency, the random-operation model, unlink
    /// while open) run on plain mounts, i.e. in passthrough; these tests pin
    /// down what is special about it: the mode is really used, rules still
    /// reach every file they target, and the kernel's one-mode-per-inode rule
    /// never turns into an EIO for the program.
    @Suite("Passthrough", .serialized, .timeLimit(.minutes(2)))
    struct Passthrough {
        typealias T = FaultTest

        /// The `passthrough` object of `counters`.
        static func counters(_ m: FaultMount) throws -> ControlReply.PassthroughCounters {
            let answer = try m.control.must(.counters)
            return try #require(answer.passthrough, "\(answer)")
        }

        @Test("with --control it is off unless asked for; --passthrough turns it on and reads bypass the daemon")
        func onlyWhenAsked() throws {
            let data = T.pattern(300_000, salt: 9)
            _ = try withFaultMount(setup: { b in try T.put(b, "f", data) }) { m in
                let got = try T.child("print(json.dumps({'r': open(sys.argv[1], 'rb').read().hex()}))", [m.path("f")])
                T.expectSame(T.bytes(hex: got["r"] as? String ?? ""), data, "read with --control only")
                let c = try Self.counters(m)
                #expect(c.available == false, "\(c)")
                #expect(c.granted == 0, "\(c)")
            }
            _ = try withFaultMount(arguments: ["--passthrough"], setup: { b in try T.put(b, "f", data) }) { m in
                let got = try T.child("""
                    fd = os.open(sys.argv[1], os.O_RDONLY)
                    data = b""
                    while True:
                        chunk = os.read(fd, 65536)
                        if not chunk: break
                        data += chunk
                    print(json.dumps({"r": data.hex()}))
                    os.close(fd)
                    """, [m.path("f")])
                T.expectSame(T.bytes(hex: got["r"] as? String ?? ""), data, "read in passthrough")
                let c = try Self.counters(m)
                #expect(c.available == true, "the kernel (6.9+) offers passthrough and faultbench runs as root: \(c)")
                #expect(c.granted == 1, "\(c)")
                #expect(c.open == 0, "the handle was released: \(c)")
            }
        }

        @Test("a rule reaches a file from its next open; a handle already in passthrough is reported by arm and bypasses it")
        func ruleReachesNextOpen() throws {
            let data = T.pattern(8192, salt: 3)
            _ = try withFaultMount(arguments: ["--passthrough"], setup: { b in try T.put(b, "f", data) }) { m in
                let got = try T.child("""
                    p, sock = sys.argv[1], sys.argv[2]
                    out = {}
                    early = os.open(p + "/f", os.O_RDONLY)
                    armed = ctl(sock, {"op": "arm", "plan": "rules:\\n  - {fault: errno, errno: EIO, ops: [read], path: f}\\n"})
                    out["passthrough_open"] = armed["passthrough_open"]
                    out["early"] = call(lambda: os.pread(early, 64, 0))
                    # While the early handle is open the kernel allows only
                    # passthrough for this inode: the new open joins it.
                    joined = os.open(p + "/f", os.O_RDONLY)
                    out["joined"] = call(lambda: os.pread(joined, 64, 0))
                    out["forced"] = ctl(sock, {"op": "counters"})["passthrough"]["forced"]
                    os.close(joined)
                    os.close(early)
                    later = os.open(p + "/f", os.O_RDONLY)
                    out["later"] = call(lambda: os.pread(later, 64, 0))
                    os.close(later)
                    print(json.dumps(out))
                    """, [m.mountPoint, m.socketPath])
                let head = T.hex(data.prefix(64))
                #expect(T.int(got["passthrough_open"]) == 1, "\(got)")
                #expect(got["early"] as? String == head, "a handle opened before the rule keeps bypassing it")
                #expect(got["joined"] as? String == head)
                #expect(T.int(got["forced"]) == 1, "\(got)")
                #expect(got["later"] as? String == "EIO", "once every handle was closed, the next open is the rule's")
            }
        }

        @Test("with a fixed plan: untargeted files in passthrough, targeted ones still faulted")
        func fixedPlan() throws {
            let plan = "rules:\n  - {fault: errno, errno: EIO, ops: [read], path: 'hot/**'}\n  - {fault: short-write, path: 'hot/**', bytes: 10}\n"
            try withTemporaryDirectory("pt-plan") { dir in
                let backing = try dir.makeDirectory("backing"), mnt = try dir.makeDirectory("mnt")
                try must(FS.mkdir(backing + "/hot"), "mkdir hot")
                try T.put(backing, "cold.txt", "cold data")
                try T.put(backing, "hot/file", "hot data")
                try must(FS.writeFile(dir.path("plan.yaml"), plan), "write the plan")
                try withMount(backing: backing, mountPoint: mnt, arguments: ["--plan", dir.path("plan.yaml")]) { fs in
                    let got = try T.child("""
                        p = sys.argv[1]
                        out = {}
                        out["cold"] = call(lambda: open(p + "/cold.txt", "rb").read())
                        out["hot"] = call(lambda: open(p + "/hot/file", "rb").read())
                        fd = os.open(p + "/hot/new", os.O_WRONLY | os.O_CREAT, 0o644)
                        out["short"] = call(lambda: os.write(fd, b"x" * 100))
                        os.close(fd)
                        fd = os.open(p + "/cold.txt", os.O_WRONLY | os.O_APPEND)
                        out["append"] = call(lambda: os.write(fd, b"+more"))
                        os.close(fd)
                        print(json.dumps(out))
                        """, [fs.canonicalMountPoint])
                    #expect(got["cold"] as? String == T.hex(Array("cold data".utf8)))
                    #expect(got["hot"] as? String == "EIO")
                    #expect(T.int(got["short"]) == 10, "\(got)")
                    #expect(T.int(got["append"]) == 5, "\(got)")
                }
                #expect(try must(FS.readText(backing + "/cold.txt"), "read back") == "cold data+more")
            }
        }

        @Test("opens in passthrough and in the page cache never mix on one inode, so no open fails with EIO")
        func modesNeverMix() throws {
            let data = T.pattern(4096, salt: 5)
            _ = try withFaultMount(arguments: ["--passthrough"], setup: { b in
                try T.put(b, "f", data)
                try T.put(b, "g", data)
            }) { m in
                let got = try T.child("""
                    p, sock = sys.argv[1], sys.argv[2]
                    def granted():
                        return ctl(sock, {"op": "counters"})["passthrough"]["granted"]
                    out = {}
                    # A crash rule (on another file) makes every write count
                    # for durability: no passthrough while it is armed.
                    ctl(sock, {"op": "arm", "plan": "rules:\\n  - {fault: power-loss, path: other, ops: [fsync]}\\n"})
                    cached = os.open(p + "/f", os.O_RDWR)
                    out["g0"] = granted()
                    ctl(sock, {"op": "clear"})
                    # The page-cache handle is still open: a new open of the
                    # same file must not ask for passthrough (the kernel
                    # would fail it with EIO), another file may.
                    second = call(lambda: os.open(p + "/f", os.O_RDONLY))
                    out["second"] = call(lambda: os.pread(second, 16, 0)) if isinstance(second, int) else second
                    out["g1"] = granted()
                    other = os.open(p + "/g", os.O_RDONLY)
                    out["g2"] = granted()
                    # Both views of f agree.
                    os.pwrite(cached, b"NEW!", 0)
                    out["seen"] = call(lambda: os.pread(second, 4, 0)) if isinstance(second, int) else second
                    for fd in (cached, second, other):
                        if isinstance(fd, int): os.close(fd)
                    third = os.open(p + "/f", os.O_RDONLY)
                    out["g3"] = granted()
                    out["third"] = call(lambda: os.pread(third, 4, 0))
                    # A writer joins a reader in passthrough.
                    writer = call(lambda: os.open(p + "/f", os.O_WRONLY | os.O_APPEND))
                    out["append"] = call(lambda: os.write(writer, b"tail"))
                    out["g4"] = granted()
                    out["tail"] = call(lambda: os.pread(third, 4, 4096))
                    os.close(writer)
                    os.close(third)
                    print(json.dumps(out))
                    """, [m.mountPoint, m.socketPath])
                #expect(T.int(got["g0"]) == 0, "no passthrough while durability is tracked: \(got)")
                #expect(got["second"] as? String == T.hex(data.prefix(16)), "\(got)")
                #expect(T.int(got["g1"]) == 0, "the second open joined the page cache: \(got)")
                #expect(T.int(got["g2"]) == 1, "another file is free to use passthrough: \(got)")
                #expect(got["seen"] as? String == T.hex(Array("NEW!".utf8)))
                #expect(T.int(got["g3"]) == 2, "with every handle closed, passthrough again: \(got)")
                #expect(got["third"] as? String == T.hex(Array("NEW!".utf8)))
                #expect(T.int(got["append"]) == 4, "\(got)")
                #expect(T.int(got["g4"]) == 3, "\(got)")
                #expect(got["tail"] as? String == T.hex(Array("tail".utf8)))
            }
        }

        @Test("a plain mount reads in passthrough (no READ reaches the daemon); --no-passthrough sends every read through it, with the same bytes")
        func plainMountAndTurnedOff() throws {
            let data = T.pattern(100_000, salt: 2)
            // libfuse's --debug output names every request the daemon gets:
            // the one observable a plain mount (no control socket) offers.
            for (arguments, readsReachDaemon) in [(["--debug"], false), (["--debug", "--no-passthrough"], true)] {
                try withTemporaryDirectory("pt-off") { dir in
                    let backing = try dir.makeDirectory("backing"), mnt = try dir.makeDirectory("mnt")
                    try T.put(backing, "f", data)
                    try withMount(backing: backing, mountPoint: mnt, arguments: arguments) { fs in
                        let got = try T.child("print(json.dumps({'r': open(sys.argv[1], 'rb').read().hex()}))", [fs.path("f")])
                        T.expectSame(T.bytes(hex: got["r"] as? String ?? ""), data, "\(arguments)")
                        let log = fs.stderr
                        #expect(log.contains("opcode: OPEN"), "the debug log shows requests at all: \(arguments)")
                        #expect(log.contains("opcode: READ") == readsReachDaemon, "READ requests with \(arguments)")
                    }
                }
            }
        }
    }
}
