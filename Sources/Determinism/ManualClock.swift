import Synchronization

/// A clock that only moves when told to, for deterministic tests.
///
/// `sleep` returns at once and advances the clock by the requested time, so a
/// retry schedule of minutes runs in microseconds and every sleep is recorded.
/// The fault engine reads the same clock in nanoseconds, so one test can move
/// the time both see.
public final class ManualClock: SleepingClock {
    private struct State {
        var now: Duration
        var sleeps: [Duration] = []
    }
    private let state: Mutex<State>

    /// Creates a clock that starts at `start`.
    ///
    /// The default is an arbitrary reading well away from zero, so an
    /// instant a little before the start is still a positive reading.
    public init(start: Duration = .seconds(1000)) {
        state = Mutex(State(now: start))
    }

    public func now() -> Duration { state.withLock { $0.now } }

    /// Every duration passed to `sleep` or `sleepBlocking`, in order.
    public var sleeps: [Duration] { state.withLock { $0.sleeps } }

    /// Moves the clock forward, as if `duration` had passed while working.
    public func advance(by duration: Duration) {
        state.withLock { $0.now += duration }
    }

    public func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        sleepBlocking(for: duration)
    }

    public func sleepBlocking(for duration: Duration) {
        state.withLock {
            $0.sleeps.append(duration)
            $0.now += max(duration, .zero)
        }
    }
}
