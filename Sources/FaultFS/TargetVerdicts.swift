import FaultEngine
import Synchronization

/// The one cache of "which operations can an armed rule act on here?".
///
/// The engine answers the question for a path (`operations(targeting:)`,
/// `operations(below:)`) and says when its answers may have changed
/// (`rulesGeneration`); a rename may change a file's path, and so its
/// answer (`PathCache.renameGeneration`). Everything FaultFS remembers of
/// those answers is judged, kept and handed on here, in the inode slots
/// `verdict` and `childVerdict`, so the call paths ask one place whether
/// to consult the engine at all.
///
/// A verdict is judged by reading the slot, asking the engine, then writing
/// the slot: three separate holds, none inside another (see FaultContext's
/// lock order). The generations are read before judging, so a change during
/// the judgement leaves the verdict stale, never wrong.
final class TargetVerdicts: Sendable {
    private let engine: FaultEngine
    private let paths: PathCache

    init(engine: FaultEngine, paths: PathCache) {
        self.engine = engine
        self.paths = paths
    }

    /// The operations armed rules act on for `inode`, whose path `path`
    /// gives when a judgement needs it; empty when no rule can reach it.
    func operations(of inode: Inode, path: () -> String) -> OperationSet {
        judged(inode.verdict, path: path) { engine.operations(targeting: $0) }
    }

    /// The operations armed rules may act on for some name in directory
    /// `dir` or below. When empty, a call that names a child (lookup,
    /// create, unlink, ...) need not ask the engine, and the child's own
    /// verdict is known without reading its path (`inherit`).
    func childOperations(of dir: Inode, path: () -> String) -> OperationSet {
        judged(dir.childVerdict, path: path) { engine.operations(below: $0) }
    }

    /// The inode's verdict if it is still current, without judging.
    func current(_ inode: Inode) -> OperationSet? {
        guard let known = inode.verdict.withLock({ $0 }), isCurrent(known) else { return nil }
        return known.operations
    }

    /// Judges a new inode from the path it was just found or made under,
    /// and remembers both, so its first call needs neither a readlink nor
    /// the engine's lock again. The root is judged but keeps no slot: its
    /// path is always "".
    func judgeNew(_ inode: Inode, path: String, isRoot: Bool) -> OperationSet {
        let rules = engine.rulesGeneration
        let renames = paths.generation
        let operations = engine.operations(targeting: path)
        if !isRoot {
            paths.remember(path, for: inode, generation: renames)
            inode.verdict.withLock { $0 = Verdict(rules: rules, renames: renames, operations: operations) }
        }
        return operations
    }

    /// Gives `inode`, just found in `dir`, the directory's verdict when it
    /// says no rule can reach anything below it. The verdict keeps the
    /// generations it was judged in, so if rules were armed meanwhile it is
    /// stale for the child as for the directory, and judged again.
    func inherit(_ inode: Inode, from dir: Inode) {
        guard let known = dir.childVerdict.withLock({ $0 }), known.operations.isEmpty else { return }
        inode.verdict.withLock { $0 = known }
        // Nothing below a directory that no rule can reach is reachable
        // either: its own children are settled too.
        inode.childVerdict.withLock { $0 = known }
    }

    @inline(__always)
    private func isCurrent(_ verdict: Verdict) -> Bool {
        verdict.rules == engine.rulesGeneration && verdict.renames == paths.generation
    }

    @inline(__always)
    private func judged(_ slot: borrowing Mutex<Verdict?>, path: () -> String,
                        _ judge: (String) -> OperationSet) -> OperationSet {
        let rules = engine.rulesGeneration
        let renames = paths.generation
        if let known = slot.withLock({ $0 }), known.rules == rules, known.renames == renames {
            return known.operations
        }
        let operations = judge(path())
        slot.withLock { $0 = Verdict(rules: rules, renames: renames, operations: operations) }
        return operations
    }
}

/// A cached "which operations can an armed rule act on here?", valid only
/// while the rule and rename generations are those it was judged in. Empty
/// means no rule can reach the file at all.
struct Verdict: Sendable {
    var rules: UInt64
    var renames: UInt64
    var operations: OperationSet
}
