#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// The bytes of a file read in full, with what `fstat` said about the opened file.
struct ReadFile: Sendable {
    var bytes: [UInt8]
    /// The size `fstat` reported on the open descriptor before reading.
    var statSize: Int
    var mode: mode_t
    var modificationTime: timespec
}

/// Why a full read did not complete.
enum ReadFailure: Error {
    case system(FileSystemError)
    case notRegularFile(FilePath)
    case tooLarge(FilePath, size: Int, limit: Int)
    case deadlineExceeded(FilePath, bytesRead: Int)
}

enum FileReader {
    /// Opens `path`, fstats the descriptor and reads until end of file.
    ///
    /// The read never trusts the size from `fstat`: it reads until `read`
    /// returns 0, so a short or torn file shows as fewer bytes than the size.
    /// With a deadline, it is checked before every `read`, so a slow device can
    /// overrun it by at most one call.
    ///
    /// With `dropCachedPages`, clean cached pages of the file are dropped
    /// first (`POSIX_FADV_DONTNEED`, a hint), so the bytes come from the
    /// filesystem rather than from what the kernel kept of an earlier write.
    static func readAll(_ path: FilePath, limit: Int = 256 << 20, deadline: Deadline? = nil, chunk: Int = 64 << 10,
                        dropCachedPages: Bool = false) -> Result<ReadFile, ReadFailure> {
        let fd: Int32
        switch Posix.openFile(path, O_RDONLY | O_NOCTTY | O_NONBLOCK) {
        case .success(let d): fd = d
        case .failure(let e): return .failure(.system(FileSystemError("open for reading", path, e)))
        }
        defer { _ = Posix.closeFile(fd) }
        let st: stat
        switch Posix.fstatFile(fd) {
        case .success(let s): st = s
        case .failure(let e): return .failure(.system(FileSystemError("fstat", path, e)))
        }
        guard st.isRegularFile else { return .failure(.notRegularFile(path)) }
        #if os(Linux)
        if dropCachedPages { _ = Posix.dropCachedPages(fd) }
        #endif
        let size = Int(st.st_size)
        if size > limit { return .failure(.tooLarge(path, size: size, limit: limit)) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(size, limit) + 1)
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            if let deadline, deadline.hasPassed {
                return .failure(.deadlineExceeded(path, bytesRead: bytes.count))
            }
            let got = buffer.withUnsafeMutableBytes { Posix.readSome(fd, into: $0) }
            switch got {
            case .success(0):
                return .success(ReadFile(bytes: bytes, statSize: size, mode: st.permissionBits, modificationTime: st.modificationTime))
            case .success(let n):
                bytes.append(contentsOf: buffer[0..<n])
                if bytes.count > limit { return .failure(.tooLarge(path, size: bytes.count, limit: limit)) }
            case .failure(let e):
                return .failure(.system(FileSystemError("read", path, e)))
            }
        }
    }
}
