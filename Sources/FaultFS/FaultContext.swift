#if canImport(Glibc)
import Glibc
#endif
import CFuse
import FaultEngine
import Synchronization
import SystemCalls

/// Everything the filesystem needs to inject faults: the engine that decides,
/// the durability log a crash is undone from, and what ties them to files.
///
/// Lock order, outermost first; a lock is only ever taken while holding
/// locks above it in this list, never below:
/// 1. `CrashGate`'s rwlock (shared by a write, exclusive by a crash's undo);
/// 2. `CrashGate.victims`, inside the rwlock's shared hold (a write asks
///    whether its caller died), or alone (a crash sets it just before it
///    takes the rwlock exclusively), never around the rwlock;
/// 3. `durability`, inside the rwlock or alone; nothing else is taken
///    inside it (a directory's path is read before it is taken);
/// 4. `InodeTable.nodes`, inside the rwlock (a crash's undo finds files)
///    or alone; descriptors it releases are closed after it.
/// Leaves, each taken alone, never while another of these is held and
/// never around one: `Inode.cachedPath`, `Inode.verdict`,
/// `Inode.childVerdict`, `Inode.openModes` (which registers a passthrough
/// backing file, a system call, not a lock), `FileSystem.threadGroups`,
/// `WorkerPool.threads`, and the engine's own state lock (`FaultEngine`
/// calls nothing in FaultFS; its caller resolver only reads /proc). A
/// verdict is judged by reading the slot, asking the engine, then writing
/// the slot: three separate holds (see `TargetVerdicts`).
///
/// The worker pool's leader token is not a lock, but it is held the same
/// way: a worker gives it up (`LeaderToken.yield`) before anything that may
/// wait on the kernel, which may be waiting for a request only the token's
/// holder can read: an injected delay, fsync, and a page drop
/// (`fuse_lowlevel_notify_inval_inode` waits for page locks that a reader
/// holds while its READ is queued).
final class FaultContext: Sendable {
    let engine: FaultEngine
    /// False for a plain passthrough mount: no rule is ever armed, so every
    /// call pays one atomic load (`engine.isArmed`) and nothing more, and
    /// the control socket refuses rules.
    let acceptsRules: Bool
    let paths: PathCache
    let verdicts: TargetVerdicts
    /// Set when writes must be logged for power-loss and fsync-fail: by the
    /// mount option, or while a rule of either kind is armed.
    let tracksDurability = Atomic<Bool>(false)
    let alwaysTrackDurability: Bool
    let durability = Mutex(DurabilityState())
    let stash: Stash
    /// The libfuse session, for cache invalidations; set once it exists.
    let session = Atomic<UInt>(0)

    init(engine: FaultEngine, backingPath: String, alwaysTrackDurability: Bool, acceptsRules: Bool = true) {
        self.engine = engine
        self.acceptsRules = acceptsRules
        self.paths = PathCache(backingPath: backingPath)
        self.verdicts = TargetVerdicts(engine: engine, paths: paths)
        self.alwaysTrackDurability = alwaysTrackDurability
        self.stash = Stash(besides: backingPath)
        tracksDurability.store(alwaysTrackDurability, ordering: .releasing)
    }

    /// The context of a mount without faults: an engine nothing arms.
    static func inert(backingPath: String) -> FaultContext {
        FaultContext(engine: FaultEngine(seed: 0, clock: SystemClock()), backingPath: backingPath,
                     alwaysTrackDurability: false, acceptsRules: false)
    }

    /// Re-reads the armed rules to decide whether writes must be logged.
    func rulesChanged() {
        let crashRules = engine.rules().contains {
            $0.rule.fault.kind == .powerLoss || $0.rule.fault.kind == .fsyncFail
        }
        let tracking = alwaysTrackDurability || crashRules
        let wasTracking = tracksDurability.exchange(tracking, ordering: .acquiringAndReleasing)
        if wasTracking && !tracking {
            // Nothing logged from here on: an old record would make a later
            // crash undo data that was since made durable.
            durability.withLock { state in
                state.log.reset()
                state.unpinAll()
            }
        }
    }

    var sessionPointer: OpaquePointer? {
        OpaquePointer(bitPattern: session.load(ordering: .acquiring))
    }
}

/// The durability log and the descriptors that keep its files reachable.
struct DurabilityState: ~Copyable {
    var log = DurabilityLog<InodeKey>()
    /// An O_PATH descriptor for every file with unsynced changes, so a power
    /// loss can restore it even after the kernel forgot its inode.
    var pinned: [InodeKey: Int32] = [:]

    mutating func pin(_ inode: Inode) {
        if pinned[inode.key] == nil {
            if case .success(let copy) = Syscall.run({ dup(inode.fd) }) { pinned[inode.key] = copy }
        }
    }

    mutating func unpin(_ key: InodeKey) {
        if let fd = pinned.removeValue(forKey: key) { Syscall.close(fd) }
    }

    mutating func unpinAll() {
        for fd in pinned.values { Syscall.close(fd) }
        pinned.removeAll()
    }
}
