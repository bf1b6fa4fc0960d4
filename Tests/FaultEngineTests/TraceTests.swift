import Testing
@testable import FaultEngine

struct TraceTests {
    /// A workload touching several paths and operations, with a clock that moves.
    static func workload(_ engine: FaultEngine, _ clock: ManualClock) {
        for i in 0..<200 {
            let path = "data/\(i % 5)/f.json"
            _ = engine.decide(.open, path: path, caller: worker)
            _ = engine.decide(.write, path: path, caller: worker, offset: Int64(i) * 4096, length: 4096 + i)
            _ = engine.decide(.read, path: path, caller: worker, offset: 0, length: 512)
            _ = engine.decide(.fsync, path: path, caller: worker)
            clock.advance(by: .nanoseconds(1_234_567))
        }
    }

    static let plan = """
        rules:
          - name: flaky
            fault: errno
            path: "data/**/*.json"
            ops: [open]
            errno: {EIO: 3, ENOSPC: 1}
            probability: 0.2
          - name: slow
            fault: delay
            distribution: log-normal
            median: 2ms
            sigma: 0.7
            probability: 0.1
          - {name: short, fault: short-write, at-most: 3000, probability: 0.1}
          - {name: torn, fault: torn-write, block: 512, every: 17}
          - {name: rot, fault: corrupt-read, mode: random, bytes: 16, probability: 0.05}
          - {name: lie, fault: fsync-fail, nth: 40}
        """

    static func run(seed: UInt64) throws -> [String] {
        let clock = ManualClock()
        let engine = FaultEngine(seed: seed, clock: clock)
        try engine.arm(try Plan.parse(yaml: plan))
        workload(engine, clock)
        return engine.drainTrace()
    }

    @Test func sameSeedGivesAByteIdenticalTrace() throws {
        let first = try Self.run(seed: 2024)
        #expect(first.count > 50)
        #expect(first == (try Self.run(seed: 2024)))
        #expect(first != (try Self.run(seed: 2025)))
        let faults = Set(try first.map { try TraceEvent(jsonLine: $0).fault })
        #expect(faults == ["errno", "delay", "short-write", "torn-write", "corrupt-read", "fsync-fail"])
    }

    @Test func traceLineHasFixedKeyOrderAndEscapes() throws {
        let event = TraceEvent(seq: 3, nanoseconds: 2_000_000_001, rule: "r\"1", fault: "errno", op: .write, path: "a\\b\n",
                               n: 7, offset: 4096, length: 100, result: "EIO", pid: 42)
        #expect(event.jsonLine == #"{"seq":3,"t":2.000000001,"rule":"r\"1","fault":"errno","op":"write","path":"a\\b\n","n":7,"offset":4096,"length":100,"result":"EIO","pid":42}"#)
        #expect(try TraceEvent(jsonLine: event.jsonLine) == event)
    }

    @Test("bad trace lines name the problem", arguments: [
        (#"{"seq":1}"#, "trace line 1: the key \"t\" is missing."),
        (#"{"seq":1,"t":0.5,"rule":"r","fault":"f","op":"mount","path":"p","n":1,"offset":0,"length":0,"result":"EIO","pid":1}"#,
         "trace line 1: \"op\" is mount, which is not a filesystem operation."),
        (#"{"seq":x"#, "trace line 1: the object is never closed."),
    ])
    func badLines(line: String, message: String) {
        do {
            _ = try TraceEvent(jsonLine: line)
            Issue.record("the line should not parse")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func clearAllStartsANewEpochSoTrialsOnOneEngineMatchAFreshOne() throws {
        let clock = ManualClock()
        let engine = FaultEngine(seed: 2024, clock: clock)
        try engine.arm(try Plan.parse(yaml: Self.plan))
        Self.workload(engine, clock)
        let first = engine.drainTrace()
        clock.advance(by: .seconds(5))
        engine.clearAll()
        try engine.arm(try Plan.parse(yaml: Self.plan))
        Self.workload(engine, clock)
        #expect(engine.drainTrace() == first)
    }

    @Test func replayReinjectsTheSameFaults() throws {
        let original = try Self.run(seed: 99)
        let events = try TraceEvent.parse(trace: original.joined(separator: "\n") + "\n")
        #expect(events.count == original.count)
        let clock = ManualClock()
        let replay = FaultEngine(replaying: events, clock: clock)
        #expect(replay.isArmed && replay.targets(path: "data/1/f.json") && !replay.targets(path: "elsewhere"))
        Self.workload(replay, clock)
        #expect(replay.drainTrace() == original)
    }

    @Test func effectTraceResultsRoundTrip() {
        let effects: [Effect] = [
            .fail(5), .short(100), .torn(stored: 4096), .lost, .fsyncFail, .killAfter(bytes: 7, pid: 1),
            .corrupt(CorruptionPlan(mode: .zero(bytes: nil), seed: 0xABC)),
            .corrupt(CorruptionPlan(mode: .flipBits(2), seed: 1)),
            .powerLoss(PowerLossPlan(seed: 77, metadata: true, keepProbability: 0.5, kill: [.pid(1)])),
        ]
        for effect in effects {
            let text = effect.traceResult(length: 9000)
            #expect(Effect.fromTrace(result: text, pid: 1)?.effect == effect, "\(text)")
        }
        #expect(Effect.fromTrace(result: Effect.delayText(2_000_123), pid: 1)?.delay == 2_000_123)
    }

    @Test func drainEmptiesAndCountersCount() throws {
        let (engine, _) = try makeEngine(FaultRule(.errno(ErrnoChoice(5)), path: .of("a")))
        _ = engine.decide(.open, path: "a", caller: worker)
        _ = engine.decide(.open, path: "b", caller: worker)
        #expect(engine.counters() == EngineCounters(calls: 2, faults: 1, pendingTraceLines: 1))
        #expect(engine.drainTrace().count == 1)
        #expect(engine.traceLines().isEmpty)
    }

    @Test func onDemandPowerLossIsTraced() throws {
        let (engine, _) = try makeEngine(seed: 5)
        let plan = engine.powerLossNow(PowerLossOptions(keepProbability: 0.5))
        #expect(plan.keepProbability == 0.5)
        let line = try TraceEvent(jsonLine: engine.traceLines()[0])
        #expect(line.rule == "on-demand" && line.fault == "power-loss")
        #expect(Effect.fromTrace(result: line.result, pid: 7)?.effect == .powerLoss(PowerLossPlan(seed: plan.seed, keepProbability: 0.5, kill: [.pid(7)])))
        // Pid 0 is the kernel's own request: replayed, it kills nobody.
        #expect(Effect.fromTrace(result: line.result, pid: 0)?.effect == .powerLoss(PowerLossPlan(seed: plan.seed, keepProbability: 0.5, kill: [])))
    }
}
