import Determinism
import SystemPackage

/// What the operation is told about the attempt it is running.
public struct RetryAttempt: Sendable {
    /// 1 for the first call.
    public let number: Int
    /// When the whole loop must end; pass it down to I/O so one slow call cannot overrun it.
    public let deadline: Deadline?
}

/// One attempt, as reported to the event callback.
public struct RetryEvent: Sendable {
    /// What the loop does after this attempt.
    public enum Decision: Sendable, Equatable {
        case succeeded
        case willRetry(after: Duration)
        case gaveUp(RetryError.Reason)
    }

    public let attempt: Int
    /// The error of the attempt, nil on success or when the circuit refused the call.
    public let error: (any Error)?
    public let verdict: ErrorClassifier.Verdict?
    public let decision: Decision
    /// Time since the loop started, at the end of this attempt.
    public let elapsed: Duration
}

/// Why the retry loop gave up, with the last error it saw.
public struct RetryError: ErrnoCarrying, CustomStringConvertible {
    public enum Reason: String, Sendable, Equatable {
        /// The error is not one that trying again can fix.
        case permanent
        /// The task was cancelled.
        case cancelled
        case attemptsExhausted
        /// The next delay would have ended past the total timeout.
        case deadlineExceeded
        /// The circuit breaker refused the call.
        case circuitOpen
    }

    public let reason: Reason
    /// Attempts actually made.
    public let attempts: Int
    /// The error of the last attempt (nil if none was made).
    public let lastError: (any Error)?
    public let elapsed: Duration
    /// What the retried operation was, for the message.
    public let operation: String

    public var underlyingErrno: Errno? { (lastError as? ErrnoCarrying)?.underlyingErrno }

    public var description: String {
        let last = lastError.map { " The last error was: \($0)" } ?? ""
        let why: String
        switch reason {
        case .permanent: why = "the error is permanent, so it was not retried"
        case .cancelled: why = "the task was cancelled"
        case .attemptsExhausted: why = "all \(attempts) attempts failed"
        case .deadlineExceeded: why = "the time budget would have run out before the next attempt"
        case .circuitOpen: why = "the circuit breaker is open"
        }
        return "Gave up on \(operation) after \(attempts) attempt\(attempts == 1 ? "" : "s") in \(elapsed): \(why).\(last)"
    }
}

/// PATTERN-003: retries transient failures with capped, fully jittered exponential backoff.
///
/// Bounded by attempts and by total time (no sleep ends past the deadline),
/// never retries a cancellation or a permanent error, reports every attempt,
/// surfaces the last error, and can share a `CircuitBreaker` so that many
/// callers stop hammering a dependency that keeps failing. Time and
/// randomness are injected, so its tests neither sleep nor rely on luck.
///
/// Anti-pattern: an immediate or fixed-delay retry of every error. It
/// retries ENOENT three times, and a thousand clients that failed at once
/// retry at once.
public struct Retrier: Sendable {
    public var policy: RetryPolicy
    public var clock: any PatternClock
    public var breaker: CircuitBreaker?

    public init(policy: RetryPolicy = RetryPolicy(), clock: any PatternClock = SystemClock(), breaker: CircuitBreaker? = nil) {
        self.policy = policy
        self.clock = clock
        self.breaker = breaker
    }

    /// Runs `operation` until it succeeds or the policy says stop.
    ///
    /// - Parameters:
    ///   - name: Names the operation in the error message.
    ///   - random: The source of jitter (`SystemRandomNumberGenerator()` in production, `SeededRandom` in tests).
    ///   - deadline: An outer deadline (a planning budget's, say); the loop ends by the earlier of it and `totalTimeout`.
    ///   - onEvent: Called after every attempt.
    ///   - operation: The work; it receives the attempt number and the deadline.
    /// - Throws: `RetryError` with the reason and the last error.
    public func run<T>(
        _ name: String = "the operation",
        random: inout some RandomNumberGenerator,
        within deadline: Deadline? = nil,
        onEvent: (RetryEvent) -> Void = { _ in },
        operation: (RetryAttempt) async throws -> T
    ) async throws(RetryError) -> T {
        var loop = RetryLoop(policy: policy, clock: clock, breaker: breaker, name: name, outer: deadline)
        while true {
            if Task.isCancelled { throw loop.stop(.cancelled, onEvent) }
            if let refusal = loop.admit(onEvent) { throw refusal }
            do {
                let value = try await operation(loop.attemptContext)
                loop.succeeded(onEvent)
                return value
            } catch {
                switch loop.failed(error, random: &random, onEvent) {
                case .stop(let e): throw e
                case .sleep(let d):
                    do { try await clock.sleep(for: d) } catch { throw loop.stop(.cancelled, onEvent) }
                }
            }
        }
    }

