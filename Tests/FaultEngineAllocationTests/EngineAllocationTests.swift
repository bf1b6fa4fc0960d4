import FaultFSTestSupport
import Foundation
import Testing

/// One case's line from `engine-alloc-probe` (Tests/EngineAllocProbe/main.swift).
struct AllocationCount: Decodable, Sendable {
    var `case`: String
    var calls: Int
    var allocations: UInt64
    var expect: String
    var kept: Bool
}

/// The probe's exit and its cases, by name.
struct ProbeRun: Sendable {
    var exit: Termination
    var counts: [String: AllocationCount]
    var output: String
}

/// FaultFS asks the fault engine on every FUSE call once rules are armed, and
/// the engine promises that a call no rule fires on allocates nothing. The
/// promise is checked in a child process, `engine-alloc-probe`, which links
/// a malloc counter that counts every allocation of its thread; the test
/// process itself is left alone.
@Suite("The engine's per-call checks allocate nothing", .timeLimit(.minutes(2)))
struct EngineAllocationTests {
    static let calls = 10_000

    /// The probe runs once; every test reads its lines.
    static let run: Result<ProbeRun, SupportError> = {
        do {
            return .success(try runProbe())
        } catch let error as SupportError {
            return .failure(error)
        } catch {
            return .failure(SupportError("engine-alloc-probe: \(error)"))
        }
    }()

    static func runProbe() throws -> ProbeRun {
        let binary = try BuiltExecutable.path("engine-alloc-probe", override: "ENGINE_ALLOC_PROBE_BIN")
        let logs = try TemporaryDirectory("alloc-probe")
        defer { try? logs.remove() }
        let process = try ChildProcess.spawn(binary, ["\(calls)"], cwd: "/", stdout: logs.path("stdout"), stderr: logs.path("stderr"))
        guard let exit = process.wait(timeout: 90) else {
            process.killAndReap()
            throw SupportError("engine-alloc-probe ran past 90 s.")
        }
        let stdout = (try? FS.readText(logs.path("stdout")).get()) ?? ""
        let stderr = (try? FS.readText(logs.path("stderr")).get()) ?? ""
        let output = "\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
        var counts: [String: AllocationCount] = [:]
        for line in stdout.split(separator: "\n") {
            guard let count = try? JSONDecoder().decode(AllocationCount.self, from: Data(line.utf8)) else {
                throw SupportError("engine-alloc-probe printed a line that is not a case: '\(line)'.\(output)")
            }
            counts[count.case] = count
        }
        return ProbeRun(exit: exit, counts: counts, output: output)
    }

    /// The cases the engine promises allocate nothing, after warm-up.
    static let promises = [
        "idle-100/decide/no-match",
        "idle-100/decide/near-miss",
        "idle-100/operations-targeting",
        "idle-100/operations-below",
        "idle-100/targets",
        "idle-100/hides",
        "write-only/decide/other-operation",
        "write-only/operations-targeting",
        "write-only/targets",
        "mixed/decide/no-match",
        "mixed/decide/caller-filtered",
        "mixed/decide/probability-0",
        "mixed/decide/nth-not-reached",
        "mixed/operations-targeting",
        "mixed/operations-below",
        "mixed/targets",
        "mixed/hides/not-hidden",
        "mixed/hides/hidden",
    ]

    /// Cases that must allocate: without them a counter that counts nothing would pass.
    static let controls = ["control/swift-array", "write-only/decide/fires"]

    func count(_ name: String) throws -> AllocationCount {
        let run = try Self.run.get()
        return try #require(run.counts[name], "engine-alloc-probe printed no case '\(name)'.\(run.output)")
    }

    @Test("the counter counts: a kept Swift array and a firing rule allocate", arguments: controls)
    func controlAllocates(_ name: String) throws {
        let count = try count(name)
        #expect(count.calls == Self.calls)
        #expect(count.allocations > 0, "\(name): no allocation counted in \(count.calls) calls; the malloc counter is not live.")
    }

    @Test("a check no rule fires on allocates nothing", arguments: promises)
    func promiseKept(_ name: String) throws {
        let count = try count(name)
        #expect(count.calls == Self.calls)
        #expect(count.allocations == 0, "\(name): \(count.allocations) allocations in \(count.calls) calls.")
    }

    @Test("the probe prints exactly these cases and exits 0")
    func probeAgrees() throws {
        let run = try Self.run.get()
        #expect(Set(run.counts.keys) == Set(Self.promises + Self.controls), "\(run.output)")
        #expect(run.exit == .exited(0), "engine-alloc-probe ended with \(run.exit).\(run.output)")
    }
}
