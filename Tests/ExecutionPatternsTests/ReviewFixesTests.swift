import ExecutionPatterns
import Foundation
import SystemPackage
import Testing

/// The smaller points of issue 10 (point 6), one test each.
@Suite("Issue 10, point 6: the smaller holes")
struct ReviewFixesTests {
    @Test("EXEC-003: an explicit install hint wins over the hint of an earlier, cached lookup")
    func explicitHintAfterCachedLookup() {
        let tools = ToolGuard(searchPath: "/nonexistent-dir")
        guard case .failure(.missing(_, let first, _)) = tools.locate("frobnicate") else { Issue.record("found?"); return }
        #expect(first == nil)
        guard case .failure(.missing(_, let second, _)) = tools.locate("frobnicate", installHint: "pip install frobnicate") else {
            Issue.record("found?")
            return
        }
        #expect(second == "pip install frobnicate")
        #expect(tools.scanCount == 1, "the second answer still comes from the cache")
    }

    /// A clock whose sleeps are cancelled, as if the task were cancelled while waiting to retry.
    struct CancelledSleepClock: PatternClock {
        let base = ManualClock()
        func now() -> Duration { base.now() }
        func sleep(for duration: Duration) async throws { throw CancellationError() }
        func sleepBlocking(for duration: Duration) {}
    }

    @Test("PATTERN-003: an inner retry loop's cancellation is not retried by an outer one, whatever its last errno")
    func innerCancellationNotRetried() async {
        let inner = Retrier(clock: CancelledSleepClock())
        let outer = Retrier(clock: ManualClock())
        var random = SeededRandom(seed: 1)
        var outerAttempts = 0
        do {
            _ = try await outer.run("outer", random: &random) { _ -> Int in
                outerAttempts += 1
                var r = SeededRandom(seed: 2)
                // EAGAIN is transient, so the inner loop sleeps before retrying, and is cancelled there.
                return try await inner.run("inner", random: &r) { _ -> Int in
                    throw FileSystemError("read", "/x", .resourceTemporarilyUnavailable)
                }
            }
            Issue.record("the operation cannot succeed")
        } catch {
            #expect(error.reason == .cancelled, "\(error)")
        }
        #expect(outerAttempts == 1, "the outer loop retried a cancellation")
    }

    @Test("PATTERN-002: the leftover check finds a batch's backup files next to the file")
    func verifierFindsBatchBackups() throws {
        let dir = try TemporaryDirectory()
        let p = try dir.write("report.txt", "x")
        try dir.write(".report.txt.batch-backup.0123456789ab", "old")
        let (failures, _) = GroundTruthVerifier().check([FileExpectation(p, [.noTemporaryFiles])])
        #expect(failures.map(\.check) == [.noTemporaryFiles], "\(failures)")
        #expect(failures.first?.found.contains(".report.txt.batch-backup.") == true)
    }

    static func tripping(_ clock: ManualClock) -> CircuitBreaker {
        CircuitBreaker(.init(windowSize: 1, minimumCalls: 1, failureRatio: 1, openDuration: .seconds(10), halfOpenProbes: 1), clock: clock)
    }

    @Test("PATTERN-003: a late success of a call made before the breaker opened does not close it (acquire/record)")
    func lateResultWithoutPermits() {
        let clock = ManualClock()
        let breaker = Self.tripping(clock)
        #expect(breaker.acquire())  // a slow call, let through while closed
        #expect(breaker.acquire())
        breaker.recordFailure()     // the second one fails: the breaker opens
        clock.advance(by: .seconds(11))
        #expect(breaker.state == .halfOpen)
        breaker.recordSuccess()     // the slow call's late result
        #expect(breaker.state == .halfOpen, "a stale success closed the breaker")
    }

    @Test("PATTERN-003: with permits, a late result does not count even while a probe is in flight")
    func lateResultWithPermits() throws {
        let clock = ManualClock()
        let breaker = Self.tripping(clock)
        let slow = try #require(breaker.permit())
        breaker.record(try #require(breaker.permit()), failed: true)
        clock.advance(by: .seconds(11))
        let probe = try #require(breaker.permit())
        breaker.record(slow, failed: false)
        #expect(breaker.state == .halfOpen, "the stale result was taken for the probe's")
        #expect(breaker.permit() == nil, "the probe is still in flight")
        breaker.record(probe, failed: false)
        #expect(breaker.state == .closed)
    }
}
