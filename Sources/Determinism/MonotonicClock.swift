/// A monotonic clock: the one way code that must be testable reads the time.
///
/// Code takes a clock instead of calling the system, so its tests pass a
/// `ManualClock` and need neither sleep nor luck.
public protocol MonotonicClock: Sendable {
    /// The time since an arbitrary, fixed origin; never goes backwards.
    func now() -> Duration

    /// The same reading in whole nanoseconds, 0 for a reading before the
    /// origin. The fault engine reads this on every armed call, so a clock
    /// may answer it without going through `Duration`.
    func nanoseconds() -> UInt64
}

extension MonotonicClock {
    /// `now()` in whole nanoseconds, wrapping after 584 years as
    /// `SystemClock` does.
    public func nanoseconds() -> UInt64 {
        let reading = now()
        guard reading > .zero else { return 0 }
        let (seconds, attoseconds) = reading.components
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }
}
