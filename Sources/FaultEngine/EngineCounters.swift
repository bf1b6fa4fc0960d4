/// Totals since the engine started, for status output and tests.
public struct EngineCounters: Sendable, Hashable {
    /// Calls `decide` saw while armed.
    public var calls: UInt64
    /// Faults injected (trace lines written, delays included).
    public var faults: UInt64
    /// Trace lines waiting to be drained.
    public var pendingTraceLines: Int
}
