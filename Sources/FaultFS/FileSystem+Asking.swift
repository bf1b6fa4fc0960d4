#if canImport(Glibc)
import Glibc
#endif
import CFuse
import FaultEngine
import SystemCalls

/// How a call asks the fault engine, and answers when the engine's action
/// replaces it.
extension FileSystem {
    /// Whether any fault rule is armed: the one check every operation pays.
    @inline(__always)
    var faultsArmed: Bool { faults.engine.isArmed }

    /// Asks the engine about one call on `path` and waits out any injected
    /// delay.
    /// - Returns: `.perform` at once when no rule is armed; `.refuse(EINTR)`
    ///   if the caller was signalled during a delay.
    @inline(__always)
    func fault(_ op: FSOperation, _ req: fuse_req_t, path: @autoclosure () -> String,
               offset: Int = 0, length: Int = 0) -> CallAction {
        guard faultsArmed else { return .perform }
        let decision = faults.engine.decide(op, path: path(), caller: caller(req), offset: Int64(offset), length: length)
        if decision.delayNanoseconds > 0 {
            leader.yield()
            if !waitOut(decision.delayNanoseconds, req) { return .refuse(EINTR) }
        }
        return CallAction(decision.effect, on: op, length: length)
    }

    /// Asks the engine about a call on an inode, skipping it entirely (no
    /// path, no caller, no lock of the engine's) when no armed rule acts on
    /// this operation for the inode (see `TargetVerdicts`). This is what
    /// keeps 100 idle rules cheap on files no rule is about, and a file
    /// targeted only for writes cheap on every other call.
    @inline(__always)
    func fault(_ op: FSOperation, _ req: fuse_req_t, inode: Inode, offset: Int = 0, length: Int = 0) -> CallAction {
        guard faultsArmed, targetOperations(inode).contains(op) else { return .perform }
        return fault(op, req, path: path(of: inode), offset: offset, length: length)
    }

    /// Asks the engine about a call that names `name` in `dir` (lookup,
    /// unlink, rename, ...), building the child's path only when some armed
    /// rule may act on `op` below the directory.
    @inline(__always)
    func fault(_ op: FSOperation, _ req: fuse_req_t, child name: UnsafePointer<CChar>, of dir: Inode) -> CallAction {
        guard faultsArmed, childOperations(of: dir).contains(op) else { return .perform }
        return fault(op, req, path: childPath(dir, name))
    }

    /// Carries out an action that replaces the call, answering the request:
    /// an errno, a crash, or an fsync-fail's lost data (of `file`). A READ
    /// or WRITE passes its file as `pagesHeld`: the kernel may hold that
    /// file's pages locked until the request is answered, so a crash drops
    /// them only after (see `powerLoss`).
    /// - Returns: true if the request was answered; false for an action
    ///   the operation carries out itself.
    func answerInstead(_ req: fuse_req_t, _ action: CallAction, file: Inode? = nil, pagesHeld: Inode? = nil) -> Bool {
        guard action.replacesCall else { return false }
        switch action {
        case .refuse(let code):
            fuse_reply_err(req, code)
        // A crash and an fsync-fail drop the kernel's pages, which waits
        // for page locks; a reader holds one while its READ waits in
        // /dev/fuse, and if every worker waited so, no one would read it.
        // So they are carried out, and the request answered, on a thread of
        // their own, and the worker goes back to the device. The caller
        // still gets its EIO only after the pages are gone, but for those
        // of its own file, which its request may hold locked, and of other
        // crashes' files not answered yet (see `powerLoss`).
        case .crash(let plan):
            let pending = PendingRequest(req)
            // Counted before the job starts, so that a crash already
            // dropping pages elsewhere spares this file from now on.
            if let pagesHeld { crashesUnanswered.withLock { $0.append(pagesHeld) } }
            offWorker.run { [self] in
                powerLoss(plan, insideRequest: true, sparing: pagesHeld)
                fuse_reply_err(pending.req, EIO)
                if let pagesHeld {
                    crashesUnanswered.withLock { list in
                        if let i = list.firstIndex(where: { $0 === pagesHeld }) { list.remove(at: i) }
                    }
                }
            }
        case .dropUnsynced:
            let pending = PendingRequest(req)
            offWorker.run { [self] in
                if let file { dropUnsynced(file) }
                fuse_reply_err(pending.req, EIO)
            }
        case .perform, .write, .read:
            preconditionFailure("CallAction.replacesCall said \(action) replaces the call")
        }
        return true
    }

    /// Sleeps for an injected delay unless the caller gives up: a signal to
    /// the waiting process (SIGKILL included) makes the kernel send an
    /// INTERRUPT, and the call then ends at once with EINTR, as on a network
    /// filesystem mounted `intr`. Without this, a process killed during a
    /// delay could not die until the delay ran out, and no timeout (a tool
    /// guard's, a planning budget's, the harness's) could stop a task that
    /// is waiting on slow I/O.
    /// - Returns: false if the request was interrupted.
    private func waitOut(_ nanoseconds: UInt64, _ req: fuse_req_t) -> Bool {
        // Slices of at most 2 ms: an interrupt is noticed within that, and a
        // long delay costs a few hundred wakeups a second, not a busy loop.
        let slice: UInt64 = 2_000_000
        var left = nanoseconds
        while left > 0 {
            if fuse_req_interrupted(req) != 0 { return false }
            let step = min(left, slice)
            Syscall.sleep(nanoseconds: step)
            left -= step
        }
        return true
    }
}

/// A request answered on another thread than the worker that read it;
/// libfuse allows a reply from any thread, once.
struct PendingRequest: @unchecked Sendable {
    // @unchecked: the request is answered exactly once, by the one thread
    // it is handed to; nothing else touches it after the hand-over.
    let req: fuse_req_t
    init(_ req: fuse_req_t) { self.req = req }
}
