import ExecutionPatterns
import SystemPackage

/// The pattern-on arm's file I/O: each step done with the patterns that are
/// on (atomic write, retry, ground-truth check), or as plain code when off.
///
/// It also counts attempts: every retry and every rewrite after a failed
/// verification adds one, so a claim's `attempts` is 1 when nothing was
/// tried twice.
struct OnArmIO {
    let patterns: PatternSelection
    private(set) var extraAttempts = 0

    init(_ patterns: PatternSelection) { self.patterns = patterns }

    /// 1 plus every extra attempt made so far.
    var attempts: Int { 1 + extraAttempts }

    /// The retry policy: short delays, since a trial's budget is seconds.
    /// EIO is retried only because every call wrapped here is idempotent (a
    /// read, or the write of a whole file from its start).
    static let policy = RetryPolicy(maxAttempts: 4, initialDelay: .milliseconds(20), maximumDelay: .milliseconds(500),
                                    totalTimeout: .seconds(5), classifier: ErrorClassifier(idempotent: true))

    /// Runs `operation` under `Retrier` when PATTERN-003 is on, once otherwise.
    mutating func retried<T>(_ name: String, within deadline: Deadline? = nil, _ operation: () throws -> T) throws -> T {
        guard patterns.retry else { return try operation() }
        var random = SystemRandomNumberGenerator()
        var made = 0
        defer { extraAttempts += max(0, made - 1) }
        do {
            return try Retrier(policy: Self.policy).runSync(name, random: &random, within: deadline, onEvent: { made = max(made, $0.attempt) }) { _ in
                try operation()
            }
        } catch {
            // Nothing was retried: the error itself says more than the wrapper.
            if error.reason == .permanent, error.attempts == 1, let last = error.lastError { throw last }
            throw error
        }
    }

    /// Writes a whole file: atomically with EXEC-004, plainly without; then,
    /// with PATTERN-002, reads it back from disk and compares; on a mismatch
    /// writes it once more and checks again.
    mutating func writeFile(_ bytes: [UInt8], to path: String, chunk: Int? = nil) throws {
        try publish(bytes, to: path, chunk: chunk)
        guard patterns.verification else { return }
        let expectation = [FileExpectation(FilePath(path), [.contentEquals(bytes)])]
        let verifier = GroundTruthVerifier()
        if verifier.check(expectation).failures.isEmpty { return }
        extraAttempts += 1
        try publish(bytes, to: path, chunk: chunk)
        let failures = verifier.check(expectation).failures
        if !failures.isEmpty {
            throw TaskError("Wrote \(path) twice, but the bytes on disk are still wrong: \(failures.map(\.description).joined(separator: "; ")).")
        }
    }

    private mutating func publish(_ bytes: [UInt8], to path: String, chunk: Int?) throws {
        let atomic = patterns.atomicWrites
        try retried("writing \(path)") {
            if atomic {
                try AtomicFile.write(bytes, to: FilePath(path))
            } else {
                try PlainFiles.write(bytes, to: path, chunk: chunk ?? (64 << 10))
            }
        }
    }
}

extension OnArmIO {
    /// Counts attempts made outside `retried` (a whole batch run again).
    mutating func addAttempts(_ count: Int) { extraAttempts += max(0, count) }
}

/// The plain I/O's errors carry their errno, so that PATTERN-003's classifier
/// can tell a transient EIO from a permanent ENOENT where the on arm does a
/// step plainly (EXEC-001 or EXEC-004 not in the task's patterns).
extension PlainIOError: ErrnoCarrying {
    var underlyingErrno: Errno? { errno }
}
