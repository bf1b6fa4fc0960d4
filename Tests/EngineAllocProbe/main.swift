// engine-alloc-probe: counts the heap allocations of the fault engine's
// per-call checks, for FaultEngineAllocationTests. The engine promises that a
// call no rule fires on allocates nothing (FaultEngine.swift); FaultFS asks it
// on every FUSE operation once rules are armed, so an allocation there is paid
// by every call on the mount.
//
//   engine-alloc-probe [CALLS]
//
// It arms realistic rule sets, makes each check 100 times to settle one-time
// work (lazy globals, the ordinal entry of a (path, operation) a rule
// targets), then counts the allocations of CALLS more (10000 by default)
// with the malloc counter linked into this executable (Tests/CMallocCounter).
// Paths are built once, on the heap as FaultFS builds them, before counting.
//
// Output, one JSON object a line per case:
//   {"allocations":0,"calls":10000,"case":"idle-100/decide/no-match","expect":"none","kept":true}
// `expect` is `none` for a promise that the check allocates nothing, `some`
// for a control that must allocate (so a counter that counts nothing cannot
// pass). Exit 0 when every case kept its expectation, 1 when one did not,
// 2 on a bad argument.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CMallocCounter
import FaultEngine
import Foundation

/// One case's count, as the test reads it.
struct CaseResult: Codable {
    var `case`: String
    var calls: Int
    var allocations: UInt64
    var expect: Expectation
    var kept: Bool
}

enum Expectation: String, Codable {
    /// The engine promises no allocation.
    case none
    /// A control: it must allocate.
    case some
}

/// Runs each case and keeps its count.
struct Probe {
    let calls: Int
    let warmUp = 100
    private(set) var results: [CaseResult] = []

    init(calls: Int) { self.calls = calls }

    /// Counts the allocations of `calls` runs of `body` after `warmUp` runs.
    ///
    /// `body` returns something derived from the check's answer, summed into
    /// a sink, so an optimised build cannot drop the check.
    mutating func measure(_ name: String, expect: Expectation = .none, _ body: () -> UInt64) {
        var sink: UInt64 = 0
        for _ in 0..<warmUp { sink &+= body() }
        cmalloc_counter_reset()
        for _ in 0..<calls { sink &+= body() }
        let allocations = cmalloc_counter_read()
        keep(sink)
        let kept = expect == .none ? allocations == 0 : allocations > 0
        results.append(CaseResult(case: name, calls: calls, allocations: allocations, expect: expect, kept: kept))
    }
}

/// Writes one line to stderr.
func complain(_ line: String) {
    let text = line + "\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
}

/// Uses `value` where the optimiser cannot see, so the checks that made it stay.
@inline(never)
func keep(_ value: UInt64) {
    if value == 0x5eed_5eed_5eed_5eed { complain("") }
}

/// A copy of `text` in its own heap storage, as FaultFS's paths are (built
/// from readlink and names), not an immortal literal.
func heapString(_ text: String) -> String {
    String(decoding: Array(text.utf8), as: UTF8.self)
}

func weight(_ decision: Decision) -> UInt64 {
    decision.delayNanoseconds &+ (decision.effect == .proceed ? 0 : 1)
}

func weight(_ operations: OperationSet) -> UInt64 { operations.rawValue }

func weight(_ flag: Bool) -> UInt64 { flag ? 1 : 0 }

/// Names callers as /proc would, for the rule that filters by name.
struct TableResolver: CallerResolver {
    func name(of pid: Int32) -> String? { pid == 4242 ? "victim" : "worker" }
    func executable(of pid: Int32) -> String? { nil }
}

/// 100 rules on paths no call touches, as in README's idle-rules row.
func idleRules() throws -> [FaultRule] {
    try (1...100).map { index in
        FaultRule(.errno(ErrnoChoice(5)), name: "idle-\(index)", path: try Glob("nomatch/\(index)/**"))
    }
}

func makeEngine(_ rules: [FaultRule]) throws -> FaultEngine {
    let engine = FaultEngine(seed: 7, clock: SystemClock(), resolver: TableResolver())
    try engine.arm(Plan(rules: rules))
    return engine
}

