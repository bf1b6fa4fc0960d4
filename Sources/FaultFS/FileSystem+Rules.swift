import FaultEngine

/// Arming rules, and what clearing them needs to know first.
extension FileSystem {
    /// Arms a plan: the one sequence for a plan given at mount and for a
    /// control request. Once it returns, the rules are in force: durability
    /// is tracked if a crash rule needs it, and the kernel holds no cached
    /// page, attribute or name of a file the rules target.
    /// - Throws: `PlanError` if a rule is out of range or its name is taken; nothing is armed then.
    @discardableResult
    func arm(_ plan: Plan) throws(PlanError) -> [RuleID] {
        let ids = try faults.engine.arm(plan)
        faults.rulesChanged()
        // Only the new rules can have made a cached page, attribute or
        // name wrong; files other rules target were dropped when those
        // were armed.
        invalidate(matching: plan.rules.map(\.path))
        return ids
    }

    /// How many handles open in the page cache belong to files that a read
    /// rule of `plan` targets. Arming dropped their pages, so such a rule
    /// sees the first read through each of them (as one readahead request),
    /// and the cache answers later ones until the handle is closed and the
    /// file opened again, when it opens with direct I/O. A harness that arms
    /// before its program opens the files sees 0.
    func cachedHandles(readBy plan: Plan) -> Int {
        let globs = plan.rules.filter { $0.effectiveOperations.contains(.read) }.map(\.path)
        guard !globs.isEmpty else { return 0 }
        var count = 0
        for inode in inodes.snapshot() {
            let cached = inode.openModes.withLock { $0.cached }
            guard cached > 0 else { continue }
            let path = path(of: inode)
            if globs.contains(where: { $0.matches(path) }) { count += cached }
        }
        return count
    }

    /// The paths of every inode the kernel holds that armed rules target now;
    /// taken before a clear, so what a rule damaged can be dropped after.
    func targetedPaths() -> Set<String> {
        var result = Set<String>()
        for inode in inodes.snapshot() {
            let path = path(of: inode)
            if faults.engine.targets(path: path) { result.insert(path) }
        }
        return result
    }

    /// Removes the stash: once unmounted, no crash can need it.
    func removeStash() { faults.stash.removeAll() }
}
