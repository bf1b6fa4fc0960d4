#if canImport(Glibc)
import Glibc
#endif
import CFuse
import FaultEngine
import SystemCalls
import SystemPackage

/// The FUSE operations, one method each, in the order of `fuse_lowlevel_ops`.
/// Each answers its request exactly once.
extension FileSystem {
    func lookup(_ req: fuse_req_t, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>) {
        let dir = inodes.inode(parent)
        guard faultsArmed else { return replyEntry(req, lookup(parent: dir, name: name)) }
        guard mayTargetChildren(of: dir) else {
            let found = lookup(parent: dir, name: name)
            if case .success(let (inode, _)) = found { inheritVerdict(inode, from: dir) }
            return replyEntry(req, found)
        }
        var path: String? = nil
        if childOperations(of: dir).contains(.lookup) {
            let named = childPath(dir, name)
            if answerInstead(req, fault(.lookup, req, path: named)) { return }
            path = named
        }
        let found = lookup(parent: dir, name: name)
        guard case .success(let (inode, _)) = found else { return replyEntry(req, found) }
        replyEntry(req, found, acting: operations(ofFound: inode, in: dir, name, path: path))
    }

    func forget(_ ino: fuse_ino_t, _ count: UInt64) {
        inodes.forget(inodes.inode(ino), count: count)
    }

    func getattr(_ req: fuse_req_t, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        let inode = inodes.inode(ino)
        var timeout = cache.attrTimeout
        if faultsArmed {
            if answerInstead(req, fault(.getattr, req, inode: inode)) { return }
            if targetOperations(inode).observesAttributes { timeout = 0 }
        }
        replyAttributes(req, inode, fi, timeout: timeout)
    }

    private func replyAttributes(_ req: fuse_req_t, _ inode: Inode, _ fi: UnsafeMutablePointer<fuse_file_info>?,
                                 timeout: Double) {
        var st = stat()
        let result: Result<Int32, Errno>
        if let fi, inode.fileType != S_IFDIR {
            let fd = OpenFile.from(fi).fd
            result = Syscall.run { fstat(fd, &st) }
        } else {
            result = Syscall.run { fstatat(inode.fd, "", &st, cfuse_AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) }
        }
        switch result {
        case .success: fuse_reply_attr(req, &st, timeout)
        case .failure(let e): reply(req, e)
        }
    }