func run(calls: Int) throws -> [CaseResult] {
    var probe = Probe(calls: calls)
    let worker = Caller(pid: 100)
    let other = heapString("workspace/project/src/main.swift")
    let otherDirectory = heapString("workspace/project/src")
    let nearMiss = heapString("nomatch/1000/cache/blob.bin")

    // The counter is live: a Swift array kept past the call must be counted.
    final class Holder { var array: [Int] = [] }
    let holder = Holder()
    probe.measure("control/swift-array", expect: .some) {
        holder.array = Array(repeating: 7, count: 16)
        return UInt64(holder.array.count)
    }

    // 100 idle rules: every check on a path none of them names.
    let idle = try makeEngine(try idleRules())
    probe.measure("idle-100/decide/no-match") { weight(idle.decide(.write, path: other, caller: worker, offset: 0, length: 4096)) }
    probe.measure("idle-100/decide/near-miss") { weight(idle.decide(.lookup, path: nearMiss, caller: worker)) }
    probe.measure("idle-100/operations-targeting") { weight(idle.operations(targeting: other)) }
    probe.measure("idle-100/operations-below") { weight(idle.operations(below: otherDirectory)) }
    probe.measure("idle-100/targets") { weight(idle.targets(path: other)) }
    probe.measure("idle-100/hides") { weight(idle.hides(name: other, caller: worker)) }

    // One rule on every path, for writes only: every other operation on a
    // path it matches, and the checks FaultFS caches per file.
    let writes = try makeEngine([FaultRule(.errno(ErrnoChoice(5)), name: "write-errors", operations: [.write])])
    probe.measure("write-only/decide/other-operation") { weight(writes.decide(.read, path: other, caller: worker, offset: 0, length: 4096)) }
    probe.measure("write-only/operations-targeting") { weight(writes.operations(targeting: other)) }
    probe.measure("write-only/targets") { weight(writes.targets(path: other)) }
    // A firing builds its trace line: the engine's own positive control.
    probe.measure("write-only/decide/fires", expect: .some) {
        weight(writes.decide(.write, path: other, caller: worker, offset: 0, length: 4096))
    }

    // A trial's mix: the idle rules, and rules that match but do not fire.
    let mixed = try makeEngine(try idleRules() + [
        FaultRule(.errno(ErrnoChoice(5)), name: "pid-filtered", path: try Glob("work/**"), operations: [.write],
                  callers: CallerFilter(include: [.pid(4242)])),
        FaultRule(.missing, name: "gone", path: try Glob("work/**/gone-*.txt")),
        FaultRule(.delay(DelayModel(.fixed(1_000_000))), name: "slow", path: try Glob("work/slow/**")),
        FaultRule(.errno(ErrnoChoice(28)), name: "never", path: try Glob("**/*.db"), probability: 0),
        FaultRule(.errno(ErrnoChoice(5)), name: "much-later", path: try Glob("**/*.log"), nth: 1_000_000_000),
        FaultRule(.errno(ErrnoChoice(13)), name: "by-name", path: try Glob("work/victim/**"),
                  callers: CallerFilter(include: [.name("victim")])),
    ])
    let output = heapString("work/data/output-0001.bin")
    let database = heapString("work/data/state-0001.db")
    let log = heapString("work/logs/service-0001.log")
    let gone = heapString("work/data/gone-0001.txt")
    probe.measure("mixed/decide/no-match") { weight(mixed.decide(.read, path: other, caller: worker, offset: 0, length: 4096)) }
    probe.measure("mixed/decide/caller-filtered") {
        weight(mixed.decide(.write, path: output, caller: worker, offset: 0, length: 4096))
    }
    probe.measure("mixed/decide/probability-0") {
        weight(mixed.decide(.write, path: database, caller: worker, offset: 0, length: 4096))
    }
    probe.measure("mixed/decide/nth-not-reached") {
        weight(mixed.decide(.write, path: log, caller: worker, offset: 0, length: 4096))
    }
    probe.measure("mixed/operations-targeting") { weight(mixed.operations(targeting: database)) }
    probe.measure("mixed/operations-below") { weight(mixed.operations(below: otherDirectory)) }
    probe.measure("mixed/targets") { weight(mixed.targets(path: output)) }
    probe.measure("mixed/hides/not-hidden") { weight(mixed.hides(name: output, caller: worker)) }
    probe.measure("mixed/hides/hidden") { weight(mixed.hides(name: gone, caller: worker)) }
    return probe.results
}

let arguments = CommandLine.arguments.dropFirst()
var calls = 10_000
if let first = arguments.first {
    guard arguments.count == 1, let value = Int(first), value > 0 else {
        complain("usage: engine-alloc-probe [CALLS]")
        exit(2)
    }
    calls = value
}
do {
    let results = try run(calls: calls)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    for result in results {
        print(String(decoding: try encoder.encode(result), as: UTF8.self))
    }
    exit(results.allSatisfy(\.kept) ? 0 : 1)
} catch {
    complain("engine-alloc-probe: \(error)")
    exit(1)
}
