#if canImport(Glibc)
import Glibc
#endif
import CFuse
import SystemCalls
import SystemPackage

/// The FUSE operations, one method each, in the order of `fuse_lowlevel_ops`.
/// Each answers its request exactly once.
extension FileSystem {
    func lookup(_ req: fuse_req_t, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>) {
        replyEntry(req, lookup(parent: inodes.inode(parent), name: name))
    }

    func forget(_ ino: fuse_ino_t, _ count: UInt64) {
        inodes.forget(inodes.inode(ino), count: count)
    }

    func getattr(_ req: fuse_req_t, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        var st = stat()
        let result: Result<Int32, Errno>
        if let fi {
            result = Syscall.run { fstat(Int32(truncatingIfNeeded: fi.pointee.fh), &st) }
        } else {
            result = Syscall.run { fstatat(inodes.inode(ino).fd, "", &st, cfuse_AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) }
        }
        switch result {
        case .success: fuse_reply_attr(req, &st, cache.attrTimeout)
        case .failure(let e): reply(req, e)
        }
    }

    func setattr(_ req: fuse_req_t, _ ino: fuse_ino_t, _ attr: UnsafeMutablePointer<stat>, _ valid: Int32,
                 _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        let inode = inodes.inode(ino)
        let fh: Int32? = fi.map { Int32(truncatingIfNeeded: $0.pointee.fh) }
        let a = attr.pointee
        if valid & FUSE_SET_ATTR_MODE != 0 {
            let r = fh.map { fd in Syscall.run { fchmod(fd, a.st_mode) } }
                ?? Syscall.run { chmod(inode.procPath, a.st_mode) }
            if case .failure(let e) = r { return reply(req, e) }
        }
        if valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID) != 0 {
            let uid = valid & FUSE_SET_ATTR_UID != 0 ? a.st_uid : uid_t.max
            let gid = valid & FUSE_SET_ATTR_GID != 0 ? a.st_gid : gid_t.max
            let r = Syscall.run { fchownat(inode.fd, "", uid, gid, cfuse_AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) }
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
        getattr(req, ino, fi)
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
        let made = asCaller(req) { Syscall.run { mknodat(dir.fd, name, mode, rdev) } }
        if case .failure(let e) = made { return reply(req, e) }
        replyEntry(req, lookup(parent: dir, name: name))
    }

    func mkdir(_ req: fuse_req_t, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>, _ mode: mode_t) {
        let dir = inodes.inode(parent)
        if let bad = checkName(name) { return reply(req, bad) }
        let made = asCaller(req) { Syscall.run { mkdirat(dir.fd, name, mode) } }
        if case .failure(let e) = made { return reply(req, e) }
        replyEntry(req, lookup(parent: dir, name: name))
    }

    func unlink(_ req: fuse_req_t, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>) {
        if let bad = checkName(name) { return reply(req, bad) }
        replyResult(req, Syscall.run { unlinkat(inodes.inode(parent).fd, name, 0) })
    }

    func rmdir(_ req: fuse_req_t, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>) {
        if let bad = checkName(name) { return reply(req, bad) }
        replyResult(req, Syscall.run { unlinkat(inodes.inode(parent).fd, name, AT_REMOVEDIR) })
    }

    func symlink(_ req: fuse_req_t, _ target: UnsafePointer<CChar>, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>) {
        let dir = inodes.inode(parent)
        if let bad = checkName(name) { return reply(req, bad) }
        // The target is stored as given: a symlink is data, and the caller's
        // kernel resolves it on the caller's side.
        let made = asCaller(req) { Syscall.run { symlinkat(target, dir.fd, name) } }
        if case .failure(let e) = made { return reply(req, e) }
        replyEntry(req, lookup(parent: dir, name: name))
    }

    func rename(_ req: fuse_req_t, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>,
                _ newparent: fuse_ino_t, _ newname: UnsafePointer<CChar>, _ flags: UInt32) {
        if let bad = checkName(name) ?? checkName(newname) { return reply(req, bad) }
        let from = inodes.inode(parent).fd, to = inodes.inode(newparent).fd
        replyResult(req, Syscall.run { cfuse_renameat2(from, name, to, newname, flags) })
    }

    func link(_ req: fuse_req_t, _ ino: fuse_ino_t, _ newparent: fuse_ino_t, _ newname: UnsafePointer<CChar>) {
        let inode = inodes.inode(ino), dir = inodes.inode(newparent)
        if let bad = checkName(newname) { return reply(req, bad) }
        // linkat through /proc with AT_SYMLINK_FOLLOW links the file the
        // O_PATH descriptor pins, even a symlink, without naming any path.
        let made = Syscall.run { linkat(AT_FDCWD, inode.procPath, dir.fd, newname, AT_SYMLINK_FOLLOW) }
        if case .failure(let e) = made { return reply(req, e) }
        replyEntry(req, lookup(parent: dir, name: newname))
    }

    func open(_ req: fuse_req_t, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let inode = inodes.inode(ino)
        let flags = fi.pointee.flags & ~O_NOFOLLOW
        switch Syscall.run({ Glibc.open(inode.procPath, flags | O_CLOEXEC) }) {
        case .success(let fd):
            fi.pointee.fh = UInt64(UInt32(bitPattern: fd))
            configureOpen(fi)
            if fuse_reply_open(req, fi) != 0 { _ = close(fd) }
        case .failure(let e):
            reply(req, e)
        }
    }

