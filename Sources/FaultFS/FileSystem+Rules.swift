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

    /// How many open handles may keep calls of theirs from a rule of `plan`,
    /// because they were opened before it: handles in the page cache of
    /// files a rule acting on reads, writes or flushes targets (the rule sees
    /// the page cache's misses, with the kernel's offsets and counts, not
    /// the program's reads, and a flush only if the handle sends it), and
    /// direct-I/O handles opened without flush of files a flush rule
    /// targets. Either kind is served as the rules say once it is closed
    /// and the file opened again. A harness that arms before its program
    /// opens the files sees 0. It counts a read-only handle for a write
    /// rule too: "may", not "will".
    func cachedHandles(missedBy plan: Plan) -> Int {
        let rules = plan.rules.map { (glob: $0.path, operations: $0.effectiveOperations) }
        guard rules.contains(where: { $0.operations.observesData }) else { return 0 }
        var count = 0
        for inode in inodes.snapshot() {
            let (cached, unflushed) = inode.openModes.withLock { ($0.cached, $0.unflushed) }
            guard cached > 0 || unflushed > 0 else { continue }
            let path = path(of: inode)
            let acting = rules.filter { $0.glob.matches(path) }.reduce(into: OperationSet()) { $0.formUnion($1.operations) }
            if acting.observesData { count += cached }
            if acting.contains(.flush) { count += unflushed }
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
