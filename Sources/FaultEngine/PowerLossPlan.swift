/// What FaultFS must do for one power loss: undo with `DurabilityLog.powerLossPlan(for:)`, then kill.
public struct PowerLossPlan: Sendable, Hashable {
    /// Seed of the random subset of blocks that survive; pass it to `DurabilityLog.powerLossPlan(for:)`.
    public var seed: UInt64
    /// Whether metadata changes since the parent directory's last fsync are undone too.
    public var metadata: Bool
    /// The probability that each unsynced block survives.
    public var keepProbability: Double
    /// Processes to kill: the triggering caller's pid (if the rule says so) and the rule's list.
    public var kill: [CallerMatch]

    /// Creates a plan.
    public init(seed: UInt64, metadata: Bool = false, keepProbability: Double = 0, kill: [CallerMatch] = []) {
        self.seed = seed
        self.metadata = metadata
        self.keepProbability = keepProbability
        self.kill = kill
    }

    /// The plan as the trace writes it; pids are left out because they differ in a replay.
    var traceText: String {
        "power-loss seed=0x\(String(seed, radix: 16)) keep=\(keepProbability) metadata=\(metadata)"
    }
}
