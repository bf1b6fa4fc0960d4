#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SystemCalls
import SystemPackage

/// The system calls the patterns make, each one routed through `Syscall`.
///
/// The names differ from the C functions on purpose: inside this enum an
/// unqualified `open` would otherwise resolve to the wrapper itself.
enum Posix {
    static func openFile(_ path: FilePath, _ flags: Int32, _ mode: mode_t = 0) -> Result<Int32, Errno> {
        path.withPlatformString { p in Syscall.run { open(p, flags | O_CLOEXEC, mode) } }
    }

    static func closeFile(_ fd: Int32) -> Result<Void, Errno> {
        // Linux frees the descriptor even when close reports EINTR, so a retry
        // could close a descriptor another thread has just been given; close
        // is therefore not retried here (see the report on SystemCalls).
        if Glibc_close(fd) == 0 { return .success(()) }
        let code = errno
        if code == EINTR { return .success(()) }
        return .failure(Errno(rawValue: code))
    }

    static func readSome(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, Errno> {
        Syscall.count { read(fd, buffer.baseAddress, buffer.count) }
    }

    static func writeSome(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Result<Int, Errno> {
        Syscall.count { write(fd, buffer.baseAddress, buffer.count) }
    }

    /// Writes every byte, looping over short writes (EINTR is retried by `Syscall`).
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Result<Int, Errno> {
        var offset = 0
        while offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            switch writeSome(fd, rest) {
            case .success(let n):
                // A write that stores nothing and reports no error would loop
                // forever; POSIX allows it only for a zero-length request.
                if n == 0 { return .failure(.ioError) }
                offset += n
            case .failure(let e):
                return .failure(e)
            }
        }
        return .success(offset)
    }

    static func fsyncFile(_ fd: Int32) -> Result<Void, Errno> {
        Syscall.run { fsync(fd) }.map { _ in () }
    }

    static func fstatFile(_ fd: Int32) -> Result<stat, Errno> {
        var st = stat()
        return Syscall.run { fstat(fd, &st) }.map { _ in st }
    }

    static func statPath(_ path: FilePath, followSymlinks: Bool = true) -> Result<stat, Errno> {
        var st = stat()
        let flags: Int32 = followSymlinks ? 0 : AT_SYMLINK_NOFOLLOW
        return path.withPlatformString { p in Syscall.run { fstatat(AT_FDCWD, p, &st, flags) } }.map { _ in st }
    }

    static func access(_ path: FilePath, _ mode: Int32) -> Result<Void, Errno> {
        path.withPlatformString { p in Syscall.run { faccessat(AT_FDCWD, p, mode, AT_EACCESS) } }.map { _ in () }
    }

    static func rename(_ from: FilePath, _ to: FilePath) -> Result<Void, Errno> {
        from.withPlatformString { f in
            to.withPlatformString { t in Syscall.run { renameat(AT_FDCWD, f, AT_FDCWD, t) } }
        }.map { _ in () }
    }

    static func link(_ from: FilePath, _ to: FilePath) -> Result<Void, Errno> {
        from.withPlatformString { f in
            to.withPlatformString { t in Syscall.run { linkat(AT_FDCWD, f, AT_FDCWD, t, 0) } }
        }.map { _ in () }
    }

    static func unlink(_ path: FilePath) -> Result<Void, Errno> {
        path.withPlatformString { p in Syscall.run { unlinkat(AT_FDCWD, p, 0) } }.map { _ in () }
    }

    #if os(Linux)
    /// Asks the kernel to drop the file's clean cached pages (a hint; errors are not fatal).
    static func dropCachedPages(_ fd: Int32) -> Result<Void, Errno> {
        Syscall.direct { posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) }
    }
    #endif

    static func fchmodFile(_ fd: Int32, _ mode: mode_t) -> Result<Void, Errno> {
        Syscall.run { fchmod(fd, mode) }.map { _ in () }
    }

    /// Sends `signal` to every process of the process group `group` (0 only checks that the group exists).
    static func signalProcessGroup(_ group: pid_t, _ signal: Int32) -> Result<Void, Errno> {
        precondition(group > 1, "a process group id must be above 1; 0 and 1 would reach unrelated processes")
        return Syscall.run { kill(-group, signal) }.map { _ in () }
    }

