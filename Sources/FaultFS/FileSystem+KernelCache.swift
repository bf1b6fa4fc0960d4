#if canImport(Glibc)
import Glibc
#endif
import CFuse
import FaultEngine

/// Dropping what the kernel cached (pages, attributes, names) when a rule
/// or a crash has made it wrong.
extension FileSystem {
    /// Drops the kernel's cached pages and attributes of these inodes (not
    /// the names that lead to them: see `invalidate(_ names:)`).
    func invalidate(_ list: [Inode]) {
        guard let se = faults.sessionPointer else { return }
        for inode in list {
            _ = fuse_lowlevel_notify_inval_inode(se, inodes.nodeid(of: inode), 0, 0)
        }
    }

    /// Drops the kernel's cached pages and attributes of every inode but
    /// those in `sparing` (see `powerLoss`).
    func invalidatePages(sparing: [Inode] = []) {
        guard let se = faults.sessionPointer else { return }
        for inode in inodes.snapshot() where !sparing.contains(where: { $0 === inode }) {
            _ = fuse_lowlevel_notify_inval_inode(se, inodes.nodeid(of: inode), 0, 0)
        }
        _ = fuse_lowlevel_notify_inval_inode(se, fuse_ino_t(FUSE_ROOT_ID), 0, 0)
    }

    /// Every (directory, name) the kernel may have cached.
    func cachedNames() -> [NameInvalidation] {
        let all = inodes.snapshot()
        var byPath: [String: Inode] = ["": inodes.root]
        for inode in all { byPath[path(of: inode)] = inode }
        var names: [NameInvalidation] = []
        for path in byPath.keys where !path.isEmpty {
            let (parentPath, name) = splitPath(path)
            if let parent = byPath[parentPath] { names.append(NameInvalidation(parent: inodes.nodeid(of: parent), name: name)) }
        }
        return names
    }

    func invalidate(_ names: [NameInvalidation]) {
        guard let se = faults.sessionPointer else { return }
        for entry in names {
            _ = entry.name.withCString { fuse_lowlevel_notify_inval_entry(se, entry.parent, $0, strlen($0)) }
        }
    }

    /// Before a rule is reported armed, or once it is cleared: the kernel
    /// must not answer a call it targets from its cache (pages, attributes
    /// or a cached name). Matches the rules' globs here, with no lock of the
    /// engine's, so arming a trial's rules does not ask the engine about
    /// every inode the kernel holds.
    func invalidate(matching globs: [Glob]) {
        guard !globs.isEmpty else { return }
        invalidate(pathsWhere: { path in globs.contains { $0.matches(path) } })
    }

    /// Drops the kernel's cached pages, attributes and names of the inodes
    /// whose paths satisfy `isTargeted`. Only directories are kept by path
    /// (a name is dropped through its parent), not every inode.
    func invalidate(pathsWhere isTargeted: (String) -> Bool) {
        guard let se = faults.sessionPointer else { return }
        var directories: [String: Inode] = ["": inodes.root]
        var targets: [(path: String, inode: Inode)] = []
        for inode in inodes.snapshot() where inode !== inodes.root {
            let path = path(of: inode)
            if path.isEmpty { continue }
            if inode.fileType == S_IFDIR { directories[path] = inode }
            if isTargeted(path) { targets.append((path, inode)) }
        }
        for (path, inode) in targets {
            _ = fuse_lowlevel_notify_inval_inode(se, inodes.nodeid(of: inode), 0, 0)
            let (parentPath, name) = splitPath(path)
            if let parent = directories[parentPath] {
                _ = name.withCString { fuse_lowlevel_notify_inval_entry(se, inodes.nodeid(of: parent), $0, strlen($0)) }
            }
        }
    }
}

struct NameInvalidation: Sendable {
    let parent: fuse_ino_t
    let name: String
}
