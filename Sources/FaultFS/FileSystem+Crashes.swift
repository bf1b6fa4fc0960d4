#if canImport(Glibc)
import Glibc
#endif
import CFuse
import FaultEngine
import SystemCalls

/// Power loss and fsync-fail: the backing files put back to what a crash
/// would have left, and the kernel made to show it.
extension FileSystem {
    /// Kills the named callers, undoes every unsynced change, and drops the
    /// kernel's caches so the mount shows the post-crash state.
    ///
    /// The victims are stopped first, so nothing they do lands between the
    /// undo and their death, and killed only once pages and names are
    /// dropped: whoever sees them die sees the post-crash state. Dropping a
    /// name takes its directory's lock in the kernel, which the request that
    /// triggered the crash may hold (a create, a rename); then the names are
    /// dropped, and the victims killed, on another thread once this request
    /// is answered. The same holds for the pages of `sparing`, the file of
    /// the READ or WRITE that triggered the crash: a read through the page
    /// cache (a private mmap, a handle opened before the rule) and a
    /// write-through write hold its page locks until they are answered.
    /// The files of other crashes' triggers not yet answered are spared
    /// too (`crashesUnanswered`): two crashes on READs of two files each
    /// waited for the other's file, and hung the mount. Each of those
    /// crashes drops its own file's pages once it has answered.
    /// - Returns: the processes signalled, and the pids named that did not exist.
    @discardableResult
    func powerLoss(_ plan: PowerLossPlan, insideRequest: Bool, sparing: Inode? = nil) -> ProcessKiller.Victims {
        leader.yield()
        let found = ProcessKiller.find(plan.kill)
        let victims = found.pids
        ProcessKiller.signal(victims, SIGSTOP)
        crashGate.crash(killing: victims) {
            let (actions, pinned) = faults.durability.withLock { state -> ([UndoAction<InodeKey>], [InodeKey: Int32]) in
                let actions = state.log.powerLossPlan(for: plan)
                state.log.reset()
                let pinned = state.pinned
                state.pinned = [:]
                return (actions, pinned)
            }
            UndoRunner(fs: self, pinned: pinned).run(actions)
            for fd in pinned.values { Syscall.close(fd) }
        }
        invalidatePages(sparing: crashesUnanswered.withLock { $0 } + (sparing.map { [$0] } ?? []))
        let names = cachedNames()
        let finish: @Sendable () -> Void = { [self] in
            if let sparing { invalidate([sparing]) }
            invalidate(names)
            ProcessKiller.signal(victims, SIGKILL)
        }
        if insideRequest { offWorker.run(finish) } else { finish() }
        return found
    }

    /// fsync-fail: the unsynced data of one file is gone, as after Linux
    /// drops dirty pages it could not write back.
    func dropUnsynced(_ inode: Inode) {
        // Never on a worker (see `answerInstead`): the page drop below can
        // wait for a page lock that a reader holds while its READ waits in
        // /dev/fuse. The yield only matters if it is reached from one.
        leader.yield()
        let (actions, pinned) = faults.durability.withLock { state -> ([UndoAction<InodeKey>], [InodeKey: Int32]) in
            let actions = state.log.dropUnsynced(file: inode.key)
            var pinned: [InodeKey: Int32] = [:]
            if let fd = state.pinned.removeValue(forKey: inode.key) { pinned[inode.key] = fd }
            return (actions, pinned)
        }
        // Without a pinned descriptor the runner reaches the file through
        // the inode table, where this open file's inode still is.
        UndoRunner(fs: self, pinned: pinned).run(actions)
        for fd in pinned.values { Syscall.close(fd) }
        invalidate([inode])
    }
}
