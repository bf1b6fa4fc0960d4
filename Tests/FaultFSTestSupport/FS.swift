#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemCalls
import SystemPackage

/// The file calls the tests make, each one system call through `Syscall`, so
/// a test sees the errno the kernel (and behind it the FUSE daemon) returned,
/// typed, with EINTR already retried.
///
/// Calls that return data give it as Swift values; none of them follows a
/// symlink unless its name says so (`stat` follows, `lstat` does not), the
/// same as the C calls they wrap.
public enum FS {
    // MARK: Metadata

    public static func stat(_ path: String) -> Result<Glibc.stat, Errno> {
        var st = Glibc.stat()
        return Syscall.run { fstatat(LinuxCalls.atFDCWD, path, &st, 0) }.map { _ in st }
    }

    public static func lstat(_ path: String) -> Result<Glibc.stat, Errno> {
        var st = Glibc.stat()
        return Syscall.run { fstatat(LinuxCalls.atFDCWD, path, &st, LinuxCalls.atSymlinkNofollow) }.map { _ in st }
    }

    public static func fstat(_ fd: Int32) -> Result<Glibc.stat, Errno> {
        var st = Glibc.stat()
        return Syscall.run { Glibc.fstat(fd, &st) }.map { _ in st }
    }

    public static func statvfs(_ path: String) -> Result<Glibc.statvfs, Errno> {
        var sv = Glibc.statvfs()
        return Syscall.run { LinuxCalls.statvfs(path, &sv) }.map { _ in sv }
    }

    public static func access(_ path: String, _ mode: Int32) -> Result<Void, Errno> {
        Syscall.run { Glibc.access(path, mode) }.map { _ in () }
    }

    public static func chmod(_ path: String, _ mode: mode_t) -> Result<Void, Errno> {
        Syscall.run { Glibc.chmod(path, mode) }.map { _ in () }
    }

    public static func fchmod(_ fd: Int32, _ mode: mode_t) -> Result<Void, Errno> {
        Syscall.run { Glibc.fchmod(fd, mode) }.map { _ in () }
    }

    public static func chown(_ path: String, _ uid: uid_t, _ gid: gid_t) -> Result<Void, Errno> {
        Syscall.run { Glibc.chown(path, uid, gid) }.map { _ in () }
    }

    public static func lchown(_ path: String, _ uid: uid_t, _ gid: gid_t) -> Result<Void, Errno> {
        Syscall.run { Glibc.lchown(path, uid, gid) }.map { _ in () }
    }

    /// Sets access and modification times; `followSymlinks: false` changes a
    /// symlink's own times (lutimes).
    public static func utimens(
        _ path: String, access: timespec, modification: timespec, followSymlinks: Bool = true
    ) -> Result<Void, Errno> {
        let times = [access, modification]
        let flags = followSymlinks ? 0 : LinuxCalls.atSymlinkNofollow
        return Syscall.run { Glibc.utimensat(LinuxCalls.atFDCWD, path, times, flags) }.map { _ in () }
    }

    public static func truncate(_ path: String, _ length: Int) -> Result<Void, Errno> {
        Syscall.run { Glibc.truncate(path, length) }.map { _ in () }
    }

    // MARK: Names

    public static func mkdir(_ path: String, _ mode: mode_t = 0o755) -> Result<Void, Errno> {
        Syscall.run { Glibc.mkdir(path, mode) }.map { _ in () }
    }

    public static func rmdir(_ path: String) -> Result<Void, Errno> {
        Syscall.run { Glibc.rmdir(path) }.map { _ in () }
    }

    public static func unlink(_ path: String) -> Result<Void, Errno> {
        Syscall.run { Glibc.unlink(path) }.map { _ in () }
    }

    public static func rename(_ from: String, _ to: String) -> Result<Void, Errno> {
        Syscall.run { Glibc.rename(from, to) }.map { _ in () }
    }

