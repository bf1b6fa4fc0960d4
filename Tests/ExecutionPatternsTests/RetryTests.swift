import ExecutionPatterns
import Synchronization
import SystemPackage
import Testing

/// Fails with the given errors in turn, then succeeds.
final class Script: Sendable {
    private let remaining: Mutex<[Errno]>
    private let callCount = Mutex(0)
    init(_ errors: [Errno]) { remaining = Mutex(errors) }
    var calls: Int { callCount.withLock { $0 } }
    func call() throws -> String {
        callCount.withLock { $0 += 1 }
        if let e = remaining.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { throw e }
        return "ok"
    }
}

struct Unknown: Error {}

@Suite("PATTERN-003 smart retry")
struct RetryTests {
    @Test("Succeeds through a sequence of transient errors, sleeping within the caps")
    func transientSequence() async throws {
        let clock = ManualClock()
        let policy = RetryPolicy(maxAttempts: 5, initialDelay: .milliseconds(100), maximumDelay: .seconds(1))
        let retrier = Retrier(policy: policy, clock: clock)
        let script = Script([.resourceTemporarilyUnavailable, .interrupted, .resourceBusy, .timedOut])
        var random = SeededRandom(seed: 7)
        var events: [RetryEvent] = []
        let value = try await retrier.run("read config", random: &random, onEvent: { events.append($0) }) { _ in try script.call() }
        #expect(value == "ok")
        #expect(script.calls == 5)
        #expect(clock.sleeps.count == 4)
        for (n, d) in clock.sleeps.enumerated() {
            #expect(d >= .zero && d <= policy.delayCap(afterAttempt: n + 1))
        }
        #expect(events.map(\.attempt) == [1, 2, 3, 4, 5])
        #expect(events.last?.decision == .succeeded)
    }

    @Test("ENOENT, EACCES, ENOSPC and unknown errors are not retried", arguments: [Errno.noSuchFileOrDirectory, .permissionDenied, .noSpace])
    func permanent(errno: Errno) async throws {
        let clock = ManualClock()
        let script = Script([errno, errno])
        var random = SeededRandom(seed: 1)
        do {
            _ = try await Retrier(clock: clock).run("open data.csv", random: &random) { _ in try script.call() }
            Issue.record("expected a RetryError")
        } catch {
            #expect(error.reason == .permanent)
            #expect(error.attempts == 1)
            #expect(error.underlyingErrno == errno)
            #expect(error.description.contains("open data.csv"))
        }
        #expect(script.calls == 1)
        #expect(clock.sleeps.isEmpty)
    }

