/// A monotonic clock that can also wait, for code that sleeps between
/// attempts (a retry's backoff) or until a deadline.
public protocol SleepingClock: MonotonicClock {
    /// Suspends the task for `duration`; throws `CancellationError` if the task is cancelled.
    func sleep(for duration: Duration) async throws

    /// Blocks the calling thread for `duration` (for synchronous APIs).
    func sleepBlocking(for duration: Duration)
}
