/// Everything mutable in the engine, kept behind one `Mutex`.
struct EngineState: Sendable {
    var rules: [ArmedRule] = [] {
        didSet { prefilter = RulePrefilter(rules) }
    }
    /// Rebuilt whenever rules are armed or cleared (not when their counters move).
    private(set) var prefilter = RulePrefilter()
    var ordinals: [CallKey: UInt64] = [:]
    var trace: [String] = []
    var seq: UInt64 = 0
    var nextID: UInt64 = 1
    /// Rules armed since the engine started or the last `clearAll`; numbers the default rule names.
    var armedInEpoch: UInt64 = 0
    var calls: UInt64 = 0
    var faults: UInt64 = 0
    var replay: ReplayBook?
    /// Pids never faulted nor counted (`FaultEngine.exempt`).
    var exempt: Set<Int32> = []
    /// The clock reading that trace times count from: the engine's start or the last `clearAll`.
    var origin: UInt64 = 0

    /// Bumps and returns the ordinal of this (path, op); called only once some rule targets the call.
    mutating func nextOrdinal(path: String, op: FSOperation) -> UInt64 {
        let key = CallKey(path: path, op: op)
        let n = ordinals[key, default: 0] + 1
        ordinals[key] = n
        return n
    }

    mutating func record(rule: String, fault: String, op: FSOperation, path: String, n: UInt64, offset: Int64,
                         length: Int, result: String, pid: Int32, at elapsed: UInt64) {
        seq += 1
        faults += 1
        trace.append(TraceEvent(seq: seq, nanoseconds: elapsed, rule: rule, fault: fault, op: op, path: path, n: n,
                                offset: offset, length: length, result: result, pid: pid).jsonLine)
    }
}
