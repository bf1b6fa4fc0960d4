@testable import FaultEngine

/// A caller that is not the harness.
let worker = Caller(pid: 100)

/// Builds an engine with a fake clock and arms `rules` in order.
func makeEngine(seed: UInt64 = 1, resolver: (any CallerResolver)? = nil, _ rules: FaultRule...) throws -> (FaultEngine, ManualClock) {
    let clock = ManualClock(start: .seconds(1))
    let engine = FaultEngine(seed: seed, clock: clock, resolver: resolver)
    for rule in rules { try engine.arm(rule) }
    return (engine, clock)
}

/// A resolver backed by a table, standing in for /proc.
struct TableResolver: CallerResolver {
    var names: [Int32: String]
    var executables: [Int32: String] = [:]
    func name(of pid: Int32) -> String? { names[pid] }
    func executable(of pid: Int32) -> String? { executables[pid] }
}

extension Glob {
    /// A glob for tests, where the pattern is known to be valid.
    static func of(_ pattern: String) -> Glob { try! Glob(pattern) }
}
