import FaultEngine

/// The paths rules are written against, for the filesystem's calls.
extension FileSystem {
    /// The mount-relative path of an inode ("" for the root).
    func path(of inode: Inode) -> String {
        inode === inodes.root ? "" : faults.paths.path(of: inode)
    }

    /// The path of `name` in `parent`.
    func childPath(_ parent: Inode, _ name: UnsafePointer<CChar>) -> String {
        let base = path(of: parent)
        let child = String(cString: name)
        return base.isEmpty ? child : base + "/" + child
    }
}
