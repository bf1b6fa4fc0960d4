/// A monotonic clock the timing patterns read and sleep on.
///
/// The retry loop, the circuit breaker and the planning budget take a clock
/// instead of calling the system directly, so their tests run on a
/// `ManualClock` that neither sleeps nor depends on the machine's speed.
public protocol PatternClock: Sendable {
    /// The time since an arbitrary, fixed origin; never goes backwards.
    func now() -> Duration
    /// Suspends the task for `duration`; throws `CancellationError` if the task is cancelled.
    func sleep(for duration: Duration) async throws
    /// Blocks the calling thread for `duration` (for the synchronous APIs).
    func sleepBlocking(for duration: Duration)
}

/// The real monotonic clock (`CLOCK_MONOTONIC`).
public struct SystemClock: PatternClock {
    /// Creates the system clock.
    public init() {}

    public func now() -> Duration { Posix.monotonicNow() }

    public func sleep(for duration: Duration) async throws {
        guard duration > .zero else { return try Task.checkCancellation() }
        try await Task.sleep(for: duration)
    }

    public func sleepBlocking(for duration: Duration) { Posix.sleepBlocking(duration) }
}

extension Duration {
    /// The duration in seconds, as a Double (for ratios and reports).
    var seconds: Double {
        let (s, a) = components
        return Double(s) + Double(a) / 1e18
    }

    /// A duration from a number of seconds; negative and non-finite values give zero.
    static func fromSeconds(_ value: Double) -> Duration {
        guard value.isFinite, value > 0 else { return .zero }
        return .nanoseconds(Int64(min(value * 1e9, Double(Int64.max / 2))))
    }
}
