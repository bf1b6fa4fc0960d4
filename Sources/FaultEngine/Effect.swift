/// What FaultFS must do with a call instead of (or besides) passing it through.
public enum Effect: Sendable, Hashable {
    /// Perform the call normally.
    case proceed
    /// Do not perform the call; return this errno.
    case fail(Int32)
    /// Perform only this many bytes of the read or write and report that count.
    case short(Int)
    /// Store only the first `stored` bytes of the write but report the full count.
    case torn(stored: Int)
    /// Report the full count of the write but store nothing.
    case lost
    /// Perform the read, then damage the returned bytes with `CorruptionPlan.apply(to:)`.
    case corrupt(CorruptionPlan)
    /// Store only the first `bytes` bytes of the write, report them, then SIGKILL `pid`.
    case killAfter(bytes: Int, pid: Int32)
    /// Do not perform the call; crash as the plan says and return EIO.
    case powerLoss(PowerLossPlan)
    /// Do not perform the fsync; drop the file's unsynced data (`DurabilityLog.dropUnsynced`) and return EIO.
    case fsyncFail
}
