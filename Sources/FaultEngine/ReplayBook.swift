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
    /// Paths hidden from readdir because the trace made them missing, with
    /// how many of their `missing` faults are still to be replayed: once the
    /// last one has been, the path shows again, as when the recorded rule
    /// ran out.
    var missing: [String: Int] = [:]

    init(_ trace: [TraceEvent]) {
        for event in trace {
            events[Key(path: event.path, op: event.op, n: event.n), default: []].append(event)
            targets.insert(CallKey(path: event.path, op: event.op))
            if event.fault == FaultKind.missing.rawValue { missing[event.path, default: 0] += 1 }
        }
    }

    /// Counts one replayed `missing` fault of `path`.
    mutating func consumedMissing(_ path: String) {
        guard let left = missing[path] else { return }
        missing[path] = left > 1 ? left - 1 : nil
    }
}