    /// renameat2(2) with RENAME_NOREPLACE when `noReplace`, RENAME_EXCHANGE
    /// when `exchange`.
    public static func renameat2(_ from: String, _ to: String, noReplace: Bool = false, exchange: Bool = false) -> Result<Void, Errno> {
        var flags: UInt32 = 0
        if noReplace { flags |= LinuxCalls.renameNoReplace }
        if exchange { flags |= LinuxCalls.renameExchange }
        return Syscall.run { LinuxCalls.renameat2(LinuxCalls.atFDCWD, from, LinuxCalls.atFDCWD, to, flags) }.map { _ in () }
    }

    public static func link(_ existing: String, _ new: String) -> Result<Void, Errno> {
        Syscall.run { Glibc.link(existing, new) }.map { _ in () }
    }

    public static func symlink(_ target: String, _ path: String) -> Result<Void, Errno> {
        Syscall.run { Glibc.symlink(target, path) }.map { _ in () }
    }

    public static func readlink(_ path: String) -> Result<String, Errno> {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let capacity = buffer.count - 1
        return Syscall.count { Glibc.readlink(path, &buffer, capacity) }.map { n in
            String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    public static func mkfifo(_ path: String, _ mode: mode_t = 0o644) -> Result<Void, Errno> {
        Syscall.run { Glibc.mkfifo(path, mode) }.map { _ in () }
    }

    /// The names in a directory, without "." and "..", sorted.
    public static func listDirectory(_ path: String) -> Result<[String], Errno> {
        Syscall.pointer { opendir(path) }.flatMap { dir in
            defer { closedir(dir) }
            var names: [String] = []
            while true {
                errno = 0
                guard let entry = readdir(dir) else {
                    if errno != 0 { return .failure(Errno(rawValue: errno)) }
                    break
                }
                let name = withUnsafePointer(to: entry.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if name != "." && name != ".." { names.append(name) }
            }
            return .success(names.sorted())
        }
    }

    // MARK: Extended attributes

    public static func setxattr(_ path: String, _ name: String, _ value: [UInt8], flags: Int32 = 0, followSymlinks: Bool = true) -> Result<Void, Errno> {
        let call = followSymlinks ? LinuxCalls.setxattr : LinuxCalls.lsetxattr
        return Syscall.run { value.withUnsafeBytes { call(path, name, $0.baseAddress, $0.count, flags) } }.map { _ in () }
    }

    public static func getxattr(_ path: String, _ name: String, followSymlinks: Bool = true) -> Result<[UInt8], Errno> {
        let call = followSymlinks ? LinuxCalls.getxattr : LinuxCalls.lgetxattr
        var buffer = [UInt8](repeating: 0, count: 65536)
        let capacity = buffer.count
        return Syscall.count { buffer.withUnsafeMutableBytes { call(path, name, $0.baseAddress, capacity) } }
            .map { Array(buffer[0..<$0]) }
    }

    /// The attribute names of a file, sorted.
    public static func listxattr(_ path: String, followSymlinks: Bool = true) -> Result<[String], Errno> {
        let call = followSymlinks ? LinuxCalls.listxattr : LinuxCalls.llistxattr
        var buffer = [CChar](repeating: 0, count: 65536)
        let capacity = buffer.count
        return Syscall.count { call(path, &buffer, capacity) }.map { n in
            buffer[0..<n].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }.sorted()
        }
    }

    public static func removexattr(_ path: String, _ name: String) -> Result<Void, Errno> {
        Syscall.run { LinuxCalls.removexattr(path, name) }.map { _ in () }
    }

    // MARK: Descriptors

    public static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o644) -> Result<Int32, Errno> {
        Syscall.run { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    public static func close(_ fd: Int32) -> Result<Void, Errno> {
        // close is not retried on EINTR: on Linux the descriptor is gone anyway.
        Glibc.close(fd) == 0 ? .success(()) : .failure(Errno(rawValue: errno))
    }

    public static func pwrite(_ fd: Int32, _ bytes: [UInt8], at offset: Int) -> Result<Int, Errno> {
        Syscall.count { bytes.withUnsafeBytes { Glibc.pwrite(fd, $0.baseAddress, $0.count, offset) } }
    }

    public static func write(_ fd: Int32, _ bytes: [UInt8]) -> Result<Int, Errno> {
        Syscall.count { bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } }
    }

    /// Reads up to `count` bytes at `offset` with one pread.
    public static func pread(_ fd: Int32, count: Int, at offset: Int) -> Result<[UInt8], Errno> {
        var buffer = [UInt8](repeating: 0, count: count)
        return Syscall.count { buffer.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress, count, offset) } }
            .map { Array(buffer[0..<$0]) }
    }

