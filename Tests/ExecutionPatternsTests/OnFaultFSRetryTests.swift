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

    static let policy = RetryPolicy(maxAttempts: 5, initialDelay: .milliseconds(20), maximumDelay: .milliseconds(100), totalTimeout: .seconds(10))

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
}
