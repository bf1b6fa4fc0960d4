import FaultEngine

/// The filesystem's questions to `TargetVerdicts`, the one cache of which
/// operations armed rules can act on for a file.
extension FileSystem {
    /// The operations armed rules act on for this inode's path; empty when
    /// no rule can reach it.
    func targetOperations(_ inode: Inode) -> OperationSet {
        faults.verdicts.operations(of: inode) { path(of: inode) }
    }

    /// The operations armed rules may act on for a name in directory `dir`
    /// or below. When empty, a call that names a child skips the engine,
    /// and with 100 idle rules, creating and removing small files builds no
    /// path and takes no engine lock for any name.
    func childOperations(of dir: Inode) -> OperationSet {
        faults.verdicts.childOperations(of: dir) { path(of: dir) }
    }

    func mayTargetChildren(of dir: Inode) -> Bool { !childOperations(of: dir).isEmpty }

    /// The inode's verdict if it is still current, without judging.
    func currentVerdict(_ inode: Inode) -> OperationSet? { faults.verdicts.current(inode) }

    /// Judges a new inode from the path it was just found or made under.
    func judgeNew(_ inode: Inode, path: String) -> OperationSet {
        faults.verdicts.judgeNew(inode, path: path, isRoot: inode === inodes.root)
    }

    /// Gives `inode`, just found in `dir`, the directory's verdict when no
    /// rule can reach anything below `dir`.
    func inheritVerdict(_ inode: Inode, from dir: Inode) { faults.verdicts.inherit(inode, from: dir) }
}
