#if canImport(Glibc)
import Glibc
#endif
import CFuse

/// The table of C callbacks libfuse calls, each forwarding to `FileSystem`.
///
/// A C function pointer cannot capture context, so every callback recovers
/// the filesystem from the request's userdata pointer; nothing global is
/// touched from libfuse's threads.
enum LowLevelOperations {
    static func make() -> fuse_lowlevel_ops {
        var ops = fuse_lowlevel_ops()
        ops.`init` = { userdata, conn in
            guard let userdata, let conn else { return }
            Unmanaged<FileSystem>.fromOpaque(userdata).takeUnretainedValue().configure(conn)
        }
        ops.lookup = { req, parent, name in fs(req).lookup(req!, parent, name!) }
        ops.forget = { req, ino, count in
            fs(req).forget(ino, count)
            fuse_reply_none(req)
        }
        ops.forget_multi = { req, count, forgets in
            fs(req).forgetMulti(count, forgets!)
            fuse_reply_none(req)
        }
        ops.getattr = { req, ino, fi in fs(req).getattr(req!, ino, fi) }
        ops.setattr = { req, ino, attr, valid, fi in fs(req).setattr(req!, ino, attr!, valid, fi) }
        ops.readlink = { req, ino in fs(req).readlink(req!, ino) }
        ops.mknod = { req, parent, name, mode, rdev in fs(req).mknod(req!, parent, name!, mode, rdev) }
        ops.mkdir = { req, parent, name, mode in fs(req).mkdir(req!, parent, name!, mode) }
        ops.unlink = { req, parent, name in fs(req).unlink(req!, parent, name!) }
        ops.rmdir = { req, parent, name in fs(req).rmdir(req!, parent, name!) }
        ops.symlink = { req, target, parent, name in fs(req).symlink(req!, target!, parent, name!) }
        ops.rename = { req, parent, name, newparent, newname, flags in
            fs(req).rename(req!, parent, name!, newparent, newname!, flags)
        }
        ops.link = { req, ino, newparent, newname in fs(req).link(req!, ino, newparent, newname!) }
        ops.open = { req, ino, fi in fs(req).open(req!, ino, fi!) }
        ops.read = { req, _, size, offset, fi in fs(req).read(req!, size, offset, fi!) }
        ops.write = { req, _, data, size, offset, fi in fs(req).write(req!, data!, size, offset, fi!) }
        ops.flush = { req, _, fi in fs(req).flush(req!, fi!) }
        ops.release = { req, _, fi in fs(req).release(req!, fi!) }
        ops.fsync = { req, _, datasync, fi in fs(req).fsync(req!, datasync, fi!) }
        ops.opendir = { req, ino, fi in fs(req).opendir(req!, ino, fi!) }
        ops.readdir = { req, _, size, offset, fi in fs(req).readdir(req!, size, offset, fi!) }
        ops.releasedir = { req, _, fi in fs(req).releasedir(req!, fi!) }
        ops.fsyncdir = { req, _, datasync, fi in fs(req).fsyncdir(req!, datasync, fi!) }
        ops.statfs = { req, ino in fs(req).statfs(req!, ino) }
        ops.setxattr = { req, ino, name, value, size, flags in fs(req).setxattr(req!, ino, name!, value!, size, flags) }
        ops.getxattr = { req, ino, name, size in fs(req).getxattr(req!, ino, name!, size) }
        ops.listxattr = { req, ino, size in fs(req).listxattr(req!, ino, size) }
        ops.removexattr = { req, ino, name in fs(req).removexattr(req!, ino, name!) }
        ops.access = { req, ino, mask in fs(req).access(req!, ino, mask) }
        ops.create = { req, parent, name, mode, fi in fs(req).create(req!, parent, name!, mode, fi!) }
        ops.fallocate = { req, _, mode, offset, length, fi in fs(req).fallocate(req!, mode, offset, length, fi!) }
        ops.lseek = { req, _, offset, whence, fi in fs(req).lseek(req!, offset, whence, fi!) }
        return ops
    }
}

@inline(__always)
private func fs(_ req: fuse_req_t?) -> FileSystem {
    Unmanaged<FileSystem>.fromOpaque(fuse_req_userdata(req)!).takeUnretainedValue()
}

extension FileSystem {
    /// Negotiates the connection: what the kernel may cache and how large
    /// requests may be.
    func configure(_ conn: UnsafeMutablePointer<fuse_conn_info>) {
        let capable = conn.pointee.capable
        var want = conn.pointee.want
        func enable(_ flag: Int32) {
            let bit = UInt32(bitPattern: flag)
            if capable & bit != 0 { want |= bit }
        }
        func disable(_ flag: Int32) { want &= ~UInt32(bitPattern: flag) }
        // Write-back caching would report writes done before they reach the
        // filesystem, hiding every write fault; it stays off.
        disable(FUSE_CAP_WRITEBACK_CACHE)
        // Revalidate cached pages when the backing file changed underneath
        // (a harness resetting the backing directory between trials).
        enable(FUSE_CAP_AUTO_INVAL_DATA)
        enable(FUSE_CAP_ASYNC_READ)
        enable(FUSE_CAP_PARALLEL_DIROPS)
        enable(FUSE_CAP_ATOMIC_O_TRUNC)
        disable(FUSE_CAP_SPLICE_READ)
        // Reads of untargeted files are answered from the backing descriptor
        // through a pipe, which skips one copy: cold sequential reads on
        // tmpfs went from about 2.3 to 3.4 GB/s here (bindfs: 2.8-3.1).
        enable(FUSE_CAP_SPLICE_WRITE)
        disable(FUSE_CAP_SPLICE_MOVE)
        conn.pointee.want = want
        // Large reads and writes: one round trip per MiB, not per 128 KiB.
        conn.pointee.max_write = 1 << 20
        conn.pointee.max_readahead = max(conn.pointee.max_readahead, 1 << 20)
        passthrough.prepareInitReply()
    }
}
