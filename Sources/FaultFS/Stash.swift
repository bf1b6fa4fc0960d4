#if canImport(Glibc)
import Glibc
#endif
import CFuse
import SystemCalls
import Synchronization

/// Where metadata-mode power loss keeps files that were unlinked or
/// replaced, until their directory is synced and no crash can need them.
///
/// It lies beside the backing directory, never inside it, so the ground
/// truth never sees it. A kept file is a hard link under a stash name of
/// its own (`stash-N`); the durability log records stash names, never
/// paths, and `UndoAction.unstash` brings one back.
final class Stash: Sendable {
    let directory: String
    private let counter = Atomic<UInt64>(0)

    /// A stash beside `backingPath`, named after this process.
    init(besides backingPath: String) {
        let parent = backingPath == "/" ? "/tmp" : String(backingPath[..<(backingPath.lastIndex(of: "/") ?? backingPath.endIndex)])
        directory = (parent.isEmpty ? "" : parent) + "/.faultbench-stash-\(getpid())"
    }

    /// Keeps the file `name` in `parent` under a new stash name.
    /// - Returns: the stash name, or nil if it could not be kept.
    func keep(parent: Inode, name: UnsafePointer<CChar>) -> String? {
        _ = Syscall.run { Glibc.mkdir(directory, 0o700) }
        let stashName = "stash-\(counter.add(1, ordering: .relaxed).newValue)"
        let linked = Syscall.run { linkat(parent.fd, name, AT_FDCWD, path(of: stashName), 0) }
        guard case .success = linked else { return nil }
        return stashName
    }

    /// The absolute path of a kept file.
    func path(of stashName: String) -> String { directory + "/" + stashName }

    /// Lets a kept file go: its change is durable now.
    func discard(_ stashName: String) {
        _ = Syscall.run { unlinkat(AT_FDCWD, path(of: stashName), 0) }
    }

    /// Removes the stash and what is in it: once unmounted, no crash can
    /// need an unlinked file back.
    func removeAll() {
        guard case .success(let dir) = Syscall.pointer({ Glibc.opendir(directory) }) else { return }
        while case .success(let entry?) = Syscall.readdir(dir) {
            let name = cfuse_dirent_name(entry)!
            if strcmp(name, ".") != 0 && strcmp(name, "..") != 0 { _ = Syscall.run { unlinkat(dirfd(dir), name, 0) } }
        }
        Syscall.closedir(dir)
        _ = Syscall.run { Glibc.rmdir(directory) }
    }
}
