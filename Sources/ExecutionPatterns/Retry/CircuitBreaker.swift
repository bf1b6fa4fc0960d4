import Synchronization

/// Stops calls to a dependency whose recent calls mostly failed, then lets a probe through after a cool-down.
///
/// Closed: calls pass and their outcomes fill a window of the last
/// `windowSize` calls; when at least `minimumCalls` are in it and the share
/// of failures reaches `failureRatio`, the breaker opens. Open: calls are
/// refused until `openDuration` has passed, then it is half-open. Half-open:
/// up to `halfOpenProbes` calls pass; a success closes it with an empty
/// window, a failure opens it again. Safe to share between tasks and threads.
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
        }
    }

    /// Asks to make a call; false means refuse it. Every `true` must be followed by `recordSuccess`, `recordFailure` or `release`.
    public func acquire() -> Bool {
        inner.withLock { s in
            refresh(&s)
            switch s.state {
            case .closed: return true
            case .open: return false
            case .halfOpen:
                guard s.probesInFlight < configuration.halfOpenProbes else { return false }
                s.probesInFlight += 1
                return true
            }
        }
    }

    /// Records a successful call.
    public func recordSuccess() {
        inner.withLock { s in
            switch s.state {
            case .halfOpen:
                s = Inner()
            case .closed:
                push(false, &s)
            case .open:
                break
            }
        }
    }

    /// Records a failed call.
    public func recordFailure() {
        inner.withLock { s in
            switch s.state {
            case .halfOpen:
                s.state = .open(until: clock.now() + configuration.openDuration)
                s.probesInFlight = 0
            case .closed:
                push(true, &s)
                let failures = s.window.filter { $0 }.count
                if s.window.count >= configuration.minimumCalls,
                   Double(failures) / Double(s.window.count) >= configuration.failureRatio {
                    s.state = .open(until: clock.now() + configuration.openDuration)
                    s.window = []
                    s.next = 0
                }
            case .open:
                break
            }
        }
    }

    /// Gives back an acquired call that says nothing about the dependency (a permanent error, a cancellation).
    public func release() {
        inner.withLock { s in
            if s.state == .halfOpen, s.probesInFlight > 0 { s.probesInFlight -= 1 }
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