    @Test("An error the classifier does not know is permanent (the seed retried it)")
    func unknownIsPermanent() async {
        var random = SeededRandom(seed: 1)
        let calls = Mutex(0)
        await #expect(throws: RetryError.self) {
            try await Retrier(clock: ManualClock()).run(random: &random) { _ -> Int in
                calls.withLock { $0 += 1 }
                throw Unknown()
            }
        }
        #expect(calls.withLock { $0 } == 1)
    }

    @Test("EIO is retried only when the caller says the operation is idempotent")
    func eio() async throws {
        var random = SeededRandom(seed: 3)
        let plain = Script([.ioError])
        let error = await #expect(throws: RetryError.self) {
            try await Retrier(clock: ManualClock()).run(random: &random) { _ in try plain.call() }
        }
        #expect(error?.reason == .permanent)
        let idempotent = Script([.ioError])
        let retrier = Retrier(policy: RetryPolicy(classifier: ErrorClassifier(idempotent: true)), clock: ManualClock())
        #expect(try await retrier.run(random: &random) { _ in try idempotent.call() } == "ok")
        #expect(idempotent.calls == 2)
    }

    @Test("Attempts, delays and total time stay within their bounds for every seed", arguments: 0..<64)
    func bounds(seed: UInt64) async {
        let clock = ManualClock(start: .seconds(5))
        let policy = RetryPolicy(maxAttempts: 6, initialDelay: .milliseconds(200), maximumDelay: .seconds(2),
                                 multiplier: 3, totalTimeout: .seconds(4))
        let retrier = Retrier(policy: policy, clock: clock)
        var random = SeededRandom(seed: seed)
        let calls = Mutex(0)
        let error = await #expect(throws: RetryError.self) {
            try await retrier.run(random: &random) { attempt -> Int in
                calls.withLock { $0 += 1 }
                // Each attempt itself takes time, as real I/O does.
                clock.advance(by: .milliseconds(150))
                #expect(attempt.deadline?.instant == .seconds(9))
                throw Errno.resourceBusy
            }
        }
        #expect(calls.withLock { $0 } <= policy.maxAttempts)
        #expect(error?.reason == .attemptsExhausted || error?.reason == .deadlineExceeded)
        for (n, d) in clock.sleeps.enumerated() {
            #expect(d >= .zero && d <= policy.delayCap(afterAttempt: n + 1))
        }
        // No sleep ended past the deadline, so the loop ends within the budget plus one attempt's own time.
        #expect(clock.now() - .seconds(5) <= .seconds(4) + .milliseconds(150))
        #expect(error?.underlyingErrno == .resourceBusy)
    }

    @Test("The delay caps grow exponentially up to the maximum")
    func caps() {
        let p = RetryPolicy(initialDelay: .seconds(1), maximumDelay: .seconds(5), multiplier: 2)
        #expect((1...5).map { p.delayCap(afterAttempt: $0) } == [.seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5)])
    }

    @Test("Jitter covers the whole [0, cap] range rather than clustering near the cap")
    func fullJitter() {
        let p = RetryPolicy(initialDelay: .seconds(1), maximumDelay: .seconds(1))
        var random = SeededRandom(seed: 42)
        let draws = (0..<2000).map { _ in p.delay(afterAttempt: 1, using: &random) }
        #expect(draws.allSatisfy { $0 >= .zero && $0 <= .seconds(1) })
        #expect(draws.contains { $0 < .milliseconds(100) })
        #expect(draws.contains { $0 > .milliseconds(900) })
    }

    @Test("Cancellation stops the loop and is never retried")
    func cancellation() async {
        let started = Mutex(0)
        let task = Task {
            var random = SeededRandom(seed: 5)
            return try await Retrier(policy: RetryPolicy(maxAttempts: 100, initialDelay: .seconds(10), maximumDelay: .seconds(10), totalTimeout: nil))
                .run(random: &random) { _ -> Int in
                    started.withLock { $0 += 1 }
                    throw Errno.resourceTemporarilyUnavailable
                }
        }
        while started.withLock({ $0 }) == 0 { await Task.yield() }
        task.cancel()
        let result = await task.result
        guard case .failure(let e as RetryError) = result else { Issue.record("\(result)"); return }
        #expect(e.reason == .cancelled)
        #expect(started.withLock { $0 } == 1)
    }

    @Test("A CancellationError thrown by the operation is not retried")
    func cancellationErrorFromOperation() async {
        var random = SeededRandom(seed: 5)
        let error = await #expect(throws: RetryError.self) {
            try await Retrier(clock: ManualClock()).run(random: &random) { _ -> Int in throw CancellationError() }
        }
        #expect(error?.reason == .cancelled && error?.attempts == 1)
    }

    @Test("An outer deadline (a planning budget's) shortens the loop")
    func outerDeadline() async {
        let clock = ManualClock()
        let budget = PlanningBudget(BudgetLimits(maxIterations: 10, maxWallTime: .seconds(1)), clock: clock)
        let retrier = Retrier(policy: RetryPolicy(maxAttempts: 50, initialDelay: .milliseconds(100), maximumDelay: .milliseconds(400),
                                                  totalTimeout: .seconds(60)), clock: clock)
        var random = SeededRandom(seed: 21)
        let error = await #expect(throws: RetryError.self) {
            try await retrier.run(random: &random, within: budget.deadline) { attempt -> Int in
                #expect(attempt.deadline?.instant == budget.deadline?.instant)
                throw Errno.resourceTemporarilyUnavailable
            }
        }
        #expect(error?.reason == .deadlineExceeded)
        #expect(clock.now() - .seconds(1000) < .seconds(1))
        #expect(budget.exhausted == nil)
    }

    @Test("The blocking variant follows the same rules")
    func sync() throws {
        let clock = ManualClock()
        let script = Script([.interrupted, .resourceBusy])
        var random = SeededRandom(seed: 11)
        #expect(try Retrier(clock: clock).runSync(random: &random) { _ in try script.call() } == "ok")
        #expect(clock.sleeps.count == 2)
        let missing = Script([.noSuchFileOrDirectory])
        #expect(throws: RetryError.self) { try Retrier(clock: clock).runSync(random: &random) { _ in try missing.call() } }
        #expect(missing.calls == 1)
    }
}

