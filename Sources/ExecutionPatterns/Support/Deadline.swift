import Determinism

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
