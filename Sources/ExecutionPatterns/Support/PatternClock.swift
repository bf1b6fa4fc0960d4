import Synchronization

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

/// A clock that only moves when told to, for deterministic tests.
///
/// `sleep` returns at once and advances the clock by the requested time, so a
/// retry schedule of minutes runs in microseconds and every sleep is recorded.
public final class ManualClock: PatternClock {
    private struct State {
        var now: Duration
        var sleeps: [Duration] = []
    }
    private let state: Mutex<State>

    /// Creates a clock that starts at `start`.
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

/// A point in time on a `PatternClock` after which work must stop.
public struct Deadline: Sendable {
    /// The instant, on `clock`'s timeline.
    public let instant: Duration
    /// The clock the instant is measured on.
    public let clock: any PatternClock

    /// A deadline `duration` from now on `clock`.
    public init(after duration: Duration, clock: any PatternClock = SystemClock()) {
        self.clock = clock
        self.instant = clock.now() + duration
    }

    /// A deadline at `instant` on `clock`.
    public init(at instant: Duration, clock: any PatternClock) {
        self.clock = clock
        self.instant = instant
    }

    /// Time left, never negative.
    public var remaining: Duration { max(instant - clock.now(), .zero) }

    /// Whether the deadline has passed.
    public var hasPassed: Bool { clock.now() >= instant }

    /// The earlier of two deadlines on the same clock.
    public func earlier(than other: Deadline?) -> Deadline {
        guard let other, other.instant < instant else { return self }
        return other
    }
}

/// SplitMix64: a small, fast generator whose sequence depends only on its seed.
///
/// Used for the retry jitter in tests (and by anyone who wants a reproducible
/// schedule); production code can pass `SystemRandomNumberGenerator`.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator; the same seed always gives the same sequence.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
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
