#if canImport(Glibc)
import Glibc
#endif
import CFuse
import FaultEngine
import SystemCalls
import SystemPackage
import Synchronization
import Foundation

/// How the filesystem asks the fault engine before an operation, and carries
/// out what it decides.
extension FileSystem {
    /// Whether any fault rule is armed: the one check every operation pays.
    @inline(__always)
    var faultsArmed: Bool { faults?.engine.isArmed ?? false }

    /// The mount-relative path of an inode ("" for the root).
    ///
    /// Computed from /proc/self/fd (the kernel knows where the descriptor's
    /// file is now, across renames) and cached until the next rename.
    func path(of inode: Inode) -> String {
        guard let faults, inode !== inodes.root else { return "" }
        let generation = faults.renameGeneration.load(ordering: .acquiring)
        if let cached = inode.cachedPath.withLock({ $0 }), cached.generation == generation { return cached.path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = Syscall.count { Glibc.readlink(inode.procPath, &buffer, buffer.count - 1) }
        guard case .success(let length) = n else { return "" }
        var full = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if full.hasSuffix(" (deleted)") { full.removeLast(" (deleted)".count) }
        let prefix = faults.backingPath == "/" ? "/" : faults.backingPath + "/"
        let path = full.hasPrefix(prefix) ? String(full.dropFirst(prefix.count)) : full
        inode.cachedPath.withLock { $0 = (generation, path) }
        return path
    }

    func childPath(_ parent: Inode, _ name: UnsafePointer<CChar>) -> String {
        let base = path(of: parent)
        let child = String(cString: name)
        return base.isEmpty ? child : base + "/" + child
    }

    /// Who made the call. FUSE reports the calling *thread*; rules, byte
    /// counts and kills are about processes, so the thread id is mapped to
    /// its process id (cached: one /proc read per thread).
    @inline(__always)
    func caller(_ req: fuse_req_t) -> Caller {
        let ctx = fuse_req_ctx(req)!.pointee
        return Caller(pid: processID(ofThread: ctx.pid), uid: ctx.uid, gid: ctx.gid)
    }

    func processID(ofThread tid: Int32) -> Int32 {
        let slot = Int(UInt32(bitPattern: tid) % UInt32(ThreadGroupSlot.count))
        if let known = threadGroups.withLock({ $0[slot].tid == tid ? $0[slot].tgid : nil }) { return known }
        var tgid = tid
        if let status = readWholeFile("/proc/\(tid)/status"),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Tgid:") }),
           let value = Int32(line.dropFirst(5).trimmingCharacters(in: .whitespaces)) {
            tgid = value
        }
        threadGroups.withLock { $0[slot] = ThreadGroupSlot(tid: tid, tgid: tgid) }
        return tgid
    }

    /// Asks the engine about one call and waits out any injected delay.
    ///
    /// - Returns: `.proceed` at once when no rule is armed.
    @inline(__always)
    func fault(_ op: FSOperation, _ req: fuse_req_t, path: @autoclosure () -> String,
               offset: Int = 0, length: Int = 0) -> Effect {
        guard let faults, faults.engine.isArmed else { return .proceed }
        let decision = faults.engine.decide(op, path: path(), caller: caller(req), offset: Int64(offset), length: length)
        if decision.delayNanoseconds > 0 {
            leader.yield()
            if !waitOut(decision.delayNanoseconds, req) { return .fail(EINTR) }
        }
        return decision.effect
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

    /// Asks the engine about a call on an inode, skipping it entirely (no
    /// path, no caller, no lock of the engine's) when no armed rule acts on
    /// this operation for the inode's path: the operations rules act on are
    /// cached per inode until rules are armed or cleared or anything is
    /// renamed. This is what keeps 100 idle rules cheap on files no rule is
    /// about, and a file targeted only for writes cheap on every other call.
    @inline(__always)
    func fault(_ op: FSOperation, _ req: fuse_req_t, inode: Inode, offset: Int = 0, length: Int = 0) -> Effect {
        guard faultsArmed, targetOperations(inode).contains(op) else { return .proceed }
        return fault(op, req, path: path(of: inode), offset: offset, length: length)
    }

    /// Asks the engine about a call that names `name` in `dir` (lookup,
    /// create, unlink, ...), building the child's path only when some armed
    /// rule may act on `op` below the directory.
    /// - Returns: the effect, and the child's path when it was built.
    @inline(__always)
    func fault(_ op: FSOperation, _ req: fuse_req_t, child name: UnsafePointer<CChar>, of dir: Inode) -> Effect {
        guard faultsArmed, childOperations(of: dir).contains(op) else { return .proceed }
        return fault(op, req, path: childPath(dir, name))
    }

    /// The operations armed rules act on for this inode's path; empty when
    /// no rule can reach it.
    func targetOperations(_ inode: Inode) -> OperationSet {
        judged(inode.verdict, of: inode) { engine, path in engine.operations(targeting: path) }
    }

    /// Whether any armed rule can act on this inode at all.
    func mayBeTargeted(_ inode: Inode) -> Bool { !targetOperations(inode).isEmpty }

    /// The operations armed rules may act on for a name in directory `dir`
    /// or below, cached per directory as `targetOperations` is. When empty,
    /// a call that names a child (lookup, create, unlink, ...) skips the
    /// engine, and the child's own verdict is known without reading its
    /// path: with 100 idle rules, creating and removing small files no
    /// longer builds a path and takes the engine's lock for every name.
    func childOperations(of dir: Inode) -> OperationSet {
        judged(dir.childVerdict, of: dir) { engine, path in engine.operations(below: path) }
    }

    func mayTargetChildren(of dir: Inode) -> Bool { !childOperations(of: dir).isEmpty }

    /// The verdict cached in `slot` while it is current; otherwise `judge`'s
    /// answer for the inode's path, cached with the generations read before
    /// judging (so a change during the judgement leaves it stale, not wrong).
    @inline(__always)
    private func judged(_ slot: borrowing Mutex<Verdict?>, of inode: Inode,
                        _ judge: (FaultEngine, String) -> OperationSet) -> OperationSet {
        guard let faults else { return [] }
        let rules = faults.engine.rulesGeneration
        let renames = faults.renameGeneration.load(ordering: .acquiring)
        if let known = slot.withLock({ $0 }), known.rules == rules, known.renames == renames {
            return known.operations
        }
        let operations = judge(faults.engine, path(of: inode))
        slot.withLock { $0 = Verdict(rules: rules, renames: renames, operations: operations) }
        return operations
    }

    /// The inode's cached verdict if it is still current, without judging.
    func currentVerdict(_ inode: Inode) -> OperationSet? {
        guard let faults, let known = inode.verdict.withLock({ $0 }) else { return nil }
        guard known.rules == faults.engine.rulesGeneration,
              known.renames == faults.renameGeneration.load(ordering: .acquiring) else { return nil }
        return known.operations
    }

    /// Judges a new inode from the path it was just found or made under,
    /// remembering both, so its first call needs neither a readlink nor
    /// the engine's lock again.
    /// - Returns: the operations armed rules act on for it.
    func judgeNew(_ inode: Inode, path: String) -> OperationSet {
        guard let faults else { return [] }
        let rules = faults.engine.rulesGeneration
        let renames = faults.renameGeneration.load(ordering: .acquiring)
        let operations = faults.engine.operations(targeting: path)
        if inode !== inodes.root {
            inode.cachedPath.withLock { $0 = (renames, path) }
            inode.verdict.withLock { $0 = Verdict(rules: rules, renames: renames, operations: operations) }
        }
        return operations
    }

    /// Gives `inode`, just found in `dir`, the directory's verdict when it
    /// says no rule can reach anything below it. The verdict keeps the
    /// generations it was judged in, so if rules were armed meanwhile it is
    /// stale for the child as for the directory, and judged again.
    func inheritVerdict(_ inode: Inode, from dir: Inode) {
        guard let known = dir.childVerdict.withLock({ $0 }), known.operations.isEmpty else { return }
        inode.verdict.withLock { $0 = known }
        // Nothing below a directory that no rule can reach is reachable
        // either: its own children are settled too.
        inode.childVerdict.withLock { $0 = known }
    }


    /// Handles the effects that replace any operation: an errno, or a crash.
    /// - Returns: true if the request was answered.
    func answerGenericEffect(_ req: fuse_req_t, _ effect: Effect) -> Bool {
        switch effect {
        case .proceed:
            return false
        case .fail(let code):
            fuse_reply_err(req, code)
            return true
        case .powerLoss(let plan):
            powerLoss(plan, insideRequest: true)
            fuse_reply_err(req, EIO)
            return true
        case .fsyncFail:
            fuse_reply_err(req, EIO)
            return true
        case .short, .torn, .lost, .corrupt, .killAfter:
            // Data effects on an operation that moves no data: nothing to cut.
            return false
        }
    }

    // MARK: - Durability

    var tracksDurability: Bool { faults?.tracksDurability.load(ordering: .acquiring) ?? false }

    /// Saves the bytes a write is about to overwrite, the first time since
    /// the file's last fsync, so a power loss can put them back.
    func logWrite(_ file: OpenFile, offset: Int, length: Int) {
        guard let faults, tracksDurability else { return }
        var st = stat()
        guard case .success = Syscall.run({ fstat(file.fd, &st) }) else { return }
        let start = file.appends ? Int64(st.st_size) : Int64(offset)
        let ranges = faults.durability.withLock { state -> [Range<Int64>] in
            state.pin(file.inode)
            return state.log.willWrite(file: file.inode.key, offset: start, length: length, oldSize: Int64(st.st_size))
        }
        saveOldBytes(faults, file.inode.key, fd: file.fd, ranges)
    }

    func logTruncate(_ inode: Inode, newSize: Int) {
        guard let faults, tracksDurability else { return }
        var st = stat()
        guard case .success = Syscall.run({ fstatat(inode.fd, "", &st, cfuse_AT_EMPTY_PATH) }) else { return }
        let ranges = faults.durability.withLock { state -> [Range<Int64>] in
            state.pin(inode)
            return state.log.willTruncate(file: inode.key, newSize: Int64(newSize), oldSize: Int64(st.st_size))
        }
        guard !ranges.isEmpty else { return }
        let readFD = Syscall.run { Glibc.open(inode.procPath, O_RDONLY | O_CLOEXEC) }
        guard case .success(let rfd) = readFD else { return }
        defer { Syscall.close(rfd) }
        saveOldBytes(faults, inode.key, fd: rfd, ranges)
    }

    private func saveOldBytes(_ faults: FaultContext, _ key: InodeKey, fd: Int32, _ ranges: [Range<Int64>]) {
        for range in ranges {
            var bytes = [UInt8](repeating: 0, count: Int(range.count))
            let n = bytes.withUnsafeMutableBytes { buffer in
                Syscall.count { pread(fd, buffer.baseAddress, buffer.count, Int(range.lowerBound)) }
            }
            // The file may have been opened write-only: then reopen to read.
            let got: Int
            if case .success(let count) = n { got = count } else { got = readThroughProc(fd, &bytes, range) }
            if got < bytes.count { bytes.removeLast(bytes.count - max(0, got)) }
            faults.durability.withLock { $0.log.recordSaved(file: key, offset: range.lowerBound, oldBytes: bytes) }
        }
    }

    private func readThroughProc(_ fd: Int32, _ bytes: inout [UInt8], _ range: Range<Int64>) -> Int {
        guard case .success(let rfd) = Syscall.run({ Glibc.open("/proc/self/fd/\(fd)", O_RDONLY | O_CLOEXEC) }) else { return 0 }
        defer { Syscall.close(rfd) }
        let n = bytes.withUnsafeMutableBytes { buffer in
            Syscall.count { pread(rfd, buffer.baseAddress, buffer.count, Int(range.lowerBound)) }
        }
        if case .success(let count) = n { return count }
        return 0
    }

    func logSync(_ inode: Inode) {
        guard let faults else { return }
        faults.durability.withLock { state in
            state.log.didSync(file: inode.key)
            state.unpin(inode.key)
        }
    }

    func logDirectorySync(_ inode: Inode) {
        guard let faults, tracksDurability else { return }
        // The path first: `path(of:)` takes the inode's path lock, which is
        // never taken inside `durability` (see FaultContext's lock order).
        let path = path(of: inode)
        let stashes = faults.durability.withLock { $0.log.syncDirectory(path) }
        for stash in stashes { _ = Syscall.run { unlinkat(AT_FDCWD, stashPath(stash), 0) } }
    }

    /// Keeps an about-to-be-unlinked (or replaced) file under a stash name,
    /// so a metadata power loss can bring it back.
    /// - Returns: the stash's name for the durability log, or nil.
    func stash(parent: Inode, name: UnsafePointer<CChar>) -> String? {
        guard let faults, tracksDurability else { return nil }
        _ = Syscall.run { Glibc.mkdir(faults.stashDirectory, 0o700) }
        let stashName = faults.durability.withLock { state -> String in
            state.stashCounter += 1
            return "stash-\(state.stashCounter)"
        }
        let linked = Syscall.run { linkat(parent.fd, name, AT_FDCWD, faults.stashDirectory + "/" + stashName, 0) }
        guard case .success = linked else { return nil }
        return "\u{1}" + stashName
    }

    /// Removes the stash directory and what is in it: once unmounted, no
    /// crash can need an unlinked file back.
    func removeStash() {
        guard let faults, case .success(let dir) = Syscall.pointer({ Glibc.opendir(faults.stashDirectory) }) else { return }
        while case .success(let entry?) = Syscall.readdir(dir) {
            let name = cfuse_dirent_name(entry)!
            if strcmp(name, ".") != 0 && strcmp(name, "..") != 0 { _ = Syscall.run { unlinkat(dirfd(dir), name, 0) } }
        }
        Syscall.closedir(dir)
        _ = Syscall.run { Glibc.rmdir(faults.stashDirectory) }
    }

    /// A path from an undo action, made absolute: stash names live in the
    /// stash directory, everything else is relative to the backing root.
    func stashPath(_ name: String) -> String {
        guard let faults else { return name }
        if name.hasPrefix("\u{1}") { return faults.stashDirectory + "/" + name.dropFirst() }
        return faults.backingPath + "/" + name
    }

    // MARK: - Crashes

    /// Kills the named callers, undoes every unsynced change, and drops the
    /// kernel's caches so the mount shows the post-crash state.
    ///
    /// The victims are stopped first, so nothing they do lands between the
    /// undo and their death, and killed only once pages and names are
    /// dropped: whoever sees them die sees the post-crash state. Dropping a
    /// name takes its directory's lock in the kernel, which the request that
    /// triggered the crash may hold (a create, a rename); then the names are
    /// dropped, and the victims killed, on another thread once this request
    /// is answered.
    /// - Returns: the processes signalled, and the pids named that did not exist.
    @discardableResult
    func powerLoss(_ plan: PowerLossPlan, insideRequest: Bool) -> ProcessKiller.Victims {
        guard let faults else { return ProcessKiller.Victims() }
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
        invalidatePages()
        let names = cachedNames()
        let finish: @Sendable () -> Void = { [self] in
            invalidate(names)
            ProcessKiller.signal(victims, SIGKILL)
        }
        if insideRequest { BackgroundThread.run(finish) } else { finish() }
        return found
    }

    /// fsync-fail: the unsynced data of one file is gone, as after Linux
    /// drops dirty pages it could not write back.
    func dropUnsynced(_ inode: Inode) {
        guard let faults else { return }
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

    /// Arms a plan: the one sequence for a plan given at mount and for a
    /// control request. Once it returns, the rules are in force: durability
    /// is tracked if a crash rule needs it, and the kernel holds no cached
    /// page, attribute or name of a file the rules target.
    /// - Throws: `PlanError` if a rule is out of range or its name is taken; nothing is armed then.
    @discardableResult
    func arm(_ plan: Plan) throws(PlanError) -> [RuleID] {
        guard let faults else { return [] }
        let ids = try faults.engine.arm(plan)
        faults.rulesChanged()
        // Only the new rules can have made a cached page, attribute or
        // name wrong; files other rules target were dropped when those
        // were armed.
        invalidate(matching: plan.rules.map(\.path))
        return ids
    }

    // MARK: - Kernel cache

    /// Drops the kernel's cached pages, attributes and names of these inodes.
    func invalidate(_ list: [Inode]) {
        guard let se = faults?.sessionPointer else { return }
        for inode in list {
            _ = fuse_lowlevel_notify_inval_inode(se, inodes.nodeid(of: inode), 0, 0)
        }
    }

    /// Drops the kernel's cached pages and attributes of every inode.
    func invalidatePages() {
        guard let se = faults?.sessionPointer else { return }
        for inode in inodes.snapshot() {
            _ = fuse_lowlevel_notify_inval_inode(se, inodes.nodeid(of: inode), 0, 0)
        }
        _ = fuse_lowlevel_notify_inval_inode(se, fuse_ino_t(FUSE_ROOT_ID), 0, 0)
    }

    /// Every (directory, name) the kernel may have cached.
    func cachedNames() -> [NameInvalidation] {
        let all = inodes.snapshot()
        var byPath: [String: Inode] = ["": inodes.root]
        for inode in all { byPath[path(of: inode)] = inode }
        var names: [NameInvalidation] = []
        for path in byPath.keys where !path.isEmpty {
            let (parentPath, name) = splitPath(path)
            if let parent = byPath[parentPath] { names.append(NameInvalidation(parent: inodes.nodeid(of: parent), name: name)) }
        }
        return names
    }

    func invalidate(_ names: [NameInvalidation]) {
        guard let se = faults?.sessionPointer else { return }
        for entry in names {
            _ = entry.name.withCString { fuse_lowlevel_notify_inval_entry(se, entry.parent, $0, strlen($0)) }
        }
    }

    /// Before a rule is reported armed, or once it is cleared: the kernel
    /// must not answer a call it targets from its cache (pages, attributes
    /// or a cached name). Matches the rules' globs here, with no lock of the
    /// engine's, so arming a trial's rules does not ask the engine about
    /// every inode the kernel holds.
    func invalidate(matching globs: [Glob]) {
        guard !globs.isEmpty else { return }
        invalidate(pathsWhere: { path in globs.contains { $0.matches(path) } })
    }

    /// The paths of every inode the kernel holds that armed rules target now;
    /// taken before a clear, so what a rule damaged can be dropped after.
    func targetedPaths() -> Set<String> {
        guard let faults else { return [] }
        var result = Set<String>()
        for inode in inodes.snapshot() {
            let path = path(of: inode)
            if faults.engine.targets(path: path) { result.insert(path) }
        }
        return result
    }

    /// Drops the kernel's cached pages, attributes and names of the inodes
    /// whose paths satisfy `isTargeted`. Only directories are kept by path
    /// (a name is dropped through its parent), not every inode.
    func invalidate(pathsWhere isTargeted: (String) -> Bool) {
        guard let faults, let se = faults.sessionPointer else { return }
        var directories: [String: Inode] = ["": inodes.root]
        var targets: [(path: String, inode: Inode)] = []
        for inode in inodes.snapshot() where inode !== inodes.root {
            let path = path(of: inode)
            if path.isEmpty { continue }
            if inode.fileType == S_IFDIR { directories[path] = inode }
            if isTargeted(path) { targets.append((path, inode)) }
        }
        for (path, inode) in targets {
            _ = fuse_lowlevel_notify_inval_inode(se, inodes.nodeid(of: inode), 0, 0)
            let (parentPath, name) = splitPath(path)
            if let parent = directories[parentPath] {
                _ = name.withCString { fuse_lowlevel_notify_inval_entry(se, inodes.nodeid(of: parent), $0, strlen($0)) }
            }
        }
    }
}

struct NameInvalidation: Sendable {
    let parent: fuse_ino_t
    let name: String
}

/// Splits a mount-relative path into its directory and its last name.
func splitPath(_ path: String) -> (directory: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return ("", path) }
    return (String(path[..<slash]), String(path[path.index(after: slash)...]))
}

