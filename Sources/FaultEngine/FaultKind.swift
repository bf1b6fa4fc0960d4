/// The name of a fault as written in a plan's `fault:` field and in the trace.
public enum FaultKind: String, CaseIterable, Sendable, Hashable {
    case missing, errno, transient
    case shortWrite = "short-write", shortRead = "short-read", tornWrite = "torn-write", lostWrite = "lost-write"
    case delay
    case corruptRead = "corrupt-read", killCaller = "kill-caller", powerLoss = "power-loss"
    case fsyncFail = "fsync-fail", diskFull = "disk-full"

    /// The operations a rule of this kind targets when its plan gives no `ops`.
    public var defaultOperations: OperationSet {
        switch self {
        case .missing: [.lookup, .getattr, .open, .opendir, .access, .readlink, .setattr, .chmod, .chown, .truncate, .unlink, .rmdir, .rename]
        case .errno, .transient, .delay: .all
        case .shortWrite, .tornWrite, .lostWrite, .killCaller: [.write]
        case .shortRead, .corruptRead: [.read]
        case .powerLoss, .fsyncFail: [.fsync]
        case .diskFull: [.write, .create, .mkdir, .mknod, .symlink, .link, .fallocate]
        }
    }
}
