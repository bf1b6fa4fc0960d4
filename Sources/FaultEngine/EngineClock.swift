@_exported import Determinism

// Re-exported because the engine's public API names these types (an engine
// takes a clock; its tests pass a `ManualClock`), and they used to be the
// engine's own: `import FaultEngine` alone still gives `SystemClock`,
// `ManualClock` and `SplitMix64`, now the same types the pattern library has.

/// The clock the engine reads: a monotonic clock, read in nanoseconds with
/// `nanoseconds()` and never any other way, so tests pass a `ManualClock`.
public typealias EngineClock = MonotonicClock
