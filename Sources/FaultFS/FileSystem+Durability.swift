#if canImport(Glibc)
import Glibc
#endif
import CFuse
import FaultEngine
import SystemCalls

/// What the durability log is told, so that a power loss or fsync-fail can
/// undo exactly what was not yet synced. Nothing is logged unless a crash
/// rule is armed or the mount tracks durability.
extension FileSystem {
    var tracksDurability: Bool { faults.tracksDurability.load(ordering: .acquiring) }

    /// Saves the bytes a write is about to overwrite, the first time since
    /// the file's last fsync, so a power loss can put them back.
    func logWrite(_ file: OpenFile, offset: Int, length: Int) {
        guard tracksDurability else { return }
        var st = stat()
        guard case .success = Syscall.run({ fstat(file.fd, &st) }) else { return }
        let start = file.appends ? Int64(st.st_size) : Int64(offset)
        let ranges = faults.durability.withLock { state -> [Range<Int64>] in
            state.pin(file.inode)
            return state.log.willWrite(file: file.inode.key, offset: start, length: length, oldSize: Int64(st.st_size))
        }
        saveOldBytes(file.inode.key, fd: file.fd, ranges)
    }

    func logTruncate(_ inode: Inode, newSize: Int) {
        guard tracksDurability else { return }
        var st = stat()
        guard case .success = Syscall.run({ fstatat(inode.fd, "", &st, cfuse_AT_EMPTY_PATH) }) else { return }
        let ranges = faults.durability.withLock { state -> [Range<Int64>] in
            state.pin(inode)
            return state.log.willTruncate(file: inode.key, newSize: Int64(newSize), oldSize: Int64(st.st_size))
        }
        guard !ranges.isEmpty else { return }
        let readFD = Syscall.run { Glibc.open(inode.procPath, O_RDONLY | O_CLOEXEC) }
        guard case .success(let rfd) = readFD else { return }
        defer { Syscall.close(rfd) }
        saveOldBytes(inode.key, fd: rfd, ranges)
    }

    private func saveOldBytes(_ key: InodeKey, fd: Int32, _ ranges: [Range<Int64>]) {
        for range in ranges {
            var bytes = [UInt8](repeating: 0, count: Int(range.count))
            let n = bytes.withUnsafeMutableBytes { buffer in
                Syscall.count { pread(fd, buffer.baseAddress, buffer.count, Int(range.lowerBound)) }
            }
            // The file may have been opened write-only: then reopen to read.
            let got: Int
            if case .success(let count) = n { got = count } else { got = readThroughProc(fd, &bytes, range) }
            if got < bytes.count { bytes.removeLast(bytes.count - max(0, got)) }
            faults.durability.withLock { $0.log.recordSaved(file: key, offset: range.lowerBound, oldBytes: bytes) }
        }
    }

    private func readThroughProc(_ fd: Int32, _ bytes: inout [UInt8], _ range: Range<Int64>) -> Int {
        guard case .success(let rfd) = Syscall.run({ Glibc.open("/proc/self/fd/\(fd)", O_RDONLY | O_CLOEXEC) }) else { return 0 }
        defer { Syscall.close(rfd) }
        let n = bytes.withUnsafeMutableBytes { buffer in
            Syscall.count { pread(rfd, buffer.baseAddress, buffer.count, Int(range.lowerBound)) }
        }
        if case .success(let count) = n { return count }
        return 0
    }

    func logSync(_ inode: Inode) {
        faults.durability.withLock { state in
            state.log.didSync(file: inode.key)
            state.unpin(inode.key)
        }
    }

    func logDirectorySync(_ inode: Inode) {
        guard tracksDurability else { return }
        // The path first: `path(of:)` takes the inode's path lock, which is
        // never taken inside `durability` (see FaultContext's lock order).
        let path = path(of: inode)
        let released = faults.durability.withLock { $0.log.syncDirectory(path) }
        for stashName in released { faults.stash.discard(stashName) }
    }

    /// Records a new name for metadata-mode power loss.
    func logCreation(_ dir: Inode, _ name: UnsafePointer<CChar>, directory: Bool) {
        guard tracksDurability else { return }
        let path = childPath(dir, name)
        faults.durability.withLock { state in
            if directory { state.log.didMakeDirectory(path: path) } else { state.log.didCreate(path: path) }
        }
    }

    /// Keeps an about-to-be-unlinked (or replaced) file in the stash, so a
    /// metadata power loss can bring it back.
    /// - Returns: its stash name for the durability log, or nil.
    func stash(parent: Inode, name: UnsafePointer<CChar>) -> String? {
        guard tracksDurability else { return nil }
        return faults.stash.keep(parent: parent, name: name)
    }

    func logUnlink(_ dir: Inode, _ name: UnsafePointer<CChar>, stash: String?) {
        guard tracksDurability else { return }
        let path = childPath(dir, name)
        faults.durability.withLock { $0.log.didUnlink(path: path, stash: stash) }
    }

    func logRemoveDirectory(_ dir: Inode, _ name: UnsafePointer<CChar>) {
        guard tracksDurability else { return }
        let path = childPath(dir, name)
        faults.durability.withLock { $0.log.didRemoveDirectory(path: path) }
    }
}
