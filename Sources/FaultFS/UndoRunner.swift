#if canImport(Glibc)
import Glibc
#endif
import CFuse
import FaultEngine
import SystemCalls
import SystemPackage

/// Applies the undo steps of a crash to the backing directory.
///
/// Files are reached through pinned descriptors (they may have been renamed
/// or unlinked since); paths are walked one component at a time from the
/// backing root without following symlinks, so an undo can never reach
/// outside the backing directory. A step whose file is gone is skipped.
struct UndoRunner {
    let fs: FileSystem
    let pinned: [InodeKey: Int32]

    func run(_ actions: [UndoAction<InodeKey>]) {
        for action in actions { apply(action) }
    }

    private func apply(_ action: UndoAction<InodeKey>) {
        switch action {
        case .restore(let file, let offset, let bytes):
            withWritable(file) { fd in
                bytes.withUnsafeBytes { buffer in
                    writeAll(fd, buffer, at: Int(offset))
                }
            }
        case .zero(let file, let offset, let length):
            withWritable(file) { fd in
                let zeros = [UInt8](repeating: 0, count: Int(min(length, 1 << 20)))
                var done: Int64 = 0
                while done < length {
                    let chunk = Int(min(Int64(zeros.count), length - done))
                    zeros.withUnsafeBytes { writeAll(fd, UnsafeRawBufferPointer(rebasing: $0[0..<chunk]), at: Int(offset + done)) }
                    done += Int64(chunk)
                }
            }
        case .setSize(let file, let size):
            withWritable(file) { fd in _ = Syscall.run { ftruncate(fd, Int(size)) } }
        case .remove(let path):
            withParent(path) { dir, name in _ = Syscall.run { unlinkat(dir, name, 0) } }
        case .removeDirectory(let path):
            withParent(path) { dir, name in _ = Syscall.run { unlinkat(dir, name, AT_REMOVEDIR) } }
        case .makeDirectory(let path):
            withParent(path) { dir, name in _ = Syscall.run { mkdirat(dir, name, 0o755) } }
        case .rename(let from, let to):
            withParent(from) { fromDir, fromName in
                withParent(to) { toDir, toName in _ = Syscall.run { renameat(fromDir, fromName, toDir, toName) } }
            }
        case .unstash(let stashName, let to):
            // Back from the stash, which lies outside the backing tree.
            let stashed = fs.faults.stash.path(of: stashName)
            withParent(to) { dir, name in _ = Syscall.run { renameat(AT_FDCWD, stashed, dir, name) } }
        }
    }

    private func withWritable(_ file: InodeKey, _ body: (Int32) -> Void) {
        let pathFD = pinned[file] ?? fs.inodes.find(file)?.fd
        guard let pathFD else { return }
        guard case .success(let fd) = Syscall.run({ Glibc.open("/proc/self/fd/\(pathFD)", O_WRONLY | O_CLOEXEC) }) else { return }
        defer { Syscall.close(fd) }
        body(fd)
    }

    /// Opens the directory that holds `path` (mount-relative) by walking
    /// down from the root with O_NOFOLLOW.
    private func withParent(_ path: String, _ body: (Int32, String) -> Void) {
        let parts = path.split(separator: "/").map(String.init)
        guard let name = parts.last, name != "..", name != "." else { return }
        guard case .success(var dir) = Syscall.run({ dup(fs.inodes.root.fd) }) else { return }
        for part in parts.dropLast() {
            guard part != "..", part != "." else { Syscall.close(dir); return }
            let next = Syscall.run { openat(dir, part, cfuse_O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            Syscall.close(dir)
            guard case .success(let fd) = next else { return }
            dir = fd
        }
        body(dir, name)
        Syscall.close(dir)
    }
}

/// Writes a whole buffer at an offset, looping over short writes.
func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int) {
    var done = 0
    while done < buffer.count {
        let n = Syscall.count { pwrite(fd, buffer.baseAddress! + done, buffer.count - done, offset + done) }
        guard case .success(let count) = n, count > 0 else { return }
        done += count
    }
}
