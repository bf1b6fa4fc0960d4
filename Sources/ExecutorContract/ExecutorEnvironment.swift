/// The environment every executor receives, built-in or external.
///
/// The task itself arrives as one JSON object on standard input (see
/// docs/TASKS.md); the executor's working directory is the trial's directory
/// on the mount, and `PATH` starts with that directory's `bin/`.
public enum ExecutorEnvironment {
    /// The trial's directory on the mount; also the working directory.
    public static let root = "FAULTBENCH_ROOT"
    /// The trial's id, unique within the run (for logs; also how the harness
    /// finds a trial's stray processes).
    public static let trial = "FAULTBENCH_TRIAL"
    /// `off` or `on`: which arm this process is.
    public static let arm = "FAULTBENCH_ARM"
}

/// The two arms of every scenario.
public enum Arm: String, Codable, Sendable, Hashable, CaseIterable, Comparable {
    /// Ordinary code: checks the errors the APIs report, but no fsync, no validation, no guard, no retry.
    case off
    /// The same task done with the ExecutionPatterns library.
    case on

    public static func < (lhs: Arm, rhs: Arm) -> Bool { lhs == .off && rhs == .on }
}
