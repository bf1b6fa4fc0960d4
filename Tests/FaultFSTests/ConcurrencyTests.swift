#if canImport(Glibc)
import Glibc
#endif
import FaultFSTestSupport
import SystemPackage
import Testing

extension MountTests {
    /// Several processes writing one file at once (issue 2, test 8).
    @Suite("Concurrent writers", .timeLimit(.minutes(3)))
    struct ConcurrentWriters {
        static let processes = 4
        static let recordsEach = 500
        static let recordSize = 64

        @Test("4 processes × 500 O_APPEND records: exact size, every record intact and in order per writer")
        func appends() throws {
            try withMount { fs in
                let path = fs.path("log")
                try must(FS.writeFile(path, ""), "create log")
                // One write(2) per record, so each append is one FUSE write.
                let script = """
                    import os, sys
                    path, who, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
                    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
                    for i in range(count):
                        record = ("writer %d record %05d " % (who, i)).ljust(size - 1, "x") + "\\n"
                        n = os.write(fd, record.encode())
                        assert n == size, n
                    os.close(fd)
                    """
                let results = try runConcurrently((0..<Self.processes).map { who in
                    [Tool.python3, "-c", script, path, String(who), String(Self.recordsEach), String(Self.recordSize)]
                }, in: fs.scratch)
                for result in results { #expect(result.succeeded, "\(result)") }

                let content = try must(FS.readFile(path), "read log through the mount")
                #expect(content.count == Self.processes * Self.recordsEach * Self.recordSize)
                #expect(FS.same(content, try must(FS.readFile(fs.backingPath("log")), "read log in the backing")))
                var next = [Int](repeating: 0, count: Self.processes)
                var bad: [String] = []
                for start in stride(from: 0, to: content.count, by: Self.recordSize) {
                    let record = String(decoding: content[start..<min(start + Self.recordSize, content.count)], as: UTF8.self)
                    let words = record.split(separator: " ")
                    guard record.count == Self.recordSize, record.hasSuffix("\n"), words.count >= 4, words[0] == "writer",
                          let who = Int(words[1]), who >= 0, who < Self.processes, let index = Int(words[3]),
                          record == expectedRecord(who: who, index: String(words[3]))
                    else {
                        bad.append("offset \(start): \(record.debugDescription)")
                        continue
                    }
                    if index != next[who] { bad.append("offset \(start): writer \(who) record \(index), expected \(next[who])") }
                    next[who] = index + 1
                }
                #expect(bad.isEmpty, "torn or misplaced records: \(bad.prefix(10))")
                #expect(next == [Int](repeating: Self.recordsEach, count: Self.processes))
            }
        }

        @Test("4 processes pwrite disjoint regions at once: exact content")
        func disjointRegions() throws {
            try withMount { fs in
                let path = fs.path("regions")
                let region = 256 * 1024
                let chunk = 4096 + 512  // not page-aligned, so writes straddle pages
                try must(FS.writeFile(path, ""), "create regions")
                // Each writer fills its region chunk by chunk, in a shuffled
                // order, with bytes that encode writer and position.
                let script = """
                    import os, random, sys
                    path, who, region, chunk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
                    fd = os.open(path, os.O_WRONLY)
                    starts = list(range(0, region, chunk))
                    random.Random(who).shuffle(starts)
                    for start in starts:
                        length = min(chunk, region - start)
                        data = bytes(((who * 97 + start + i) * 31) % 251 for i in range(length))
                        assert os.pwrite(fd, data, who * region + start) == length
                    os.fsync(fd)
                    os.close(fd)
                    """
                let results = try runConcurrently((0..<4).map { who in
                    [Tool.python3, "-c", script, path, String(who), String(region), String(chunk)]
                }, in: fs.scratch)
                for result in results { #expect(result.succeeded, "\(result)") }

                var expected = [UInt8](repeating: 0, count: 4 * region)
                for who in 0..<4 {
                    for start in stride(from: 0, to: region, by: chunk) {
                        for i in 0..<min(chunk, region - start) {
                            expected[who * region + start + i] = UInt8(((who * 97 + start + i) * 31) % 251)
                        }
                    }
                }
                #expect(FS.same(try must(FS.readFile(path), "read regions through the mount"), expected))
                #expect(FS.same(try must(FS.readFile(fs.backingPath("regions")), "read regions in the backing"), expected))
            }
        }

        @Test("4 processes replace one file by write-fsync-rename while a reader checks every version is whole")
        func atomicReplace() throws {
            try withMount { fs in
                let target = fs.path("current")
                try must(FS.writeFile(target, "writer -1 version -1 " + String(repeating: ".", count: 2000) + " end\n"), "create current")
                let writer = """
                    import os, sys
                    d, who, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
                    for i in range(n):
                        body = ("writer %d version %d " % (who, i)) + ("%d" % who) * (2000 + i % 3000) + " end\\n"
                        tmp = os.path.join(d, ".tmp-%d-%d" % (who, i))
                        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                        os.write(fd, body.encode())
                        os.fsync(fd)
                        os.close(fd)
                        os.rename(tmp, os.path.join(d, "current"))
                    """
                let reader = """
                    import os, sys, time
                    path, deadline = sys.argv[1], time.time() + float(sys.argv[2])
                    reads = 0
                    while time.time() < deadline:
                        with open(path, "rb") as f:
                            data = f.read()
                        words = data.split(b" ")
                        ok = data.endswith(b" end\\n") and words[0] == b"writer" and words[2] == b"version" and len(words) == 6
                        if ok and words[1] != b"-1":
                            ok = words[4] == words[1] * (2000 + int(words[3]) % 3000)
                        if not ok:
                            print("torn read: %r" % data[:80]); sys.exit(1)
                        reads += 1
                    print(reads)
                    """
                let commands = (0..<4).map { [Tool.python3, "-c", writer, fs.mountPoint, String($0), "150"] }
                    + [[Tool.python3, "-c", reader, target, "4"]]
                let results = try runConcurrently(commands, in: fs.scratch)
                for result in results { #expect(result.succeeded, "\(result)") }
                let reads = Int(results.last!.stdout.trimmingWhitespace()) ?? 0
                #expect(reads > 10, "the reader read \(reads) versions")

                let names = try must(FS.listDirectory(fs.backing), "list the backing")
                #expect(names == ["current"], "no temporary file left: \(names)")
                let last = try must(FS.readText(fs.backingPath("current")), "read current in the backing")
                #expect(last.hasPrefix("writer ") && last.contains(" version 149 ") && last.hasSuffix(" end\n"), "\(last.prefix(40))")
                #expect(last == (try must(FS.readText(target), "read current through the mount")))
            }
        }

        /// What the Python writer writes: left-justified, padded with x, newline.
        func expectedRecord(who: Int, index: String) -> String {
            let head = "writer \(who) record \(index) "
            return head + String(repeating: "x", count: max(0, Self.recordSize - 1 - head.count)) + "\n"
        }
    }
}

/// Starts every command at once, then waits for all of them (10 minutes at
/// most each); output goes to files in `directory`.
func runConcurrently(_ commands: [[String]], in directory: String) throws -> [ToolResult] {
    let started = try commands.enumerated().map { index, command in
        try ChildProcess.spawn(command[0], Array(command.dropFirst()),
                               stdout: directory + "/concurrent-\(index).out", stderr: directory + "/concurrent-\(index).err")
    }
    return try started.enumerated().map { index, process in
        guard let ended = process.wait(timeout: 600) else {
            process.killAndReap()
            throw SupportError("\(process.commandLine.joined(separator: " ")) ran past 600 s and was killed.")
        }
        return ToolResult(
            commandLine: process.commandLine, exit: ended,
            stdout: (try? FS.readText(directory + "/concurrent-\(index).out").get()) ?? "",
            stderr: (try? FS.readText(directory + "/concurrent-\(index).err").get()) ?? "")
    }
}
