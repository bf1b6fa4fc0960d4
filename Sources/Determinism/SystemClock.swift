#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real monotonic clock, `CLOCK_MONOTONIC`.
///
/// It calls libc directly rather than through the `SystemCalls` chokepoint,
/// because this module depends on nothing: `clock_gettime` on the monotonic
/// clock cannot fail with valid arguments, and `clock_nanosleep` returns its
/// error instead of setting errno, so its EINTR retry is the loop below.
public struct SystemClock: SleepingClock {
    /// Creates the system clock.
    public init() {}

    public func now() -> Duration {
        let spec = Self.monotonic()
        return .seconds(Int64(spec.tv_sec)) + .nanoseconds(Int64(spec.tv_nsec))
    }

    /// The reading in nanoseconds straight from `timespec`, without the
    /// 128-bit arithmetic of `Duration`.
    public func nanoseconds() -> UInt64 {
        let spec = Self.monotonic()
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    public func sleep(for duration: Duration) async throws {
        guard duration > .zero else { return try Task.checkCancellation() }
        try await Task.sleep(for: duration)
    }

    public func sleepBlocking(for duration: Duration) {
        guard duration > .zero else { return }
        let start = Self.monotonic()
        let (s, attoseconds) = duration.components
        var sec = Int(start.tv_sec) + Int(s)
        var nsec = Int(start.tv_nsec) + Int(attoseconds / 1_000_000_000)
        if nsec >= 1_000_000_000 { sec += 1; nsec -= 1_000_000_000 }
        var deadline = timespec(tv_sec: sec, tv_nsec: nsec)
        // An absolute deadline makes the retry after a signal exact.
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nil) == EINTR {}
    }

    private static func monotonic() -> timespec {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return spec
    }
}
