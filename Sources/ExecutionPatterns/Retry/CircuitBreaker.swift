import Determinism
import Synchronization

/// Stops calls to a dependency whose recent calls mostly failed, then lets a probe through after a cool-down.
///
/// Closed: calls pass and their outcomes fill a window of the last
/// `windowSize` calls; when at least `minimumCalls` are in it and the share
/// of failures reaches `failureRatio`, the breaker opens. Open: calls are
/// refused until `openDuration` has passed, then it is half-open. Half-open:
/// up to `halfOpenProbes` calls pass; a success closes it with an empty
/// window, a failure opens it again. Safe to share between tasks and threads.
/// Results are matched to the state their call was let through in
/// (`permit()`), so a late result of a call made before the breaker opened
/// neither closes it nor opens it again.
public final class CircuitBreaker: Sendable {
    /// The thresholds.
    public struct Configuration: Sendable {
        public var windowSize: Int
        public var minimumCalls: Int
        public var failureRatio: Double
        public var openDuration: Duration
        public var halfOpenProbes: Int

        public init(windowSize: Int = 20, minimumCalls: Int = 10, failureRatio: Double = 0.5,
                    openDuration: Duration = .seconds(30), halfOpenProbes: Int = 1) {
            self.windowSize = max(1, windowSize)
            self.minimumCalls = max(1, min(minimumCalls, self.windowSize))
            self.failureRatio = min(max(failureRatio, 0), 1)
            self.openDuration = openDuration
            self.halfOpenProbes = max(1, halfOpenProbes)
        }
    }

    /// The breaker's state.
    public enum State: Sendable, Equatable {
        case closed
        /// Refusing calls until the given instant on the breaker's clock.
        case open(until: Duration)
        case halfOpen
    }

    private struct Inner {
        var state: State = .closed
        var window: [Bool] = []  // true = failure
        var next = 0
        var probesInFlight = 0
        /// Counts state changes, so that a result can be matched to the state its call was let through in.
        var generation: UInt64 = 0
    }

    /// A call the breaker let through, to be given back with `record(_:failed:)` or `release(_:)`.
    ///
    /// It remembers the state the call was let through in: the result of a
    /// call made before the breaker opened (or before it closed again) is
    /// stale and is not counted, and in the half-open state only the probes'
    /// results decide.
    public struct Permit: Sendable, Equatable {
        let generation: UInt64
        let isProbe: Bool
    }

    public let configuration: Configuration
    private let clock: any PatternClock
    private let inner = Mutex(Inner())

    public init(_ configuration: Configuration = Configuration(), clock: any PatternClock = SystemClock()) {
        self.configuration = configuration
        self.clock = clock
    }

    /// The current state (an open breaker whose cool-down is over reads as half-open).
    public var state: State {
        inner.withLock { s in
            refresh(&s)
            return s.state
        }
    }

    /// The share of failures in the current window (0 when it is empty).
    public var failureRatio: Double {
        inner.withLock { s in s.window.isEmpty ? 0 : Double(s.window.filter { $0 }.count) / Double(s.window.count) }
    }

    private func refresh(_ s: inout Inner) {
        if case .open(let until) = s.state, clock.now() >= until {
            s.state = .halfOpen
            s.probesInFlight = 0
            s.generation &+= 1
        }
    }

    /// Asks to make a call; nil means refuse it. Every permit must be given back with `record(_:failed:)` or `release(_:)`.
    public func permit() -> Permit? {
        inner.withLock { s in
            refresh(&s)
            switch s.state {
            case .closed: return Permit(generation: s.generation, isProbe: false)
            case .open: return nil
            case .halfOpen:
                guard s.probesInFlight < configuration.halfOpenProbes else { return nil }
                s.probesInFlight += 1
                return Permit(generation: s.generation, isProbe: true)
            }
        }
    }

    /// Records how a permitted call ended; a stale permit (from before a state change) is ignored.
    public func record(_ permit: Permit, failed: Bool) {
        inner.withLock { s in
            refresh(&s)
            guard permit.generation == s.generation else { return }
            apply(failed: failed, probe: permit.isProbe, &s)
        }
    }

    /// Gives back a permitted call that says nothing about the dependency (a permanent error, a cancellation).
    public func release(_ permit: Permit) {
        inner.withLock { s in
            refresh(&s)
            if permit.isProbe, permit.generation == s.generation, s.probesInFlight > 0 { s.probesInFlight -= 1 }
        }
    }

    /// Asks to make a call; false means refuse it. Every `true` must be followed by `recordSuccess`, `recordFailure` or `release`.
    ///
    /// Without a permit the breaker cannot tell a late result of a call made
    /// before it opened from a probe's while a probe is in flight; `permit()`
    /// can. Here, while half-open, a result counts only when a probe is in flight.
    public func acquire() -> Bool { permit() != nil }

    /// Records a successful call (see `acquire()`; `record(_:failed:)` is exact).
    public func recordSuccess() {
        inner.withLock { s in
            refresh(&s)
            apply(failed: false, probe: s.state == .halfOpen, &s)
        }
    }

    /// Records a failed call (see `acquire()`; `record(_:failed:)` is exact).
    public func recordFailure() {
        inner.withLock { s in
            refresh(&s)
            apply(failed: true, probe: s.state == .halfOpen, &s)
        }
    }

    /// Gives back an acquired call that says nothing about the dependency (a permanent error, a cancellation).
    public func release() {
        inner.withLock { s in
            if s.state == .halfOpen, s.probesInFlight > 0 { s.probesInFlight -= 1 }
        }
    }

    private func apply(failed: Bool, probe: Bool, _ s: inout Inner) {
        switch s.state {
        case .halfOpen:
            // Only a probe's result decides; a late result of an earlier call does not.
            guard probe, s.probesInFlight > 0 else { return }
            if failed {
                s.state = .open(until: clock.now() + configuration.openDuration)
                s.probesInFlight = 0
            } else {
                let generation = s.generation
                s = Inner()
                s.generation = generation
            }
            s.generation &+= 1
        case .closed:
            push(failed, &s)
            let failures = s.window.filter { $0 }.count
            if failed, s.window.count >= configuration.minimumCalls,
               Double(failures) / Double(s.window.count) >= configuration.failureRatio {
                s.state = .open(until: clock.now() + configuration.openDuration)
                s.window = []
                s.next = 0
                s.generation &+= 1
            }
        case .open:
            break
        }
    }

    private func push(_ failure: Bool, _ s: inout Inner) {
        if s.window.count < configuration.windowSize {
            s.window.append(failure)
        } else {
            s.window[s.next] = failure
        }
        s.next = (s.next + 1) % configuration.windowSize
    }
}
