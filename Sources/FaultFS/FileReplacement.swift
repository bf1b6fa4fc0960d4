#if canImport(Glibc)
import Glibc
#endif
import SystemCalls
import SystemPackage

/// Replaces a file the daemon writes (the trace) so that readers see the old
/// file or the new one, never half of one: a temporary file beside it, fsync,
/// rename.
///
/// The daemon's own few lines rather than the pattern library's `AtomicFile`:
/// FaultFS depends only on the engine and the system calls.
enum FileReplacement {
    static func write(_ text: String, to path: String) -> Result<Void, Errno> {
        let temporary = path + ".tmp-\(getpid())"
        let opened = Syscall.run { open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        guard case .success(let fd) = opened else { return .failure(opened.errno!) }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = Syscall.count { bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } }
            guard case .success(let count) = n else {
                Syscall.close(fd); _ = Syscall.run { unlink(temporary) }
                return .failure(n.errno!)
            }
            bytes = bytes.dropFirst(count)
        }
        if case .failure(let e) = Syscall.run({ fsync(fd) }) {
            Syscall.close(fd); _ = Syscall.run { unlink(temporary) }; return .failure(e)
        }
        if case .failure(let e) = Syscall.close(fd) { _ = Syscall.run { unlink(temporary) }; return .failure(e) }
        if case .failure(let e) = Syscall.run({ rename(temporary, path) }) { _ = Syscall.run { unlink(temporary) }; return .failure(e) }
        return .success(())
    }
}