    func create(_ req: fuse_req_t, _ parent: fuse_ino_t, _ name: UnsafePointer<CChar>, _ mode: mode_t,
                _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let dir = inodes.inode(parent)
        if let bad = checkName(name) { return reply(req, bad) }
        let flags = (fi.pointee.flags | O_CREAT | O_CLOEXEC) & ~O_NOFOLLOW
        let opened = asCaller(req) { Syscall.run { openat(dir.fd, name, flags, mode) } }
        guard case .success(let fd) = opened else { return reply(req, opened.errno!) }
        switch lookup(parent: dir, name: name) {
        case .failure(let e):
            _ = close(fd)
            reply(req, e)
        case .success(let (inode, st)):
            fi.pointee.fh = UInt64(UInt32(bitPattern: fd))
            configureOpen(fi)
            var entry = makeEntryParam(inode, st)
            if fuse_reply_create(req, &entry, fi) != 0 {
                inodes.forget(inode, count: 1)
                _ = close(fd)
            }
        }
    }

    func read(_ req: fuse_req_t, _ size: Int, _ offset: Int, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        // libfuse reads straight from the descriptor into its reply buffer.
        var buffers = cfuse_bufvec_fd(Int32(truncatingIfNeeded: fi.pointee.fh), size, offset)
        fuse_reply_data(req, &buffers, fuse_buf_copy_flags(rawValue: 0))
    }

    func write(_ req: fuse_req_t, _ data: UnsafePointer<CChar>, _ size: Int, _ offset: Int,
               _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let fd = Int32(truncatingIfNeeded: fi.pointee.fh)
        switch Syscall.count({ pwrite(fd, data, size, offset) }) {
        case .success(let n): fuse_reply_write(req, n)
        case .failure(let e): reply(req, e)
        }
    }

    func flush(_ req: fuse_req_t, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        // Closing a duplicate reports what close() of the caller's descriptor
        // would (NFS-style deferred write errors) without closing ours.
        let fd = Int32(truncatingIfNeeded: fi.pointee.fh)
        switch Syscall.run({ dup(fd) }) {
        case .success(let copy): replyResult(req, Syscall.run { close(copy) })
        case .failure(let e): reply(req, e)
        }
    }

    func release(_ req: fuse_req_t, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        _ = close(Int32(truncatingIfNeeded: fi.pointee.fh))
        fuse_reply_err(req, 0)
    }

    func fsync(_ req: fuse_req_t, _ datasync: Int32, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let fd = Int32(truncatingIfNeeded: fi.pointee.fh)
        replyResult(req, Syscall.run { datasync != 0 ? fdatasync(fd) : Glibc.fsync(fd) })
    }

    func opendir(_ req: fuse_req_t, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let inode = inodes.inode(ino)
        let opened = Syscall.run { openat(inode.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard case .success(let fd) = opened else { return reply(req, opened.errno!) }
        guard let stream = fdopendir(fd) else {
            let e = Errno(rawValue: errno)
            _ = close(fd)
            return reply(req, e)
        }
        let handle = DirectoryHandle(stream: stream)
        fi.pointee.fh = UInt64(UInt(bitPattern: Unmanaged.passRetained(handle).toOpaque()))
        if fuse_reply_open(req, fi) != 0 {
            Unmanaged<DirectoryHandle>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(fi.pointee.fh))!).release()
        }
    }

    func readdir(_ req: fuse_req_t, _ size: Int, _ offset: Int, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let handle = DirectoryHandle.from(fi)
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
        defer { buffer.deallocate() }
        switch handle.fill(req: req, buffer: buffer, size: size, offset: offset) {
        case .success(let used): fuse_reply_buf(req, buffer, used)
        case .failure(let e): reply(req, e)
        }
    }

    func releasedir(_ req: fuse_req_t, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        Unmanaged<DirectoryHandle>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(fi.pointee.fh))!).release()
        fuse_reply_err(req, 0)
    }

    func fsyncdir(_ req: fuse_req_t, _ datasync: Int32, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let fd = DirectoryHandle.from(fi).fd
        replyResult(req, Syscall.run { datasync != 0 ? fdatasync(fd) : Glibc.fsync(fd) })
    }

    func statfs(_ req: fuse_req_t, _ ino: fuse_ino_t) {
        var st = statvfs()
        switch Syscall.run({ fstatvfs(inodes.inode(ino).fd, &st) }) {
        case .success: fuse_reply_statfs(req, &st)
        case .failure(let e): reply(req, e)
        }
    }

    func setxattr(_ req: fuse_req_t, _ ino: fuse_ino_t, _ name: UnsafePointer<CChar>, _ value: UnsafePointer<CChar>,
                  _ size: Int, _ flags: Int32) {
        let inode = inodes.inode(ino)
        replyResult(req, Syscall.run { CFuse.setxattr(inode.procPath, name, value, size, flags) })
    }

    func getxattr(_ req: fuse_req_t, _ ino: fuse_ino_t, _ name: UnsafePointer<CChar>, _ size: Int) {
        let inode = inodes.inode(ino)
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
        replyResult(req, Syscall.run { CFuse.removexattr(inode.procPath, name) })
    }

    func access(_ req: fuse_req_t, _ ino: fuse_ino_t, _ mask: Int32) {
        let inode = inodes.inode(ino)
        replyResult(req, asCaller(req) { Syscall.run { faccessat(AT_FDCWD, inode.procPath, mask, 0) } })
    }

    func fallocate(_ req: fuse_req_t, _ mode: Int32, _ offset: Int, _ length: Int, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let fd = Int32(truncatingIfNeeded: fi.pointee.fh)
        replyResult(req, Syscall.run { cfuse_fallocate(fd, mode, offset, length) })
    }

    func lseek(_ req: fuse_req_t, _ offset: Int, _ whence: Int32, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let fd = Int32(truncatingIfNeeded: fi.pointee.fh)
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
}
