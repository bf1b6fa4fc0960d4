import SystemPackage

/// An error that knows whether trying again could help.
public protocol RetryClassifiable: Error {
    /// True if the same call may succeed later (a busy device, a timeout).
    var isTransient: Bool { get }
}

/// Decides which errors are worth retrying.
///
/// Transient by default: EAGAIN/EWOULDBLOCK, EINTR, EBUSY, ETIMEDOUT, and
/// EIO when the caller says the operation is idempotent. Everything else is
/// permanent, including errors it does not recognize: the seed retries
/// unknown errors, which turns ENOENT or a bug into a slow failure.
public struct ErrorClassifier: Sendable {
    /// The verdict on one error.
    public enum Verdict: Sendable, Equatable {
        case transient
        case permanent
        /// The task was cancelled: never retried.
        case cancellation
    }

    /// Whether repeating the operation after a partial failure is harmless; enables retrying EIO.
    public var idempotent: Bool
    /// The errnos that are retried.
    public var transientErrnos: Set<Errno>
    /// Consulted first; return nil to fall back to the built-in rules.
    public var custom: (@Sendable (any Error) -> Verdict?)?

    public init(idempotent: Bool = false,
                transientErrnos: Set<Errno> = [.resourceTemporarilyUnavailable, .wouldBlock, .interrupted, .resourceBusy, .timedOut],
                custom: (@Sendable (any Error) -> Verdict?)? = nil) {
        self.idempotent = idempotent
        self.transientErrnos = transientErrnos
        self.custom = custom
    }

    /// Classifies `error`.
    public func classify(_ error: any Error) -> Verdict {
        if error is CancellationError { return .cancellation }
        // An inner retry loop that was cancelled: its last error's errno says
        // nothing about whether to try again, the cancellation does.
        if let inner = error as? RetryError, inner.reason == .cancelled { return .cancellation }
        if let custom, let v = custom(error) { return v }
        if let e = error as? RetryClassifiable { return e.isTransient ? .transient : .permanent }
        if let e = (error as? ErrnoCarrying)?.underlyingErrno {
            if transientErrnos.contains(e) { return .transient }
            if e == .ioError && idempotent { return .transient }
        }
        return .permanent
    }
}

/// How often, how fast and for how long to retry.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included (at least 1).
    public var maxAttempts: Int
    /// The cap of the first delay.
    public var initialDelay: Duration
    /// No delay is ever longer than this.
    public var maximumDelay: Duration
    /// The growth of the cap from one attempt to the next.
    public var multiplier: Double
    /// The whole retry loop ends by then: no sleep ends past it, and no attempt starts after it.
    public var totalTimeout: Duration?
    /// Which errors are retried.
    public var classifier: ErrorClassifier

    public init(maxAttempts: Int = 4, initialDelay: Duration = .milliseconds(100), maximumDelay: Duration = .seconds(5),
                multiplier: Double = 2, totalTimeout: Duration? = .seconds(30), classifier: ErrorClassifier = ErrorClassifier()) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = max(initialDelay, .zero)
        self.maximumDelay = max(maximumDelay, .zero)
        self.multiplier = max(1, multiplier)
        self.totalTimeout = totalTimeout
        self.classifier = classifier
    }

    /// The upper bound of the delay after failed attempt `attempt` (1-based): `min(maximumDelay, initialDelay * multiplier^(attempt-1))`.
    public func delayCap(afterAttempt attempt: Int) -> Duration {
        let factor = pow(multiplier, attempt - 1)
        let cap = Duration.fromSeconds(initialDelay.seconds * factor)
        return min(cap, maximumDelay)
    }

    /// A delay drawn uniformly from `[0, delayCap]` ("full jitter"), so clients that failed together do not retry together.
    public func delay(afterAttempt attempt: Int, using random: inout some RandomNumberGenerator) -> Duration {
        let cap = delayCap(afterAttempt: attempt)
        let (s, a) = cap.components
        let nanos = UInt64(max(0, s)) &* 1_000_000_000 &+ UInt64(max(0, a) / 1_000_000_000)
        guard nanos > 0 else { return .zero }
        return .nanoseconds(Int64(UInt64.random(in: 0...nanos, using: &random)))
    }
}

private func pow(_ base: Double, _ exponent: Int) -> Double {
    var r = 1.0
    for _ in 0..<max(0, min(exponent, 1024)) {
        r *= base
        if r > 1e12 { return r }
    }
    return r
}
