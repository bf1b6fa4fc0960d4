#if canImport(Glibc)
import Glibc
#endif
import ExecutionPatterns
import FaultFSTestSupport
import Foundation
import Synchronization
import SystemPackage
import Testing

/// PATTERN-003 on a real FaultFS mount: a read that fails while the fault
/// engine says so, retried through the library with short real delays.
@Suite("PATTERN-003 smart retry on a FaultFS mount", .serialized, .timeLimit(.minutes(1)))
struct OnFaultFSRetryTests {
    static let content = "{\"queue\": [1, 2, 3]}"

    static func setUp(_ backing: String) throws {
        try must(FS.writeFile(backing + "/job.json", content), "write job.json in the backing")
    }

    // The total is generous: the suite starts dozens of mounts at once, and
    // one open on a loaded CI machine once took 14 s. The test is about
    // which errors are retried, not about time.
    static let policy = RetryPolicy(maxAttempts: 5, initialDelay: .milliseconds(20), maximumDelay: .milliseconds(100), totalTimeout: .seconds(120))

    /// Loads job.json through EXEC-001 inside the retry loop; returns the outcome and every attempt's event.
    static func load(_ m: FaultMount, policy: RetryPolicy = policy) async -> (Result<FileContent, RetryError>, [RetryEvent]) {
        let path = FilePath(m.path("job.json"))
        var events: [RetryEvent] = []
        var random = SeededRandom(seed: 3)
        do {
            let content = try await Retrier(policy: policy).run("loading job.json", random: &random, onEvent: { events.append($0) }) { attempt in
                try FileHandlerRegistry().load(path, deadline: attempt.deadline).get()
            }
            return (.success(content), events)
        } catch {
            return (.failure(error), events)
        }
    }

    @Test("A transient EAGAIN on the first two opens: the third attempt succeeds with the file's content")
    func transientSucceeds() async throws {
        let plan = """
            rules:
              - fault: transient
                path: job.json
                ops: [open]
                errno: EAGAIN
                count: 2
            """
        _ = try await withAsyncFaultMount(plan: plan, setup: Self.setUp) { m async throws in
            let (result, events) = await Self.load(m)
            guard case .success(.json(let value)) = result else {
                Issue.record("expected the JSON content: \(result)")
                return
            }
            #expect(value.serialized() == Array("{\"queue\":[1,2,3]}".utf8))
            #expect(events.map(\.attempt) == [1, 2, 3])
            #expect(events.map(\.verdict) == [.transient, .transient, nil])
            #expect(events.last?.decision == .succeeded)
            #expect(try OnFS.events(m, fault: "transient").count == 2, "both faults were injected and retried through")
        }
    }

    @Test("A permanent error (EACCES) is not retried: one attempt, the errno surfaced")
    func permanentGivesUp() async throws {
        let plan = """
            rules:
              - fault: errno
                path: job.json
                ops: [open]
                errno: EACCES
            """
        _ = try await withAsyncFaultMount(plan: plan, setup: Self.setUp) { m async throws in
            let (result, events) = await Self.load(m)
            guard case .failure(let error) = result else {
                Issue.record("expected a RetryError: \(result)")
                return
            }
            #expect(error.reason == .permanent)
            #expect(error.attempts == 1)
            #expect(error.underlyingErrno == .permissionDenied, "\(error)")
            #expect(error.description.contains("job.json"), "\(error)")
            #expect(events.count == 1)
            #expect(try OnFS.events(m, fault: "errno").count == 1, "the file system was asked once, not hammered")
        }
    }

    @Test("A missing file (ENOENT) is not retried either")
    func missingGivesUp() async throws {
        let plan = """
            rules:
              - fault: missing
                path: job.json
            """
        _ = try await withAsyncFaultMount(plan: plan, setup: Self.setUp) { m async throws in
            let (result, _) = await Self.load(m)
            guard case .failure(let error) = result else {
                Issue.record("expected a RetryError: \(result)")
                return
            }
            #expect(error.reason == .permanent && error.attempts == 1, "\(error)")
            #expect(error.underlyingErrno == .noSuchFileOrDirectory, "\(error)")
        }
    }

    @Test("A transient error that never clears ends after maxAttempts, each attempt reaching the file system")
    func transientExhausted() async throws {
        let plan = """
            rules:
              - fault: errno
                path: job.json
                ops: [open]
                errno: EBUSY
            """
        _ = try await withAsyncFaultMount(plan: plan, setup: Self.setUp) { m async throws in
            let (result, events) = await Self.load(m)
            guard case .failure(let error) = result else {
                Issue.record("expected a RetryError: \(result)")
                return
            }
            #expect(error.reason == .attemptsExhausted, "\(error)")
            #expect(error.attempts == Self.policy.maxAttempts)
            #expect(error.underlyingErrno == .resourceBusy)
            #expect(events.count == Self.policy.maxAttempts)
            #expect(try OnFS.events(m, fault: "errno").count == Self.policy.maxAttempts)
        }
    }

    @Test("A transient EIO on read is retried only when the caller says the load is idempotent", arguments: [false, true])
    func eioNeedsIdempotence(idempotent: Bool) async throws {
        let plan = """
            rules:
              - fault: transient
                path: job.json
                ops: [read]
                errno: EIO
                count: 1
            """
        _ = try await withAsyncFaultMount(plan: plan, setup: Self.setUp) { m async throws in
            var policy = Self.policy
            policy.classifier = ErrorClassifier(idempotent: idempotent)
            let (result, events) = await Self.load(m, policy: policy)
            switch result {
            case .success:
                #expect(idempotent, "a non-idempotent EIO must not be retried")
                #expect(events.map(\.attempt) == [1, 2])
            case .failure(let error):
                #expect(!idempotent, "an idempotent load retries through one EIO: \(error)")
                #expect(error.reason == .permanent && error.attempts == 1 && error.underlyingErrno == .ioError, "\(error)")
            }
            #expect(try OnFS.events(m, fault: "transient").count == 1)
        }
    }

    @Test("A shared circuit breaker stops every caller once a file keeps failing: the file system sees a bounded number of calls")
    func breakerStopsHammering() async throws {
        let plan = """
            rules:
              - fault: errno
                path: job.json
                ops: [open]
                errno: EAGAIN
            """
        _ = try await withAsyncFaultMount(plan: plan, setup: Self.setUp) { m async throws in
            let breaker = CircuitBreaker(.init(windowSize: 4, minimumCalls: 4, failureRatio: 0.5, openDuration: .seconds(60), halfOpenProbes: 1))
            var policy = Self.policy
            policy.maxAttempts = 3
            policy.initialDelay = .milliseconds(1)
            var reasons: [RetryError.Reason] = []
            // Five callers one after the other, as a queue of jobs would.
            for _ in 0..<5 {
                var random = SeededRandom(seed: 5)
                do throws(RetryError) {
                    _ = try await Retrier(policy: policy, breaker: breaker).run("loading job.json", random: &random) { _ in
                        try FileHandlerRegistry().load(FilePath(m.path("job.json"))).get()
                    }
                    Issue.record("the file never opens, so no caller can succeed")
                } catch {
                    reasons.append(error.reason)
                }
            }
            #expect(reasons == [.attemptsExhausted, .circuitOpen, .circuitOpen, .circuitOpen, .circuitOpen], "\(reasons)")
            #expect(try OnFS.events(m, fault: "errno").count == 4, "3 calls of the first caller, 1 of the second, then none")
        }
    }
}