    func setattr(_ req: fuse_req_t, _ ino: fuse_ino_t, _ attr: UnsafeMutablePointer<stat>, _ valid: Int32,
                 _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        let inode = inodes.inode(ino)
        let fh: Int32? = fi.flatMap { inode.fileType != S_IFDIR ? OpenFile.from($0).fd : nil }
        let a = attr.pointee
        if faultsArmed {
            // One setattr can be several operations; each may be targeted.
            // Operations no rule acts on here are skipped, as the engine
            // would (they are not counted), so no path is built for them.
            let acting = targetOperations(inode)
            var ops: [FSOperation] = []
            if acting.contains(.setattr) { ops.append(.setattr) }
            if valid & FUSE_SET_ATTR_MODE != 0, acting.contains(.chmod) { ops.append(.chmod) }
            if valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID) != 0, acting.contains(.chown) { ops.append(.chown) }
            if valid & FUSE_SET_ATTR_SIZE != 0, acting.contains(.truncate) { ops.append(.truncate) }
            if valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME) != 0, acting.contains(.utimens) { ops.append(.utimens) }
            if !ops.isEmpty {
                let path = path(of: inode)
                for op in ops where answerInstead(req, fault(op, req, path: path, offset: Int(a.st_size))) { return }
            }
        }
        if valid & FUSE_SET_ATTR_SIZE != 0 { logTruncate(inode, newSize: Int(a.st_size)) }
        // chmod, chown (which clears set-user-ID) and truncate may all
        // change the permission bits a write must know: forgotten after each
        // change, before any reply, so no write after it trusts old bits.
        if valid & FUSE_SET_ATTR_MODE != 0 {
            let r = fh.map { fd in Syscall.run { fchmod(fd, a.st_mode) } }
                ?? Syscall.run { chmod(inode.procPath, a.st_mode) }
            inode.forgetMode()
            if case .failure(let e) = r { return reply(req, e) }
        }
        if valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID) != 0 {
            let uid = valid & FUSE_SET_ATTR_UID != 0 ? a.st_uid : uid_t.max
            let gid = valid & FUSE_SET_ATTR_GID != 0 ? a.st_gid : gid_t.max
            let r = Syscall.run { fchownat(inode.fd, "", uid, gid, cfuse_AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) }
            inode.forgetMode()
            if case .failure(let e) = r { return reply(req, e) }
        }
        if valid & FUSE_SET_ATTR_SIZE != 0 {
            let r = fh.map { fd in Syscall.run { ftruncate(fd, a.st_size) } }
                ?? Syscall.run { truncate(inode.procPath, a.st_size) }
            if case .failure(let e) = r { return reply(req, e) }
        }
        if valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME) != 0 {
            var times = (timespec(tv_sec: 0, tv_nsec: cfuse_UTIME_OMIT), timespec(tv_sec: 0, tv_nsec: cfuse_UTIME_OMIT))
            if valid & FUSE_SET_ATTR_ATIME_NOW != 0 { times.0.tv_nsec = cfuse_UTIME_NOW }
            else if valid & FUSE_SET_ATTR_ATIME != 0 { times.0 = a.st_atim }
            if valid & FUSE_SET_ATTR_MTIME_NOW != 0 { times.1.tv_nsec = cfuse_UTIME_NOW }
            else if valid & FUSE_SET_ATTR_MTIME != 0 { times.1 = a.st_mtim }
            let r: Result<Int32, Errno> = withUnsafePointer(to: &times) { tp in
                tp.withMemoryRebound(to: timespec.self, capacity: 2) { ts in
                    if let fh { return Syscall.run { futimens(fh, ts) } }
                    if inode.isSymlink {
                        // A symlink cannot be reopened through /proc without
                        // following it; name it relative to an open parent.
                        return setSymlinkTimes(inode, ts)
                    }
                    return Syscall.run { utimensat(AT_FDCWD, inode.procPath, ts, 0) }
                }
            }
            if case .failure(let e) = r { return reply(req, e) }
        }
        let changes = FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID | FUSE_SET_ATTR_SIZE
            | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME
        if valid & changes == 0 {
            // chown(path, -1, -1) reaches us with nothing to change, but
            // natively it still marks the change time (ext4 and tmpfs do;
            // pjdfstest chown/00.t checks it). The same no-op chown on the
            // backing file does exactly that.
            let r = Syscall.run { fchownat(inode.fd, "", uid_t.max, gid_t.max, cfuse_AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) }
            inode.forgetMode()
            if case .failure(let e) = r { return reply(req, e) }
        }
        inode.forgetMode()
        let observed = faultsArmed && targetOperations(inode).observesAttributes
        replyAttributes(req, inode, fi, timeout: observed ? 0 : cache.attrTimeout)
    }

    /// Sets a symlink's times through its directory entry: the only handle on
    /// a symlink that does not follow it.
    private func setSymlinkTimes(_ inode: Inode, _ ts: UnsafePointer<timespec>) -> Result<Int32, Errno> {
        // utimensat takes no AT_EMPTY_PATH, and through /proc/self/fd/N it
        // would follow the link, so use the path the link has now.
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = Syscall.count { Glibc.readlink(inode.procPath, &buffer, buffer.count - 1) }
        guard case .success(let length) = n else { return .failure(n.errno!) }
        buffer[length] = 0
        return Syscall.run { utimensat(AT_FDCWD, buffer, ts, AT_SYMLINK_NOFOLLOW) }
    }

    func readlink(_ req: fuse_req_t, _ ino: fuse_ino_t) {
        let inode = inodes.inode(ino)
        if faultsArmed, answerInstead(req, fault(.readlink, req, inode: inode)) { return }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = Syscall.count { readlinkat(inode.fd, "", &buffer, buffer.count - 1) }
        switch n {
        case .success(let length):
            buffer[length] = 0
            fuse_reply_readlink(req, buffer)
        case .failure(let e):
            reply(req, e)
        }
    }

    func mknod(_ req: fuse_req_t, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>, _ mode: mode_t, _ rdev: dev_t) {
        let dir = inodes.inode(parent)
        if let bad = checkName(name) { return reply(req, bad) }
        guard case .proceed(let path) = creationFault(.mknod, req, dir, name) else { return }
        let made = asCaller(req) { Syscall.run { mknodat(dir.fd, name, mode, rdev) } }
        if case .failure(let e) = made { return reply(req, e) }
        logCreation(dir, name, directory: false)
        replyCreated(req, dir, name, path: path)
    }

    func mkdir(_ req: fuse_req_t, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>, _ mode: mode_t) {
        let dir = inodes.inode(parent)
        if let bad = checkName(name) { return reply(req, bad) }
        guard case .proceed(let path) = creationFault(.mkdir, req, dir, name) else { return }
        let made = asCaller(req) { Syscall.run { mkdirat(dir.fd, name, mode) } }
        if case .failure(let e) = made { return reply(req, e) }
        logCreation(dir, name, directory: true)
        replyCreated(req, dir, name, path: path)
    }

    func unlink(_ req: fuse_req_t, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>) {
        if let bad = checkName(name) { return reply(req, bad) }
        let dir = inodes.inode(parent)
        if faultsArmed, answerInstead(req, fault(.unlink, req, child: name, of: dir)) { return }
        let stashed = stash(parent: dir, name: name)
        let result = Syscall.run { unlinkat(dir.fd, name, 0) }
        if case .success = result { logUnlink(dir, name, stash: stashed) }
        replyResult(req, result)
    }

    func rmdir(_ req: fuse_req_t, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>) {
        if let bad = checkName(name) { return reply(req, bad) }
        let dir = inodes.inode(parent)
        if faultsArmed, answerInstead(req, fault(.rmdir, req, child: name, of: dir)) { return }
        let result = Syscall.run { unlinkat(dir.fd, name, AT_REMOVEDIR) }
        if case .success = result { logRemoveDirectory(dir, name) }
        replyResult(req, result)
    }

    func symlink(_ req: fuse_req_t, _ target: UnsafePointer<CChar>, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>) {
        let dir = inodes.inode(parent)
        if let bad = checkName(name) { return reply(req, bad) }
        guard case .proceed(let path) = creationFault(.symlink, req, dir, name) else { return }
        // The target is stored as given: a symlink is data, and the caller's
        // kernel resolves it on the caller's side.
        let made = asCaller(req) { Syscall.run { symlinkat(target, dir.fd, name) } }
        if case .failure(let e) = made { return reply(req, e) }
        logCreation(dir, name, directory: false)
        replyCreated(req, dir, name, path: path)
    }

    func rename(_ req: fuse_req_t, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>,
                _ newparent: fuse_ino_t, _ newname: UnsafePointer<CChar>, _ flags: UInt32) {
        if let bad = checkName(name) ?? checkName(newname) { return reply(req, bad) }
        let fromDir = inodes.inode(parent), toDir = inodes.inode(newparent)
        if faultsArmed, answerInstead(req, fault(.rename, req, child: name, of: fromDir)) { return }
        var paths: (from: String, to: String)?
        var replaced: String?
        if tracksDurability {
            paths = (childPath(fromDir, name), childPath(toDir, newname))
            if flags & cfuse_RENAME_EXCHANGE == 0 { replaced = stash(parent: toDir, name: newname) }
        }
        let result = Syscall.run { cfuse_renameat2(fromDir.fd, name, toDir.fd, newname, flags) }
        if case .success = result {
            // Every cached path below the old name is now wrong.
            faults.paths.renamed()
            if let paths {
                faults.durability.withLock { $0.log.didRename(from: paths.from, to: paths.to, replacedStash: replaced) }
            }
        }
        replyResult(req, result)
    }

    func link(_ req: fuse_req_t, _ ino: fuse_ino_t, _ newparent: fuse_ino_t, _ newname: UnsafePointer<CChar>) {
        let inode = inodes.inode(ino), dir = inodes.inode(newparent)
        if let bad = checkName(newname) { return reply(req, bad) }
        guard case .proceed(let path) = creationFault(.link, req, dir, newname) else { return }
        // linkat through /proc with AT_SYMLINK_FOLLOW links the file the
        // O_PATH descriptor pins, even a symlink, without naming any path.
        let made = Syscall.run { linkat(AT_FDCWD, inode.procPath, dir.fd, newname, AT_SYMLINK_FOLLOW) }
        if case .failure(let e) = made { return reply(req, e) }
        logCreation(dir, newname, directory: false)
        replyCreated(req, dir, newname, path: path)
    }

    func open(_ req: fuse_req_t, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let inode = inodes.inode(ino)
        let flags = fi.pointee.flags & ~O_NOFOLLOW
        var acting = OperationSet()
        if faultsArmed {
            if answerInstead(req, fault(.open, req, inode: inode)) { return }
            acting = targetOperations(inode)
        }
        if flags & O_TRUNC != 0 { logTruncate(inode, newSize: 0) }
        switch Syscall.run({ Glibc.open(inode.procPath, flags | O_CLOEXEC) }) {
        case .success(let fd):
            let handle = makeHandle(fd: fd, inode: inode, flags: flags, acting: acting, fi)
            OpenFile.store(handle, in: fi)
            if fuse_reply_open(req, fi) != 0 { OpenFile.release(fi) }
            // The reply patch is spent once sent; this covers a reply libfuse
            // failed to build.
            if handle.mode == .passthrough { passthrough.cancelPendingReply() }
        case .failure(let e):
            reply(req, e)
        }
    }

    func create(_ req: fuse_req_t, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>, _ mode: mode_t,
                _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let dir = inodes.inode(parent)
        if let bad = checkName(name) { return reply(req, bad) }
        guard case .proceed(let path) = creationFault(.create, req, dir, name) else { return }
        let flags = (fi.pointee.flags | O_CREAT | O_CLOEXEC) & ~O_NOFOLLOW
        var existed = stat()
        let isNew = tracksDurability && Syscall.run({ fstatat(dir.fd, name, &existed, AT_SYMLINK_NOFOLLOW) }).errno != nil
        let opened = asCaller(req) { Syscall.run { openat(dir.fd, name, flags, mode) } }
        guard case .success(let fd) = opened else { return reply(req, opened.errno!) }
        if isNew { logCreation(dir, name, directory: false) }
        switch lookup(parent: dir, name: name) {
        case .failure(let e):
            Syscall.close(fd)
            reply(req, e)
        case .success(let (inode, st)):
            let acting = faultsArmed ? operations(ofCreated: inode, in: dir, name, path: path) : []
            var entry = makeEntryParam(inode, st, acting: acting)
            let handle = makeHandle(fd: fd, inode: inode, flags: flags, acting: acting, creating: true, fi)
            OpenFile.store(handle, in: fi)
            if fuse_reply_create(req, &entry, fi) != 0 {
                inodes.forget(inode, count: 1)
                OpenFile.release(fi)
            }
            if handle.mode == .passthrough { passthrough.cancelPendingReply() }
        }
    }

    func read(_ req: fuse_req_t, _ size: Int, _ offset: Int, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let file = OpenFile.from(fi)
        let action = faultsArmed ? fault(.read, req, inode: file.inode, offset: offset, length: size) : .perform
        guard case .read(let count, let corruption) = action else {
            if answerInstead(req, action, pagesHeld: file.inode) { return }
            // libfuse reads straight from the descriptor into its reply buffer.
            var buffers = cfuse_bufvec_fd(file.fd, size, offset)
            fuse_reply_data(req, &buffers, fuse_buf_copy_flags(rawValue: 0))
            return
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
        defer { buffer.deallocate() }
        switch Syscall.count({ pread(file.fd, buffer.baseAddress, count, offset) }) {
        case .success(let n):
            corruption?.apply(to: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n]))
            fuse_reply_buf(req, buffer.baseAddress!.assumingMemoryBound(to: CChar.self), n)
        case .failure(let e):
            reply(req, e)
        }
    }

    func write(_ req: fuse_req_t, _ data: UnsafePointer<CChar>, _ size: Int, _ offset: Int,
               _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let file = OpenFile.from(fi)
        var stored = size, claimsAll = false
        var victim: Int32? = nil
        if faultsArmed {
            let action = fault(.write, req, inode: file.inode, offset: offset, length: size)
            if answerInstead(req, action, pagesHeld: file.inode) { return }
            if case .write(let cut, let all, let pid) = action { (stored, claimsAll, victim) = (cut, all, pid) }
        }
        let result: Result<Int, Errno>
        if tracksDurability {
            result = crashGate.write(by: caller(req).pid) {
                logWrite(file, offset: offset, length: stored)
                return store(file, data, stored, at: offset)
            } ?? .failure(.ioError)
        } else {
            result = store(file, data, stored, at: offset)
        }
        // The process dies with exactly `stored` bytes written: killed before
        // it can see (and act on) the reply.
        // Never a group: the engine gives no pid 0, and this is the last guard.
        if let victim, ProcessKiller.maySignal(victim) { _ = Syscall.run { kill(victim, SIGKILL) } }
        // A write that reports bytes written clears the bits, as natively,
        // even a lost one that stored none.
        if file.directIO, case .success(let n) = result, (claimsAll ? size : n) > 0 { dropPrivilegeBits(file, req) }
        replyWrite(req, result, claimed: claimsAll ? size : nil)
    }

    @inline(__always)
    private func replyWrite(_ req: fuse_req_t, _ result: Result<Int, Errno>, claimed: Int?) {
        switch result {
        case .success(let n): fuse_reply_write(req, claimed ?? n)
        case .failure(let e): reply(req, e)
        }
    }

    @inline(__always)
    private func store(_ file: OpenFile, _ data: UnsafePointer<CChar>, _ count: Int, at offset: Int) -> Result<Int, Errno> {
        count == 0 ? .success(0) : Syscall.count { pwrite(file.fd, data, count, offset) }
    }

    /// What the kernel does on every cached write by a caller without
    /// CAP_FSETID (file_remove_privs) and leaves to the filesystem for
    /// direct I/O: clear set-user-ID, and set-group-ID where
    /// `bitsAfterUnprivilegedWrite` says. The kernel says whether the writer
    /// has CAP_FSETID with FUSE_WRITE_KILL_SUIDGID, which the worker reads
    /// from the raw request (`RequestFlags`). The file's bits and
    /// group are cached in its inode, so a write to a file without such
    /// bits costs no fstat.
    private func dropPrivilegeBits(_ file: OpenFile, _ req: fuse_req_t) {
        guard requestFlags.killsPrivileges else { return }
        let ctx = fuse_req_ctx(req)!.pointee
        let inode = file.inode
        let (cached, stamp) = inode.cachedMode()
        let mode: FileMode
        if let cached {
            mode = cached
        } else {
            var st = stat()
            guard case .success = Syscall.run({ fstat(file.fd, &st) }) else { return }
            mode = FileMode(bits: UInt32(st.st_mode & 0o7777), group: st.st_gid)
            inode.remember(mode, since: stamp)
        }
        let privileged = UInt32(Glibc.S_ISUID | Glibc.S_ISGID)
        guard mode.bits & privileged != 0 else { return }
        // Groups that cannot be read count as no match: clearing a bit the
        // kernel would keep costs a permission; keeping one it would clear
        // leaves a set-group-ID file changed by someone outside its group.
        let inGroup = ctx.gid == mode.group || (callerGroups(req)?.contains(mode.group) ?? false)
        let kept = Self.bitsAfterUnprivilegedWrite(mode.bits, writerInFileGroup: inGroup)
        guard kept != mode.bits else { return }
        _ = Syscall.run { fchmod(file.fd, mode_t(kept)) }
        // Rare (a set-user-ID file written by another user): the next write
        // reads the bits again rather than trust a guess.
        inode.forgetMode()
    }

    /// The permission bits a file keeps after a write by a caller without
    /// CAP_FSETID, as Linux 6.2 and later decide (should_remove_suid,
    /// setattr_should_drop_sgid): set-user-ID always goes; set-group-ID goes
    /// if the file is group-executable, or if the writer is not in the
    /// file's group.
    static func bitsAfterUnprivilegedWrite(_ mode: UInt32, writerInFileGroup: Bool) -> UInt32 {
        var kept = mode & ~UInt32(Glibc.S_ISUID)
        if kept & UInt32(Glibc.S_ISGID) != 0 && (kept & UInt32(Glibc.S_IXGRP) != 0 || !writerInFileGroup) {
            kept &= ~UInt32(Glibc.S_ISGID)
        }
        return kept
    }

    func flush(_ req: fuse_req_t, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let file = OpenFile.from(fi)
        if faultsArmed, answerInstead(req, fault(.flush, req, inode: file.inode)) { return }
        // Closing a duplicate reports what close() of the caller's descriptor
        // would (NFS-style deferred write errors) without closing ours.
        switch Syscall.run({ dup(file.fd) }) {
        case .success(let copy): replyResult(req, Syscall.close(copy).map { 0 })
        case .failure(let e): reply(req, e)
        }
    }

    func release(_ req: fuse_req_t, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        var crash: PowerLossPlan? = nil
        if faultsArmed {
            // release cannot fail from the caller's point of view (close has
            // returned already), but it can be delayed, is counted, and can
            // be where a power loss strikes.
            if case .crash(let plan) = fault(.release, req, inode: OpenFile.from(fi).inode) { crash = plan }
        }
        OpenFile.release(fi)
        guard let crash else {
            fuse_reply_err(req, 0)
            return
        }
        // Off the worker, as every crash (see `answerInstead`).
        let pending = PendingRequest(req)
        offWorker.run { [self] in
            powerLoss(crash, insideRequest: true)
            fuse_reply_err(pending.req, 0)
        }
    }

    func fsync(_ req: fuse_req_t, _ datasync: Int32, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let file = OpenFile.from(fi)
        if faultsArmed, answerInstead(req, fault(.fsync, req, inode: file.inode), file: file.inode) { return }
        leader.yield()
        let result = Syscall.run { datasync != 0 ? fdatasync(file.fd) : Glibc.fsync(file.fd) }
        if case .success = result { logSync(file.inode) }
        replyResult(req, result)
    }

    func opendir(_ req: fuse_req_t, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let inode = inodes.inode(ino)
        if faultsArmed, answerInstead(req, fault(.opendir, req, inode: inode)) { return }
        let opened = Syscall.run { openat(inode.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard case .success(let fd) = opened else { return reply(req, opened.errno!) }
        let streamed = Syscall.pointer { fdopendir(fd) }
        guard case .success(let stream) = streamed else {
            Syscall.close(fd)
            return reply(req, streamed.errno!)
        }
        let handle = DirectoryHandle(stream: stream, inode: inode)
        fi.pointee.fh = UInt64(UInt(bitPattern: Unmanaged.passRetained(handle).toOpaque()))
        if fuse_reply_open(req, fi) != 0 {
            Unmanaged<DirectoryHandle>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(fi.pointee.fh))!).release()
        }
    }

    func readdir(_ req: fuse_req_t, _ size: Int, _ offset: Int, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let handle = DirectoryHandle.from(fi)
        var hidden: ((UnsafePointer<CChar>) -> Bool)? = nil
        if faultsArmed {
            let faults = faults
            if targetOperations(handle.inode).contains(.readdir),
               answerInstead(req, fault(.readdir, req, path: path(of: handle.inode), offset: offset)) { return }
            let dirPath = path(of: handle.inode)
            // Entries a `missing` rule targets are left out of the listing.
            let who = caller(req)
            hidden = { name in
                let entry = String(cString: name)
                if entry == "." || entry == ".." { return false }
                return faults.engine.hides(name: dirPath.isEmpty ? entry : dirPath + "/" + entry, caller: who)
            }
        }
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
        defer { buffer.deallocate() }
        switch handle.fill(req: req, buffer: buffer, size: size, offset: offset, hidden: hidden) {
        case .success(let used): fuse_reply_buf(req, buffer, used)
        case .failure(let e): reply(req, e)
        }
    }

    func releasedir(_ req: fuse_req_t, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        Unmanaged<DirectoryHandle>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(fi.pointee.fh))!).release()
        fuse_reply_err(req, 0)
    }

    func fsyncdir(_ req: fuse_req_t, _ datasync: Int32, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let handle = DirectoryHandle.from(fi)
        if faultsArmed, answerInstead(req, fault(.fsyncdir, req, inode: handle.inode)) { return }
        let fd = handle.fd
        leader.yield()
        let result = Syscall.run { datasync != 0 ? fdatasync(fd) : Glibc.fsync(fd) }
        if case .success = result { logDirectorySync(handle.inode) }
        replyResult(req, result)
    }

    func statfs(_ req: fuse_req_t, _ ino: fuse_ino_t) {
        var st = statvfs()
        if faultsArmed, answerInstead(req, fault(.statfs, req, inode: inodes.inode(ino))) { return }
        switch Syscall.run({ fstatvfs(inodes.inode(ino).fd, &st) }) {
        case .success:
            if faultsArmed, let capacity = faults.engine.statfsOverride() {
                // disk-full with a capacity: report that disk, in the
                // backing filesystem's block size.
                let block = UInt64(max(st.f_frsize, 1))
                st.f_blocks = fsblkcnt_t(UInt64(capacity.totalBytes) / block)
                st.f_bfree = fsblkcnt_t(UInt64(capacity.freeBytes) / block)
                st.f_bavail = st.f_bfree
            }
            fuse_reply_statfs(req, &st)
        case .failure(let e): reply(req, e)
        }
    }

    func setxattr(_ req: fuse_req_t, _ ino: fuse_ino_t, _ name: UnsafePointer<CChar>, _ value: UnsafePointer<CChar>,
                  _ size: Int, _ flags: Int32) {
        let inode = inodes.inode(ino)
        if faultsArmed, answerInstead(req, fault(.setxattr, req, inode: inode)) { return }
        let result = Syscall.run { CFuse.setxattr(inode.procPath, name, value, size, flags) }
        // A POSIX access ACL sets the group permission bits.
        inode.forgetMode()
        replyResult(req, result)
    }

    func getxattr(_ req: fuse_req_t, _ ino: fuse_ino_t, _ name: UnsafePointer<CChar>, _ size: Int) {
        let inode = inodes.inode(ino)
        if faultsArmed, answerInstead(req, fault(.getxattr, req, inode: inode)) { return }
        if size == 0 {
            switch Syscall.count({ CFuse.getxattr(inode.procPath, name, nil, 0) }) {
            case .success(let n): fuse_reply_xattr(req, n)
            case .failure(let e): reply(req, e)
            }
            return
        }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        defer { buffer.deallocate() }
        switch Syscall.count({ CFuse.getxattr(inode.procPath, name, buffer, size) }) {
        case .success(let n): fuse_reply_buf(req, buffer.assumingMemoryBound(to: CChar.self), n)
        case .failure(let e): reply(req, e)
        }
    }

    func listxattr(_ req: fuse_req_t, _ ino: fuse_ino_t, _ size: Int) {
        let inode = inodes.inode(ino)
        if faultsArmed, answerInstead(req, fault(.listxattr, req, inode: inode)) { return }
        if size == 0 {
            switch Syscall.count({ CFuse.listxattr(inode.procPath, nil, 0) }) {
            case .success(let n): fuse_reply_xattr(req, n)
            case .failure(let e): reply(req, e)
            }
            return
        }
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
        defer { buffer.deallocate() }
        switch Syscall.count({ CFuse.listxattr(inode.procPath, buffer, size) }) {
        case .success(let n): fuse_reply_buf(req, buffer, n)
        case .failure(let e): reply(req, e)
        }
    }

    func removexattr(_ req: fuse_req_t, _ ino: fuse_ino_t, _ name: UnsafePointer<CChar>) {
        let inode = inodes.inode(ino)
        if faultsArmed, answerInstead(req, fault(.removexattr, req, inode: inode)) { return }
        let result = Syscall.run { CFuse.removexattr(inode.procPath, name) }
        inode.forgetMode()
        replyResult(req, result)
    }

    func access(_ req: fuse_req_t, _ ino: fuse_ino_t, _ mask: Int32) {
        let inode = inodes.inode(ino)
        if faultsArmed, answerInstead(req, fault(.access, req, inode: inode)) { return }
        replyResult(req, asCaller(req) { Syscall.run { faccessat(AT_FDCWD, inode.procPath, mask, 0) } })
    }

    func fallocate(_ req: fuse_req_t, _ mode: Int32, _ offset: Int, _ length: Int, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let file = OpenFile.from(fi)
        if faultsArmed,
           answerInstead(req, fault(.fallocate, req, inode: file.inode, offset: offset, length: length)) { return }
        logWrite(file, offset: offset, length: length)
        replyResult(req, Syscall.run { cfuse_fallocate(file.fd, mode, offset, length) })
    }

    func lseek(_ req: fuse_req_t, _ offset: Int, _ whence: Int32, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let fd = OpenFile.from(fi).fd
        switch Syscall.count({ cfuse_lseek(fd, offset, whence) }) {
        case .success(let position): fuse_reply_lseek(req, position)
        case .failure(let e): reply(req, e)
        }
    }

    func forgetMulti(_ count: Int, _ forgets: UnsafeMutablePointer<fuse_forget_data>) {
        for i in 0..<count {
            let item = forgets[i]
            inodes.forget(inodes.inode(fuse_ino_t(item.ino)), count: item.nlookup)
        }
    }

    /// The outcome of asking the engine about a call that creates a name.
    enum CreationCheck {
        /// A fault answered the request.
        case answered
        /// Go on; `path` is the new name's path when asking needed it.
        case proceed(path: String?)
    }

    /// Asks the engine about a call that creates a name in `dir`, building
    /// the name's path only when some rule may act on `op` below `dir`.
    private func creationFault(_ op: FSOperation, _ req: fuse_req_t, _ dir: Inode, _ name: UnsafePointer<CChar>) -> CreationCheck {
        guard faultsArmed, childOperations(of: dir).contains(op) else { return .proceed(path: nil) }
        let path = childPath(dir, name)
        return answerInstead(req, fault(op, req, path: path)) ? .answered : .proceed(path: path)
    }

    /// The operations rules act on for a name just created in `dir`: none
    /// when no rule can reach below `dir` (the directory's verdict is
    /// inherited), otherwise judged from its path, built once.
    private func operations(ofCreated inode: Inode, in dir: Inode, _ name: UnsafePointer<CChar>,
                            path: String?) -> OperationSet {
        guard mayTargetChildren(of: dir) else {
            inheritVerdict(inode, from: dir)
            return []
        }
        return judgeNew(inode, path: path ?? childPath(dir, name))
    }

    /// The operations rules act on for a name just looked up in a directory
    /// some rule may reach: the inode's own verdict when it is current (no
    /// path built), else judged from its path.
    private func operations(ofFound inode: Inode, in dir: Inode, _ name: UnsafePointer<CChar>,
                            path: String?) -> OperationSet {
        if let path { return judgeNew(inode, path: path) }
        if let known = currentVerdict(inode) { return known }
        return judgeNew(inode, path: childPath(dir, name))
    }

    /// Replies with the entry of a name just created, judging the new inode
    /// so that its first fault check needs no readlink.
    private func replyCreated(_ req: fuse_req_t, _ dir: Inode, _ name: UnsafePointer<CChar>, path: String?) {
        let found = lookup(parent: dir, name: name)
        guard faultsArmed, case .success(let (inode, _)) = found else { return replyEntry(req, found) }
        replyEntry(req, found, acting: operations(ofCreated: inode, in: dir, name, path: path))
    }
}
