@_exported import Determinism

// Re-exported because the patterns' public API names these types (a retrier,
// breaker, budget or deadline takes a clock; tests pass a `ManualClock` and
// a `SeededRandom`), and they used to be the library's own: `import
// ExecutionPatterns` alone still gives them, now the same types the fault
// engine has. The library still stands alone: Determinism depends on nothing.

/// A monotonic clock the timing patterns read and sleep on.
///
/// The retry loop, the circuit breaker and the planning budget take a clock
/// instead of calling the system directly, so their tests run on a
/// `ManualClock` that neither sleeps nor depends on the machine's speed.
/// `SystemClock` is the real one.
public typealias PatternClock = SleepingClock
