#if canImport(Glibc)
import Glibc
#endif
import SystemCalls
import SystemPackage

/// A failed call of the pattern-off arm's plain file I/O.
struct PlainIOError: Error, CustomStringConvertible {
    let operation: String
    let path: String
    let errno: Errno

    var description: String { "Could not \(operation) \(path): \(errno) (errno \(errno.rawValue))." }
}

/// The file I/O of ordinary code, as the pattern-off arm does it and as the
/// pattern-on arm does it where a task's patterns do not cover a step.
///
/// Every error the kernel reports is checked and returned (close included),
/// short writes are looped and EINTR retried (`Syscall`), as in every real
/// write helper; but there is no fsync, no temporary file, no retry and no
/// check of what ends up on disk.
enum PlainFiles {
    /// open(O_RDONLY), read to end of file, close.
    static func read(_ path: String) throws(PlainIOError) -> [UInt8] {
        let fd: Int32
        switch Syscall.run({ open(path, O_RDONLY | O_CLOEXEC) }) {
        case .success(let d): fd = d
        case .failure(let e): throw PlainIOError(operation: "open for reading", path: path, errno: e)
        }
        defer { Syscall.close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let got = buffer.withUnsafeMutableBytes { raw in Syscall.count { Glibc.read(fd, raw.baseAddress, raw.count) } }
            switch got {
            case .success(0): return bytes
            case .success(let n): bytes.append(contentsOf: buffer[0..<n])
            case .failure(let e): throw PlainIOError(operation: "read", path: path, errno: e)
            }
        }
    }

    /// open(O_WRONLY|O_CREAT|O_TRUNC, 0666), write in `chunk`-byte calls
    /// (a short write is continued), close with its result checked.
    static func write(_ bytes: [UInt8], to path: String, chunk: Int = 64 << 10) throws(PlainIOError) {
        let fd: Int32
        switch Syscall.run({ open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666) }) {
        case .success(let d): fd = d
        case .failure(let e): throw PlainIOError(operation: "open for writing", path: path, errno: e)
        }
        let step = max(1, chunk)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Syscall.count { Glibc.write(fd, raw.baseAddress! + offset, min(step, raw.count - offset)) }
            }
            switch n {
            case .success(0):
                // A write that stores nothing and reports no error would loop forever.
                Syscall.close(fd)
                throw PlainIOError(operation: "write (0 bytes stored) to", path: path, errno: .ioError)
            case .success(let written):
                offset += written
            case .failure(let e):
                Syscall.close(fd)
                throw PlainIOError(operation: "write to", path: path, errno: e)
            }
        }
        if case .failure(let e) = Syscall.close(fd) { throw PlainIOError(operation: "close", path: path, errno: e) }
    }

    static func rename(_ from: String, to: String) throws(PlainIOError) {
        if case .failure(let e) = Syscall.run({ Glibc.rename(from, to) }) {
            throw PlainIOError(operation: "rename \(from) to", path: to, errno: e)
        }
    }

    static func unlink(_ path: String) throws(PlainIOError) {
        if case .failure(let e) = Syscall.run({ Glibc.unlink(path) }) {
            throw PlainIOError(operation: "delete", path: path, errno: e)
        }
    }
}
