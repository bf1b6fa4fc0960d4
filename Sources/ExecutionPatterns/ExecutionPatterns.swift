/// The seven patterns of the Execution Patterns Suite as a Swift library, and what each is meant to defeat.
///
/// Each pattern stands alone; adopt one without the others.
///
/// | ID | Swift API | faults it defeats (faultbench names) |
/// |---|---|---|
/// | EXEC-001 type-safe file operations | `FileHandlerRegistry` (`load`, `validate`, `decode`), `FileHandler`, `FileContent`, `FileContentError` | corrupt-read, torn-write (on the reading side), missing, errno |
/// | EXEC-002 batch validation | `BatchExecutor`, `BatchOperation`, `BatchOutcome`, `PreconditionFailure` | missing, errno (EACCES, EROFS), disk-full, a failure midway |
/// | EXEC-003 tool availability guards | `ToolGuard` (`locate`, `check`, `require`, `run`), `ToolRequirement`, `ToolVersion` | missing (a tool gone from PATH), delay (a hanging tool) |
/// | EXEC-004 atomic operations | `AtomicFile` (`write`, `copy`, `move`, `removeStaleTemporaries`) | short-write, kill-caller, power-loss, fsync-fail, disk-full |
/// | PATTERN-001 planning budget | `PlanningBudget`, `runPlanningLoop`, `PlanningLoopGuard`, `Deadline` | delay, a loop that never converges |
/// | PATTERN-002 ground-truth verification | `GroundTruthVerifier`, `FileExpectation`, `FileCheck`, `VerificationOutcome` | lost-write, torn-write, silent failure (exit 0, no effect) |
/// | PATTERN-003 smart retry with backoff | `Retrier`, `RetryPolicy`, `ErrorClassifier`, `CircuitBreaker` | transient, errno (EAGAIN, EBUSY, ETIMEDOUT; EIO if idempotent), delay |
///
/// A pattern-on version of "read a config, run a tool, write a report":
///
/// ```swift
/// let tools = ToolGuard()
/// let report = await tools.check([ToolRequirement("git", minimumVersion: ToolVersion("2.30"))])
/// guard report.isSatisfied else { print(report); return }          // EXEC-003: all problems, with hints
///
/// let budget = PlanningBudget(BudgetLimits(maxIterations: 20, maxWallTime: .seconds(60)))
/// let config = FileHandlerRegistry().load("config.yaml", deadline: budget.deadline)   // EXEC-001
/// guard case .success(.yaml(let settings)) = config else { print(config); return }
///
/// var random = SystemRandomNumberGenerator()
/// let log = try await Retrier().run("git log", random: &random, within: budget.deadline) { attempt in
///     try await tools.run("git", arguments: ["log", "-1"], timeout: .seconds(10), within: attempt.deadline)
/// }                                                                  // PATTERN-003
///
/// let out: FilePath = "report.txt"
/// let outcome = await GroundTruthVerifier().run(expecting: [FileExpectation(out, [.minimumSize(1), .modifiedSinceStart])]) {
///     try AtomicFile.write(log.standardOutput, to: out)              // EXEC-004
/// }                                                                  // PATTERN-002: .verified, .claimedSuccessButWrong or .failed
/// ```
///
/// Where this library deliberately differs from the seed (the Python
/// originals described in `shared/seed/patterns-facts.md`):
/// - EXEC-004: the seed renames a `mktemp` file without any fsync, so after
///   a power loss the destination can be empty; here the file and its
///   directory are fsynced, the temporary is created with `O_EXCL`, the
///   destination's mode is kept, and stale temporaries are cleaned (never a
///   live one: its lock is held until after the rename).
/// - PATTERN-003: the seed retries errors it cannot classify and jitters
///   by ±10 %; here unknown errors are permanent, jitter is full (uniform in
///   `[0, cap]`), the total time is bounded, and cancellation is honoured.
/// - EXEC-001: the seed dispatches on the extension only; here the content is
///   validated too, and errors carry a line and column. YAML is read with
///   Yams (libyaml), typed by this library's rules rather than YAML 1.1's
///   (`yes` and dates stay strings), with alias expansion bounded; JSON and
///   CSV have hand-written readers because they give the error's position.
/// - EXEC-002: the seed has no rollback; here completed steps are undone
///   (also a step that threw after reaching the disk), the rollback never
///   removes the only copy of a file, and a source produced by an earlier
///   step of the batch validates.
/// - EXEC-003: the seed lets an unreadable version pass and runs commands
///   through a shell; here an unreadable version is a reported problem and
///   tools are run directly, with a timeout after which nothing of the
///   tool's process group is left, and output over the limit is its own error.
/// - PATTERN-001: the seed only counts plan updates (`PlanningLoopGuard`
///   keeps that); the budget adds wall time and cost and a deadline for I/O.
///   A step is never interrupted; its I/O stops at the deadline where the
///   deadline is passed in (`load(deadline:)`, `run(within:)`).
/// - PATTERN-002: the seed checks `os.path` facts; here the verifier reads
///   the bytes itself and checks size, SHA-256, format and mtime from them.
public enum ExecutionPatterns {
    /// One pattern: its seed ID, the faults it is meant to defeat, and its anti-pattern.
    public struct Pattern: Sendable, Hashable {
        public let id: String
        public let title: String
        /// faultbench's fault names (see DESIGN.md).
        public let defeats: [String]
        public let antiPattern: String
    }

    /// The seven patterns, in the seed's order; for reports that map results back to patterns.
    public static let catalog: [Pattern] = [
        Pattern(id: "EXEC-001", title: "Type-safe file operations",
                defeats: ["corrupt-read", "torn-write", "missing", "errno"],
                antiPattern: "Trying every parser until one does not throw, or trusting the extension with no content check."),
        Pattern(id: "EXEC-002", title: "Batch validation",
                defeats: ["missing", "errno", "disk-full"],
                antiPattern: "Executing, then validating; stopping at the first failure with half the batch applied."),
        Pattern(id: "EXEC-003", title: "Tool availability guards",
                defeats: ["missing", "delay"],
                antiPattern: "Catching 'command not found' with no install hint, or retrying a missing tool."),
        Pattern(id: "EXEC-004", title: "Atomic operations",
                defeats: ["short-write", "kill-caller", "power-loss", "fsync-fail", "disk-full"],
                antiPattern: "Writing the destination in place (O_TRUNC), or renaming without fsync."),
        Pattern(id: "PATTERN-001", title: "Planning budget",
                defeats: ["delay"],
                antiPattern: "Refining a plan with no limit on iterations, time or cost."),
        Pattern(id: "PATTERN-002", title: "Ground-truth verification",
                defeats: ["lost-write", "torn-write"],
                antiPattern: "Trusting the exit code or the tool's own 'done' message."),
        Pattern(id: "PATTERN-003", title: "Smart retry with backoff",
                defeats: ["transient", "errno", "delay"],
                antiPattern: "Immediate or fixed-delay retries of every error, including ENOENT and unknown ones."),
    ]
}
