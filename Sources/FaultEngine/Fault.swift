/// What a rule does when it fires, with the parameters of that fault.
public enum Fault: Sendable, Hashable {
    /// ENOENT on the targeted operations, and the entry hidden from readdir.
    case missing
    /// One errno, or one drawn from a weighted set, on each firing.
    case errno(ErrnoChoice)
    /// An errno for the first `count` matching calls (or during the rule's window), then success.
    case transient(ErrnoChoice, count: UInt64?)
    /// write() reports and performs fewer bytes than asked.
    case shortWrite(ShortAmount)
    /// read() returns fewer bytes than asked.
    case shortRead(ShortAmount)
    /// A prefix cut at a block boundary is stored; the full count is reported.
    case tornWrite(block: Int)
    /// Success reported, nothing stored.
    case lostWrite
    /// Latency added to the call.
    case delay(DelayModel)
    /// The bytes read() returns are damaged.
    case corruptRead(CorruptionMode)
    /// SIGKILL the caller once it has written `afterBytes` bytes of a matching file.
    case killCaller(afterBytes: Int64)
    /// Unsynced writes are undone as after a power cut.
    case powerLoss(PowerLossOptions)
    /// fsync returns EIO and the file's unsynced data is dropped.
    case fsyncFail
    /// ENOSPC once `afterBytes` bytes have been written across matching files; statfs may report `capacity`.
    case diskFull(afterBytes: Int64, capacity: Int64?)

    /// The plan name of the fault.
    public var kind: FaultKind {
        switch self {
        case .missing: .missing
        case .errno: .errno
        case .transient: .transient
        case .shortWrite: .shortWrite
        case .shortRead: .shortRead
        case .tornWrite: .tornWrite
        case .lostWrite: .lostWrite
        case .delay: .delay
        case .corruptRead: .corruptRead
        case .killCaller: .killCaller
        case .powerLoss: .powerLoss
        case .fsyncFail: .fsyncFail
        case .diskFull: .diskFull
        }
    }
}
