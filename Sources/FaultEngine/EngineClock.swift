#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A monotonic clock in nanoseconds; the engine never reads time any other way, so tests pass a fake.
public protocol EngineClock: Sendable {
    /// Nanoseconds on a monotonic scale; only differences are meaningful.
    func now() -> UInt64
}

/// The real monotonic clock, `clock_gettime(CLOCK_MONOTONIC)`: the one call the engine makes to the system.
public struct SystemClock: EngineClock {
    /// Creates the clock.
    public init() {}

    public func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }
}

/// A clock that only moves when told to, for tests and for replaying a trace at its recorded times.
public final class ManualClock: EngineClock {
    private let nanoseconds: Atomic<UInt64>

    /// Creates a clock reading `start` nanoseconds.
    public init(start: UInt64 = 0) { nanoseconds = Atomic(start) }

    public func now() -> UInt64 { nanoseconds.load(ordering: .relaxed) }

    /// Moves the clock forward by `delta` nanoseconds.
    public func advance(by delta: UInt64) { nanoseconds.add(delta, ordering: .relaxed) }

    /// Moves the clock forward by a number of milliseconds.
    public func advance(milliseconds: UInt64) { advance(by: milliseconds * 1_000_000) }

    /// Sets the clock to `value` nanoseconds.
    public func set(_ value: UInt64) { nanoseconds.store(value, ordering: .relaxed) }
}