    /// Whether any process of `group` is still alive, zombies not counted: a
    /// member that has died but is not yet reaped (the group's leader, which
    /// its parent reaps in its own time) runs nothing more. On Linux it reads
    /// each process's state and group from /proc; elsewhere it falls back to
    /// whether the group has any member at all.
    static func processGroupHasLiveMembers(_ group: pid_t) -> Bool {
        #if os(Linux)
        guard case .success(let stream) = Syscall.pointer({ opendir("/proc") }) else {
            return (try? signalProcessGroup(group, 0).get()) != nil
        }
        defer { Syscall.closedir(stream) }
        while case .success(let entry?) = Syscall.readdir(stream) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard let first = name.utf8.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first),
                  case .success(let file) = FileReader.readAll(FilePath("/proc/\(name)/stat"), limit: 4096) else { continue }
            let stat = file.bytes
            // "pid (comm) S ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
            guard let close = stat.lastIndex(of: UInt8(ascii: ")")) else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: UInt8(ascii: " "))
            guard fields.count > 3, let pgrp = Int32(String(decoding: fields[3], as: UTF8.self)) else { continue }
            if pgrp == group && fields[0].first != UInt8(ascii: "Z") { return true }
        }
        return false
        #else
        return (try? signalProcessGroup(group, 0).get()) != nil
        #endif
    }

    /// Whether the child `pid` has ended (or has already been reaped); it is not reaped here.
    static func childHasEnded(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        // With WNOHANG and nothing to report, Linux leaves si_signo 0.
        switch Syscall.run({ waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) }) {
        case .success: return info.si_signo == SIGCHLD
        case .failure(.noChildProcess): return true
        case .failure: return false
        }
    }

    /// A second descriptor for the same open file description (and so the same `flock`).
    static func duplicate(_ fd: Int32) -> Result<Int32, Errno> {
        Syscall.run { fcntl(fd, F_DUPFD_CLOEXEC, 0) }
    }

    static func flockFile(_ fd: Int32, _ operation: Int32) -> Result<Void, Errno> {
        Syscall.run { flock(fd, operation) }.map { _ in () }
    }

    /// Free bytes available to an unprivileged writer on the filesystem holding `path`.
    static func availableBytes(_ path: FilePath) -> Result<UInt64, Errno> {
        var s = statvfs()
        return path.withPlatformString { p in Syscall.run { statvfs(p, &s) } }
            .map { _ in UInt64(s.f_bavail) &* UInt64(s.f_frsize) }
    }

    /// Opens the directory, fsyncs it and closes it, so a rename or link in it is durable.
    static func syncDirectory(_ path: FilePath) -> Result<Void, Errno> {
        openFile(path, O_RDONLY | O_DIRECTORY).flatMap { fd in
            let synced = fsyncFile(fd)
            let closed = closeFile(fd)
            return synced.flatMap { closed }
        }
    }

    /// The names in a directory, without "." and "..".
    static func directoryEntries(_ path: FilePath) -> Result<[String], Errno> {
        path.withPlatformString { p in Syscall.pointer { opendir(p) } }.flatMap { dir in
            var names: [String] = []
            defer { _ = closedir(dir) }
            while true {
                // readdir signals the end and an error both with NULL; only
                // errno tells them apart, so it is cleared first. It never
                // fails with EINTR, so it does not need the chokepoint's retry.
                errno = 0
                guard let entry = readdir(dir) else {
                    if errno != 0 { return .failure(Errno(rawValue: errno)) }
                    return .success(names)
                }
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name != "." && name != ".." { names.append(name) }
            }
        }
    }

    /// Wall-clock time as the kernel stamps files with it.
    ///
    /// The kernel sets mtime from a coarse clock that may lag the precise one
    /// by a tick; a start time read from the precise clock could then be
    /// later than the mtime of a file written just after it.
    static func fileTimestampNow() -> timespec {
        var ts = timespec()
        #if os(Linux)
        _ = Syscall.run { clock_gettime(CLOCK_REALTIME_COARSE, &ts) }
        #else
        _ = Syscall.run { clock_gettime(CLOCK_REALTIME, &ts) }
        #endif
        return ts
    }

    /// Bytes from the system's secure random source (for temporary names).
    static func randomBytes(_ count: Int) -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &g) }
    }
}

/// The libc close, named so that `Posix.closeFile` can call it unambiguously.
@inline(__always)
private func Glibc_close(_ fd: Int32) -> Int32 { close(fd) }

extension stat {
    var isRegularFile: Bool { (st_mode & S_IFMT) == S_IFREG }
    var isDirectory: Bool { (st_mode & S_IFMT) == S_IFDIR }
    var isSymlink: Bool { (st_mode & S_IFMT) == S_IFLNK }
    var permissionBits: mode_t { st_mode & 0o7777 }
    var modificationTime: timespec { st_mtim }
}

extension timespec {
    static func <= (a: timespec, b: timespec) -> Bool {
        a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec)
    }
}
