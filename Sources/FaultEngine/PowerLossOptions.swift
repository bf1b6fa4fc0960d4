/// How a power-loss rule crashes the filesystem.
public struct PowerLossOptions: Sendable, Hashable {
    /// Also undo create, rename, unlink and truncate made since the parent directory's last fsync.
    public var metadata: Bool
    /// The probability that each unsynced block survives anyway (0 undoes everything), modelling reordered writeback.
    public var keepProbability: Double
    /// Whether the caller that triggered the crash is killed.
    public var killCaller: Bool
    /// Other processes to kill, by pid, name or executable.
    public var kill: [CallerMatch]

    /// Creates options; by default everything unsynced is undone and the triggering caller is killed.
    public init(metadata: Bool = false, keepProbability: Double = 0, killCaller: Bool = true, kill: [CallerMatch] = []) {
        self.metadata = metadata
        self.keepProbability = keepProbability
        self.killCaller = killCaller
        self.kill = kill
    }
}
