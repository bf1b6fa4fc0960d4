#if canImport(Glibc)
import Glibc
#endif
import CFuse
import SystemCalls

/// An open regular file: the real descriptor and the inode it belongs to.
///
/// Its address is the file handle the kernel passes back with every read and
/// write, so a fault check can find the file's path and identity without a
/// table lookup.
final class OpenFile: Sendable {
    let fd: Int32
    let inode: Inode
    let appends: Bool
    let mode: Mode
    /// A direct-I/O handle the kernel sends no flush for (counted in
    /// `inode.openModes.unflushed`).
    let unflushed: Bool
    /// Where a passthrough open gives its backing file back.
    private let passthrough: Passthrough

    /// How the kernel serves this handle's reads and writes.
    enum Mode: Sendable {
        /// Every read and write reaches the daemon with its exact offset
        /// and count (files a rule targets, write-only opens).
        case direct
        /// Through the FUSE page cache.
        case cached
        /// Straight to the backing file; the daemon never sees them.
        case passthrough
    }

    /// Opened with direct I/O: the kernel then leaves clearing set-user-ID
    /// and set-group-ID bits on write to us.
    var directIO: Bool { mode == .direct }

    /// A handle whose mode is already counted in `inode.openModes`.
    init(fd: Int32, inode: Inode, flags: Int32, mode: Mode, unflushed: Bool = false, passthrough: Passthrough) {
        self.fd = fd
        self.inode = inode
        self.appends = flags & O_APPEND != 0
        self.mode = mode
        self.unflushed = unflushed
        self.passthrough = passthrough
    }

    /// Runs after the kernel released the handle (or never got it), so the
    /// count it lowers never drops below the kernel's.
    deinit {
        if mode != .direct || unflushed, let unused = inode.openModes.withLock({ $0.release(mode, unflushed: unflushed) }) {
            passthrough.unregister(unused)
        }
        if mode == .passthrough { passthrough.active.subtract(1, ordering: .relaxed) }
        Syscall.close(fd)
    }

    @inline(__always)
    static func from(_ fi: UnsafeMutablePointer<fuse_file_info>) -> OpenFile {
        Unmanaged<OpenFile>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(fi.pointee.fh))!).takeUnretainedValue()
    }

    static func store(_ file: OpenFile, in fi: UnsafeMutablePointer<fuse_file_info>) {
        fi.pointee.fh = UInt64(UInt(bitPattern: Unmanaged.passRetained(file).toOpaque()))
    }

    static func release(_ fi: UnsafeMutablePointer<fuse_file_info>) {
        Unmanaged<OpenFile>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(fi.pointee.fh))!).release()
    }
}
