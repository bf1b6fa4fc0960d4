#if canImport(Glibc)
import Glibc
#endif
import CFuse

/// An open regular file: the real descriptor and the inode it belongs to.
///
/// Its address is the file handle the kernel passes back with every read and
/// write, so a fault check can find the file's path and identity without a
/// table lookup.
final class OpenFile: Sendable {
    let fd: Int32
    let inode: Inode
    let appends: Bool
    /// Opened with direct I/O: the kernel then leaves clearing set-user-ID
    /// and set-group-ID bits on write to us.
    let directIO: Bool

    init(fd: Int32, inode: Inode, flags: Int32, directIO: Bool) {
        self.fd = fd
        self.inode = inode
        self.appends = flags & O_APPEND != 0
        self.directIO = directIO
    }

    deinit { _ = close(fd) }

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
