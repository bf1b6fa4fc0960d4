#if canImport(Glibc)
import Glibc
#endif
import SystemCalls
import Synchronization

/// Mount-relative paths of inodes, which rules are written against.
///
/// A path is read from /proc/self/fd (the kernel knows where a descriptor's
/// file is now, across renames) and cached in the inode until the next
/// rename anywhere in the mount, which may have moved it.
final class PathCache: Sendable {
    /// Canonical backing path, to turn /proc/self/fd links into mount paths.
    let backingPath: String
    /// Bumped by every rename: a path cached before it may be stale, and so
    /// may every verdict judged from one (see `TargetVerdicts`).
    let renameGeneration = Atomic<UInt64>(0)

    init(backingPath: String) {
        self.backingPath = backingPath
    }

    var generation: UInt64 { renameGeneration.load(ordering: .acquiring) }

    /// Something was renamed: every cached path may be wrong now.
    func renamed() { renameGeneration.add(1, ordering: .releasing) }

    /// The mount-relative path of a file other than the root; "" if the
    /// kernel cannot say.
    func path(of inode: Inode) -> String {
        let generation = generation
        if let cached = inode.cachedPath.withLock({ $0 }), cached.generation == generation { return cached.path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = Syscall.count { Glibc.readlink(inode.procPath, &buffer, buffer.count - 1) }
        guard case .success(let length) = n else { return "" }
        var full = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if full.hasSuffix(" (deleted)") { full.removeLast(" (deleted)".count) }
        let prefix = backingPath == "/" ? "/" : backingPath + "/"
        let path = full.hasPrefix(prefix) ? String(full.dropFirst(prefix.count)) : full
        inode.cachedPath.withLock { $0 = (generation, path) }
        return path
    }

    /// Remembers the path a new inode was just found or made under, judged
    /// in rename generation `generation`.
    func remember(_ path: String, for inode: Inode, generation: UInt64) {
        inode.cachedPath.withLock { $0 = (generation, path) }
    }
}

/// Splits a mount-relative path into its directory and its last name.
func splitPath(_ path: String) -> (directory: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return ("", path) }
    return (String(path[..<slash]), String(path[path.index(after: slash)...]))
}