    /// The blocking variant of `run`, for synchronous code (the thread sleeps between attempts).
    public func runSync<T>(
        _ name: String = "the operation",
        random: inout some RandomNumberGenerator,
        within deadline: Deadline? = nil,
        onEvent: (RetryEvent) -> Void = { _ in },
        operation: (RetryAttempt) throws -> T
    ) throws(RetryError) -> T {
        var loop = RetryLoop(policy: policy, clock: clock, breaker: breaker, name: name, outer: deadline)
        while true {
            if let refusal = loop.admit(onEvent) { throw refusal }
            do {
                let value = try operation(loop.attemptContext)
                loop.succeeded(onEvent)
                return value
            } catch {
                switch loop.failed(error, random: &random, onEvent) {
                case .stop(let e): throw e
                case .sleep(let d): clock.sleepBlocking(for: d)
                }
            }
        }
    }
}

/// The decisions of the retry loop, shared by the async and the blocking variant.
private struct RetryLoop {
    enum Next { case sleep(Duration), stop(RetryError) }

    let policy: RetryPolicy
    let clock: any PatternClock
    let breaker: CircuitBreaker?
    let name: String
    let start: Duration
    let deadline: Deadline?
    var attempts = 0
    var lastError: (any Error)?
    /// The breaker's permit for the attempt in progress.
    var permit: CircuitBreaker.Permit?

    init(policy: RetryPolicy, clock: any PatternClock, breaker: CircuitBreaker?, name: String, outer: Deadline?) {
        self.policy = policy
        self.clock = clock
        self.breaker = breaker
        self.name = name
        let now = clock.now()
        start = now
        let own = policy.totalTimeout.map { Deadline(at: now + $0, clock: clock) }
        // The outer deadline may be on another clock: carry over the time it has left.
        let carried = outer.map { Deadline(at: now + $0.remaining, clock: clock) }
        if let own { deadline = own.earlier(than: carried) } else { deadline = carried }
    }

    var attemptContext: RetryAttempt { RetryAttempt(number: attempts, deadline: deadline) }

    var elapsed: Duration { clock.now() - start }

    mutating func stop(_ reason: RetryError.Reason, _ onEvent: (RetryEvent) -> Void, verdict: ErrorClassifier.Verdict? = nil, reportedError: (any Error)? = nil) -> RetryError {
        onEvent(RetryEvent(attempt: attempts, error: reportedError, verdict: verdict, decision: .gaveUp(reason), elapsed: elapsed))
        return RetryError(reason: reason, attempts: attempts, lastError: lastError, elapsed: elapsed, operation: name)
    }

    /// Counts the attempt about to start, or refuses it if the circuit is open.
    mutating func admit(_ onEvent: (RetryEvent) -> Void) -> RetryError? {
        if let deadline, deadline.hasPassed { return stop(.deadlineExceeded, onEvent) }
        if let breaker {
            guard let p = breaker.permit() else { return stop(.circuitOpen, onEvent) }
            permit = p
        }
        attempts += 1
        return nil
    }

    mutating func succeeded(_ onEvent: (RetryEvent) -> Void) {
        if let permit { breaker?.record(permit, failed: false) }
        onEvent(RetryEvent(attempt: attempts, error: nil, verdict: nil, decision: .succeeded, elapsed: elapsed))
    }

    mutating func failed(_ error: any Error, random: inout some RandomNumberGenerator, _ onEvent: (RetryEvent) -> Void) -> Next {
        lastError = error
        let verdict = policy.classifier.classify(error)
        switch verdict {
        case .cancellation:
            if let permit { breaker?.release(permit) }
            return .stop(stop(.cancelled, onEvent, verdict: verdict, reportedError: error))
        case .permanent:
            // A permanent error says nothing about the dependency's health.
            if let permit { breaker?.release(permit) }
            return .stop(stop(.permanent, onEvent, verdict: verdict, reportedError: error))
        case .transient:
            if let permit { breaker?.record(permit, failed: true) }
        }
        if attempts >= policy.maxAttempts { return .stop(stop(.attemptsExhausted, onEvent, verdict: verdict, reportedError: error)) }
        let delay = policy.delay(afterAttempt: attempts, using: &random)
        if let deadline, clock.now() + delay >= deadline.instant {
            return .stop(stop(.deadlineExceeded, onEvent, verdict: verdict, reportedError: error))
        }
        onEvent(RetryEvent(attempt: attempts, error: error, verdict: verdict, decision: .willRetry(after: delay), elapsed: elapsed))
        return .sleep(delay)
    }
}