@Suite("PATTERN-003 circuit breaker")
struct CircuitBreakerTests {
    @Test("Closed, open after the failure ratio, half-open after the cool-down, closed after a good probe")
    func transitions() {
        let clock = ManualClock()
        let breaker = CircuitBreaker(.init(windowSize: 10, minimumCalls: 4, failureRatio: 0.5, openDuration: .seconds(30)), clock: clock)
        #expect(breaker.state == .closed)
        for _ in 0..<3 { #expect(breaker.acquire()); breaker.recordSuccess() }
        for _ in 0..<2 { #expect(breaker.acquire()); breaker.recordFailure() }
        #expect(breaker.state == .closed)  // 2 of 5 failed
        #expect(breaker.acquire()); breaker.recordFailure()  // 3 of 6: 0.5
        #expect(breaker.state == .open(until: clock.now() + .seconds(30)))
        #expect(!breaker.acquire())
        clock.advance(by: .seconds(29))
        #expect(!breaker.acquire())
        clock.advance(by: .seconds(1))
        #expect(breaker.state == .halfOpen)
        #expect(breaker.acquire())
        #expect(!breaker.acquire())  // one probe at a time
        breaker.recordSuccess()
        #expect(breaker.state == .closed)
        #expect(breaker.failureRatio == 0)
    }

    @Test("A failed probe opens the breaker again")
    func failedProbe() {
        let clock = ManualClock()
        let breaker = CircuitBreaker(.init(windowSize: 2, minimumCalls: 2, failureRatio: 1, openDuration: .seconds(5)), clock: clock)
        for _ in 0..<2 { _ = breaker.acquire(); breaker.recordFailure() }
        clock.advance(by: .seconds(5))
        #expect(breaker.acquire())
        breaker.recordFailure()
        #expect(breaker.state == .open(until: clock.now() + .seconds(5)))
    }

    @Test("Retry stops with circuitOpen once the shared breaker opens, and permanent errors do not count")
    func withRetry() async {
        let clock = ManualClock()
        let breaker = CircuitBreaker(.init(windowSize: 4, minimumCalls: 3, failureRatio: 1, openDuration: .seconds(60)), clock: clock)
        let retrier = Retrier(policy: RetryPolicy(maxAttempts: 10, totalTimeout: nil), clock: clock, breaker: breaker)
        var random = SeededRandom(seed: 9)
        let missing = await #expect(throws: RetryError.self) {
            try await retrier.run(random: &random) { _ -> Int in throw Errno.noSuchFileOrDirectory }
        }
        #expect(missing?.reason == .permanent)
        #expect(breaker.failureRatio == 0)
        let error = await #expect(throws: RetryError.self) {
            try await retrier.run(random: &random) { _ -> Int in throw Errno.timedOut }
        }
        #expect(error?.reason == .circuitOpen)
        #expect(error?.attempts == 3)
        #expect(error?.underlyingErrno == .timedOut)
    }
}
