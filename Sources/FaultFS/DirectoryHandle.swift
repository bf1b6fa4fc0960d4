#if canImport(Glibc)
import Glibc
#endif
import CFuse
import SystemCalls
import SystemPackage

/// An open directory stream and where the kernel's last readdir stopped.
///
/// Its address is the file handle the kernel passes back, so a readdir costs
/// no lookup. The kernel serializes readdir calls on one open directory.
final class DirectoryHandle: @unchecked Sendable {
    // @unchecked: the kernel never sends two readdirs for one handle at once,
    // and releasedir comes after the last of them.
    private let stream: OpaquePointer
    let inode: Inode
    /// An entry read from the stream that did not fit in the last reply.
    private var pending: UnsafeMutablePointer<dirent>?
    private var position: Int = 0

    init(stream: OpaquePointer, inode: Inode) {
        self.stream = stream
        self.inode = inode
    }

    deinit {
        Syscall.closedir(stream)
    }

    var fd: Int32 { dirfd(stream) }

    static func from(_ fi: UnsafeMutablePointer<fuse_file_info>) -> DirectoryHandle {
        Unmanaged<DirectoryHandle>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(fi.pointee.fh))!).takeUnretainedValue()
    }

    /// Fills `buffer` with entries starting at `offset`.
    ///
    /// - Returns: the bytes used. An error is only reported when nothing was
    ///   filled yet; otherwise what was read so far is returned.
    /// - Parameter hidden: entries for which it returns true are skipped.
    func fill(req: fuse_req_t, buffer: UnsafeMutablePointer<CChar>, size: Int, offset: Int,
              hidden: ((UnsafePointer<CChar>) -> Bool)? = nil) -> Result<Int, Errno> {
        if offset != position {
            seekdir(stream, offset)
            pending = nil
            position = offset
        }
        var used = 0
        while true {
            if pending == nil {
                switch Syscall.readdir(stream) {
                case .success(let entry?):
                    pending = entry
                case .success(nil):
                    return .success(used)
                case .failure(let e):
                    // Entries already in the buffer go out; the error comes
                    // with the next call, as getdents reports it.
                    return used == 0 ? .failure(e) : .success(used)
                }
            }
            let entry = pending!
            let next = Int(entry.pointee.d_off)
            if let hidden, hidden(cfuse_dirent_name(entry)) {
                pending = nil
                position = next
                continue
            }
            var st = stat()
            st.st_ino = entry.pointee.d_ino
            st.st_mode = mode_t(entry.pointee.d_type) << 12
            let needed = fuse_add_direntry(req, buffer + used, size - used, cfuse_dirent_name(entry), &st, next)
            if needed > size - used { break }
            used += needed
            pending = nil
            position = next
        }
        return .success(used)
    }
}
