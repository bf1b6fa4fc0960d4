#if canImport(Glibc)
import Glibc
#endif
import ExecutionPatterns
import FaultFSTestSupport
import Foundation
import SystemPackage
import Testing

/// EXEC-003's timeouts and output limit (issue 10, points 3 and 4), run by
/// `pattern-probe tool-run` as PID 1 of its own PID namespace: the probe
/// counts what is left alive of the tool, and a kill that goes astray
/// cannot reach any process of this session.
@Suite("EXEC-003 timeouts and output limit, in a PID namespace", .timeLimit(.minutes(1)))
struct ToolGuardIsolatedTests {
    /// Runs `pattern-probe tool-run ARGUMENTS` under `unshare --pid --fork --mount-proc`; returns its lines as a dictionary.
    static func runProbe(_ arguments: [String]) throws -> [String: String] {
        let logs = try FaultFSTestSupport.TemporaryDirectory("probe")
        defer { try? logs.remove() }
        let child = try ChildProcess.spawn("/usr/bin/unshare", ["--pid", "--fork", "--mount-proc", try PatternProbe.path(), "tool-run"] + arguments,
                                           cwd: "/", stdout: logs.path("stdout"), stderr: logs.path("stderr"))
        guard let ended = child.wait(timeout: 30) else {
            child.killAndReap()
            throw SupportError("pattern-probe tool-run ran past 30 s")
        }
        let out = (try? String(contentsOfFile: logs.path("stdout"), encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: logs.path("stderr"), encoding: .utf8)) ?? ""
        guard ended == .exited(0) else { throw SupportError("pattern-probe tool-run ended with \(ended): \(out) \(err)") }
        var fields: [String: String] = [:]
        for line in out.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            fields[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return fields
    }

    /// Writes `script` as a tool and runs it through the probe, with the tool's directory as its argument.
    static func probe(timeoutMs: Int, outputLimit: Int, within: Int? = nil, script: String) throws -> [String: String] {
        let dir = try FaultFSTestSupport.TemporaryDirectory("tool")
        defer { try? dir.remove() }
        let tool = dir.path("tool.sh")
        // Written through a close-on-exec descriptor: a write descriptor that
        // leaked into a process another test spawns meanwhile would make
        // exec fail with ETXTBSY.
        try AtomicFile.write("#!/bin/sh\n" + script, to: FilePath(tool), options: .init(permissions: .exactly(0o755)))
        return try runProbe([String(timeoutMs), String(outputLimit)] + (within.map { ["--within", String($0)] } ?? []) + [tool, dir.path])
    }

    @Test("Timeout: the tool exits on SIGTERM, its grandchild ignores it; after the timeout nothing of the tool's process group is alive")
    func grandchildIgnoringSIGTERM() throws {
        let r = try Self.probe(timeoutMs: 400, outputLimit: 1000, script: """
            ( trap '' TERM; while :; do echo x >> "$1/ticks"; sleep 0.02; done ) &
            echo started
            wait
            """)
        #expect(r["timedOut"] == "true", "\(r)")
        #expect(r["alive"] == "0", "processes of the tool left alive after the timeout: \(r)")
    }

    @Test("A timeout kills a sleep 5 promptly")
    func timeout() throws {
        let r = try Self.probe(timeoutMs: 300, outputLimit: 1000, script: "exec sleep 5\n")
        #expect(r["timedOut"] == "true" && r["status"] != "exited(0)", "\(r)")
        #expect(Int(r["duration-ms"] ?? "") ?? .max < 4000, "\(r)")
        #expect(r["alive"] == "0", "\(r)")
    }

    @Test("A tool that dies on SIGTERM ends the timeout at once: its leader, dead but not yet reaped, is not waited for")
    func deadLeaderIsNotWaitedFor() throws {
        // Before, the unreaped leader kept the group "alive": every timeout
        // took the 500 ms grace and the second after SIGKILL too (1.8 s here).
        let r = try Self.probe(timeoutMs: 300, outputLimit: 1000, script: "exec sleep 5\n")
        #expect(r["timedOut"] == "true", "\(r)")
        #expect(Int(r["duration-ms"] ?? "") ?? .max < 750, "\(r)")
        #expect(r["alive"] == "0", "\(r)")
    }

    @Test("A timeout also stops the processes the tool started (a background grandchild that obeys SIGTERM)")
    func timeoutKillsGrandchildren() throws {
        let r = try Self.probe(timeoutMs: 300, outputLimit: 1000, script: "(sleep 3; touch \"$1/survived\") & sleep 30\n")
        #expect(r["timedOut"] == "true" && Int(r["duration-ms"] ?? "") ?? .max < 3000, "\(r)")
        #expect(r["alive"] == "0", "\(r)")
    }

    @Test("The timeout fires on time while the caller's async threads are all blocked")
    func timeoutWhileThreadsAreBusy() throws {
        let dir = try FaultFSTestSupport.TemporaryDirectory("busy")
        defer { try? dir.remove() }
        let tool = dir.path("tool.sh")
        // Ticks every 20 ms; the probe blocks every async thread for 3 s once it has started.
        try AtomicFile.write("""
            #!/bin/sh
            touch "$1/started"
            while :; do date +%s%N >> "$1/ticks"; sleep 0.02; done
            """, to: FilePath(tool), options: .init(permissions: .exactly(0o755)))
        let start = Date()
        let r = try Self.runProbe(["300", "1000", "--starve-after", dir.path("started"), "3000", tool, dir.path])
        #expect(r["timedOut"] == "true", "\(r)")
        let ticks = ((try? String(contentsOfFile: dir.path("ticks"), encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Double($0) }
        let first = try #require(ticks.first, "no tick")
        let last = try #require(ticks.last)
        #expect((last - first) / 1e9 < 1.5, "the tool ticked \((last - first) / 1e9) s, past its 300 ms timeout (threads blocked for 3 s)")
        #expect(Date().timeIntervalSince(start) > 3, "the threads were blocked: the probe could not finish before")
    }

    @Test("A deadline cuts the timeout to the time left")
    func deadline() throws {
        let r = try Self.probe(timeoutMs: 60_000, outputLimit: 1000, within: 300, script: "exec sleep 5\n")
        #expect(r["timedOut"] == "true" && Int(r["duration-ms"] ?? "") ?? .max < 4000, "\(r)")
        #expect(r["alive"] == "0", "\(r)")
    }

    @Test("Timeout: what the tool wrote before it was stopped is kept", arguments: [
        "echo partial; echo oops >&2; exec sleep 10\n",
        "echo partial; echo oops >&2; sleep 10\n",
        "echo partial; echo oops >&2; trap '' TERM; sleep 10\n",
        "echo partial; echo oops >&2; ( trap '' TERM; sleep 10 ) & wait\n",
    ])
    func outputKeptOnTimeout(script: String) throws {
        let r = try Self.probe(timeoutMs: 400, outputLimit: 1000, script: script)
        #expect(r["timedOut"] == "true", "\(r)")
        #expect(r["stdout"] == "partial|", "\(r)")
        #expect(r["stderr-bytes"] == "5", "\(r)")
        #expect(r["alive"] == "0", "\(r)")
    }

    @Test("Output over the limit is its own error, with the first bytes kept and the exit status; the tool is not stopped for it")
    func outputOverLimit() throws {
        let r = try Self.probe(timeoutMs: 10_000, outputLimit: 1000, script: """
            head -c 300000 /dev/zero | tr '\\0' a
            echo finished > "$1/finished"
            exit 3
            """)
        #expect(r["error"] == "outputLimitExceeded", "not 'could not start': \(r)")
        #expect(r["stdout-bytes"] == "1000", "\(r)")
        #expect(r["stdout"] == String(repeating: "a", count: 1000), "\(r["stdout"] ?? "none")")
        #expect(r["status"] == "exited(3)", "the tool ran to its end: \(r)")
        #expect(r["timedOut"] == "false", "\(r)")
    }
}