    /// Reads up to `count` bytes with one read.
    public static func read(_ fd: Int32, count: Int) -> Result<[UInt8], Errno> {
        var buffer = [UInt8](repeating: 0, count: count)
        return Syscall.count { buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, count) } }
            .map { Array(buffer[0..<$0]) }
    }

    /// Writes all of `bytes` at `offset`, looping over short writes.
    public static func pwriteAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int) -> Result<Void, Errno> {
        var done = 0
        while done < bytes.count {
            let result = Syscall.count {
                bytes.withUnsafeBytes { Glibc.pwrite(fd, $0.baseAddress! + done, $0.count - done, offset + done) }
            }
            switch result {
            case .success(let n): done += n
            case .failure(let e): return .failure(e)
            }
        }
        return .success(())
    }

    /// Reads from `offset` to end of file, looping over short reads.
    public static func preadAll(_ fd: Int32, from offset: Int = 0) -> Result<[UInt8], Errno> {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        let capacity = chunk.count
        while true {
            let position = offset + bytes.count
            let result = Syscall.count { chunk.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress, capacity, position) } }
            switch result {
            case .success(0): return .success(bytes)
            case .success(let n): bytes.append(contentsOf: chunk[0..<n])
            case .failure(let e): return .failure(e)
            }
        }
    }

    public static func ftruncate(_ fd: Int32, _ length: Int) -> Result<Void, Errno> {
        Syscall.run { Glibc.ftruncate(fd, length) }.map { _ in () }
    }

    public static func fsync(_ fd: Int32) -> Result<Void, Errno> {
        Syscall.run { Glibc.fsync(fd) }.map { _ in () }
    }

    public static func fdatasync(_ fd: Int32) -> Result<Void, Errno> {
        Syscall.run { Glibc.fdatasync(fd) }.map { _ in () }
    }

    public static func fallocate(_ fd: Int32, mode: Int32 = 0, offset: Int, length: Int) -> Result<Void, Errno> {
        Syscall.run { LinuxCalls.fallocate(fd, mode, offset, length) }.map { _ in () }
    }

    public static var fallocKeepSize: Int32 { LinuxCalls.fallocKeepSize }
    public static var fallocPunchHole: Int32 { LinuxCalls.fallocPunchHole }
    public static var xattrCreate: Int32 { LinuxCalls.xattrCreate }
    public static var xattrReplace: Int32 { LinuxCalls.xattrReplace }

    // MARK: Whole files

    /// The whole content of a file.
    public static func readFile(_ path: String) -> Result<[UInt8], Errno> {
        open(path, O_RDONLY).flatMap { fd in
            defer { _ = close(fd) }
            return preadAll(fd)
        }
    }

    /// Creates or replaces a file with `bytes`.
    public static func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) -> Result<Void, Errno> {
        open(path, O_WRONLY | O_CREAT | O_TRUNC, mode).flatMap { fd in
            let written = pwriteAll(fd, bytes, at: 0)
            let closed = close(fd)
            return written.flatMap { closed }
        }
    }

    public static func writeFile(_ path: String, _ text: String, mode: mode_t = 0o644) -> Result<Void, Errno> {
        writeFile(path, Array(text.utf8), mode: mode)
    }

    public static func readText(_ path: String) -> Result<String, Errno> {
        readFile(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether two byte arrays are equal, compared with memcmp (an element
    /// loop is slow in debug builds and the tests compare megabytes).
    public static func same(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in memcmp(pa.baseAddress!, pb.baseAddress!, a.count) == 0 } }
    }
}

extension Result {
    /// Whether the call succeeded.
    public var succeeded: Bool {
        if case .success = self { return true }
        return false
    }
}

/// The file type bits of a mode.
public func fileType(_ mode: mode_t) -> mode_t { mode & S_IFMT }

/// The permission bits of a mode (with setuid, setgid, sticky).
public func permissions(_ mode: mode_t) -> mode_t { mode & 0o7777 }
