/// Everything mutable in the engine, kept behind one `Mutex`.
struct EngineState: Sendable {
    /// The armed rules, in arming order. Only `addRules`, `removeRule(at:)`
    /// and `removeAllRules` change which rules there are, and each rebuilds
    /// the prefilter; a rule's counters and stream move in place through
    /// `withRule`, which leaves the prefilter alone. (A `didSet` here ran on
    /// every `matched += 1` too, rebuilding the prefilter on every matching
    /// call.)
    private(set) var rules: [ArmedRule] = []
    /// Rebuilt whenever rules are armed or cleared, never when their counters move.
    private(set) var prefilter = RulePrefilter()
    /// How many times the prefilter was built; a test checks that deciding never builds it.
    private(set) var prefilterBuilds: UInt64 = 0
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

    mutating func addRules(_ added: [ArmedRule]) {
        rules += added
        rebuildPrefilter()
    }

    mutating func removeRule(at index: Int) {
        rules.remove(at: index)
        rebuildPrefilter()
    }

    mutating func removeAllRules() {
        rules.removeAll()
        rebuildPrefilter()
    }

    /// Whether `test` holds for some armed rule, in arming order.
    ///
    /// An index loop, not `rules.contains(where:)`: a debug build iterates an
    /// array through unspecialised generic code that allocates on every
    /// element, and engine-alloc-probe checks the debug build for allocations.
    func anyRule(_ test: (ArmedRule) -> Bool) -> Bool {
        for index in rules.indices where test(rules[index]) { return true }
        return false
    }

    /// Runs `body` on rule `index` in place: counters and streams move, the set of rules does not.
    @inline(__always)
    mutating func withRule<R>(_ index: Int, _ body: (inout ArmedRule) -> R) -> R {
        body(&rules[index])
    }

    private mutating func rebuildPrefilter() {
        prefilter = RulePrefilter(rules)
        prefilterBuilds += 1
    }

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
