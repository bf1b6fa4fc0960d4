import ExecutorContract

/// One trial as the run recorded it: enough to recompute every figure and to
/// show a reader why the oracle decided what it did.
public struct TrialRecord: Codable, Sendable, Hashable {
    /// The trial's position in the run's plan (0-based, over all scenarios
    /// and arms); shards and `--resume` use it to know what is done.
    public var index: Int
    /// The trial's directory name, unique within the run (`t000123`).
    public var id: String
    public var scenario: String
    public var arm: Arm
    /// The trial's number within its (scenario, arm) cell, from 0.
    public var number: Int
    /// Warm-up trials are run and recorded but never counted in figures.
    public var warmup: Bool
    public var outcome: Outcome
    /// The oracle's reason, one sentence.
    public var reason: String
    /// The claim as decoded; nil if the executor printed none that decodes.
    public var claim: Claim?
    /// The executor's last line of standard output, when it was not a valid claim.
    public var rawClaim: String?
    public var exit: ExitStatus
    /// Wall time of the executor, from spawn to reaped, in seconds.
    public var seconds: Double
    /// Time the harness spent on the trial outside the executor, in seconds.
    public var overhead: Double
    /// Attempts the executor reported (1 without a claim).
    public var attempts: Int
    /// The faults injected during the trial, as the filesystem traced them (JSON lines).
    public var faults: [String]
    /// What the oracle saw in the backing directory for each path it checked.
    public var groundTruth: [FileState]
    /// The last lines of standard error, for a reader working out a crash.
    public var stderrTail: String?

    public init(
        index: Int, id: String, scenario: String, arm: Arm, number: Int, warmup: Bool, outcome: Outcome,
        reason: String, claim: Claim?, rawClaim: String?, exit: ExitStatus, seconds: Double, overhead: Double,
        attempts: Int, faults: [String], groundTruth: [FileState], stderrTail: String?
    ) {
        self.index = index
        self.id = id
        self.scenario = scenario
        self.arm = arm
        self.number = number
        self.warmup = warmup
        self.outcome = outcome
        self.reason = reason
        self.claim = claim
        self.rawClaim = rawClaim
        self.exit = exit
        self.seconds = seconds
        self.overhead = overhead
        self.attempts = attempts
        self.faults = faults
        self.groundTruth = groundTruth
        self.stderrTail = stderrTail
    }
}

/// How the executor process ended.
public struct ExitStatus: Codable, Sendable, Hashable {
    /// The exit code, if it exited.
    public var code: Int32?
    /// The signal that ended it, if one did.
    public var signal: Int32?
    /// Whether the harness killed it at the scenario's timeout.
    public var timedOut: Bool
    /// Whether the filesystem killed it on purpose (kill-caller, power-loss).
    public var killedByFault: Bool

    public init(code: Int32? = nil, signal: Int32? = nil, timedOut: Bool = false, killedByFault: Bool = false) {
        self.code = code
        self.signal = signal
        self.timedOut = timedOut
        self.killedByFault = killedByFault
    }
}

/// One path as the oracle found it on the backing directory.
public struct FileState: Codable, Sendable, Hashable {
    public var path: String
    public var exists: Bool
    public var size: Int?
    public var sha256: String?

    public init(path: String, exists: Bool, size: Int? = nil, sha256: String? = nil) {
        self.path = path
        self.exists = exists
        self.size = size
        self.sha256 = sha256
    }
}
