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

/// EXEC-002's validation of what the review found unchecked (issue 10, point 6).
@Suite("EXEC-002 validation: source directory, working directory, tool version", .serialized)
struct BatchValidationGapsTests {
    @Test("A tool's working directory that does not exist is a precondition failure; nothing runs")
    func workingDirectoryMissing() async throws {
        let dir = try TemporaryDirectory()
        let marker = dir.file("ran")
        var batch = BatchExecutor()
        batch.add(BatchOperation("tool", .runTool("sh", arguments: ["-c", "touch \(marker.string)"], workingDirectory: dir.file("nowhere"))))
        let outcome = await batch.execute()
        guard case .rejected(let failures) = outcome else { Issue.record("\(outcome)"); return }
        #expect(failures.map(\.kind) == [.workingDirectoryMissing(dir.file("nowhere"))], "\(failures)")
        #expect(!exists(marker))
    }

    @Test("A tool older than required is a precondition failure, with its version, before anything runs")
    func toolVersion() async throws {
        let dir = try TemporaryDirectory()
        try dir.write("oldtool", "#!/bin/sh\necho oldtool 1.2.0\n", mode: 0o755)
        var batch = BatchExecutor(tools: ToolGuard(searchPath: dir.path.string))
        batch.require(ToolRequirement("oldtool", minimumVersion: ToolVersion("2.0")))
        batch.add(BatchOperation("write", .write(dir.file("out.txt"), Array("x".utf8))))
        batch.add(BatchOperation("run", .runTool("oldtool", arguments: [])))
        let outcome = await batch.execute()
        guard case .rejected(let failures) = outcome else { Issue.record("\(outcome)"); return }
        #expect(failures.map(\.operation) == ["run"], "\(failures)")
        #expect(failures.first?.description.contains("version 1.2.0; version 2.0 or newer") == true, "\(failures)")
        #expect(!exists(dir.file("out.txt")), "nothing ran")
    }

    @Test("A move whose source directory is read-only is a precondition failure (EROFS on a read-only bind mount)")
    func sourceDirectoryNotWritable() async throws {
        let dir = try TemporaryDirectory()
        let ro = dir.file("ro")
        try FileManager.default.createDirectory(atPath: ro.string, withIntermediateDirectories: false)
        let src = try dir.write("ro/src.txt", "S")
        func mount(_ args: [String]) throws -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/mount")
            p.arguments = args
            try p.run()
            p.waitUntilExit()
            return p.terminationStatus
        }
        try #require(try mount(["--bind", ro.string, ro.string]) == 0, "bind mount")
        defer {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/umount")
            p.arguments = [ro.string]
            try? p.run()
            p.waitUntilExit()
        }
        try #require(try mount(["-o", "remount,ro,bind", ro.string]) == 0, "remount read-only")
        var batch = BatchExecutor()
        batch.add(BatchOperation("mv", .move(from: src, to: dir.file("dst.txt"))))
        let outcome = await batch.execute()
        guard case .rejected(let failures) = outcome else { Issue.record("\(outcome)"); return }
        #expect(failures.map(\.kind) == [.sourceDirectoryNotWritable(ro, .readOnlyFileSystem)], "\(failures)")
        #expect(exists(src) && !exists(dir.file("dst.txt")))
    }
}
