/// The faults of a recorded trace, looked up by (op, path, call ordinal) to inject them again.
struct ReplayBook: Sendable {
    struct Key: Hashable, Sendable {
        var path: String
        var op: FSOperation
        var n: UInt64
    }

    var events: [Key: [TraceEvent]] = [:]
    /// The (path, op) pairs that have events, so other calls are not counted.
    var targets: Set<CallKey> = []
    /// Paths hidden from readdir because the trace made them missing.
    var missing: Set<String> = []

    init(_ trace: [TraceEvent]) {
        for event in trace {
            events[Key(path: event.path, op: event.op, n: event.n), default: []].append(event)
            targets.insert(CallKey(path: event.path, op: event.op))
            if event.fault == FaultKind.missing.rawValue { missing.insert(event.path) }
        }
    }
}
