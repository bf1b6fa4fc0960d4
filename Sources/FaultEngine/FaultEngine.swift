import Determinism
import Synchronization

/// Decides, for every filesystem call, whether and how to inject a fault; pure apart from its clock.
///
/// FaultFS calls `decide` on every FUSE operation. When no rule is armed,
/// `isArmed` (one atomic load) lets it skip the engine entirely. When rules are
/// armed but none matches, `decide` does not allocate: it tests each rule's
/// operation bit mask, then matches the precompiled glob against the path's
/// UTF-8 bytes in place; strings are built and the trace appended only when a
/// fault fires. The first call on a new (path, operation) that a rule targets
/// allocates one dictionary entry for its ordinal. A rule that filters callers
/// by name or executable asks the resolver, which allocates, but only after the
/// call has matched that rule's path and operations. FaultEngineAllocationTests
/// counts these allocations (Tests/EngineAllocProbe).
///
/// Rules are tried in arming order. Delays of every firing delay rule add up;
/// the first other rule that fires sets the effect, and later non-delay rules
/// are not evaluated for that call (their counters and streams do not move).
public final class FaultEngine: Sendable {
    private let seed: UInt64
    private let clock: any EngineClock
    private let resolver: (any CallerResolver)?
    private let armed = Atomic<Bool>(false)
    private let generation = Atomic<UInt64>(0)
    private let state = Mutex(EngineState())

    /// Changes whenever rules are armed or cleared, so a caller may cache
    /// `operations(targeting:)` and `operations(below:)` until it moves.
    public var rulesGeneration: UInt64 { generation.load(ordering: .acquiring) }

    /// The operations on which an armed rule, or the replayed trace, acts
    /// for `path`: the union of the operations of every rule whose glob
    /// matches it, whatever its window, caller filter or counters. Empty
    /// means `decide` returns `.proceed` for that path whatever the call,
    /// and a call whose operation is not in the set is neither counted nor
    /// recorded, until `rulesGeneration` changes; so a caller may cache it
    /// per file and skip the engine, with no path and no lock, for every
    /// other operation.
    public func operations(targeting path: String) -> OperationSet {
        guard isArmed else { return [] }
        var bytes = path
        return bytes.withUTF8 { utf8 in
            state.withLock { state in
                var operations = OperationSet()
                if let replay = state.replay {
                    for key in replay.targets where key.path == path { operations.insert(key.op) }
                }
                var start = 0
                while start < utf8.count, utf8[start] == UInt8(ascii: "/") { start += 1 }
                for index in state.rules.indices
                where state.prefilter.mayMatch(index, operations: nil, path: utf8, from: start)
                    && state.rules[index].rule.path.matches(utf8: utf8) {
                    operations.formUnion(state.rules[index].operations)
                }
                return operations
            }
        }
    }

    /// The operations on which an armed rule, or the replayed trace, may act
    /// for some path below `directory` (mount-relative, "" for the root),
    /// judged by the literal start of each glob (so it may name operations
    /// no rule will act on there, never the reverse). A call on a name in that directory whose operation is not in the set
    /// is `.proceed`, uncounted, until `rulesGeneration` changes.
    public func operations(below directory: String) -> OperationSet {
        guard isArmed else { return [] }
        return Self.withBase(below: directory) { utf8 in
            state.withLock { state in
                var operations = OperationSet()
                if let replay = state.replay {
                    for key in replay.targets where key.path.utf8.starts(with: utf8) { operations.insert(key.op) }
                }
                operations.formUnion(OperationSet(rawValue: state.prefilter.operations(below: utf8)))
                return operations
            }
        }
    }

    /// Runs `body` on the UTF-8 of `directory` and a slash, or on no bytes
    /// for the root (""), built on the stack: `directory + "/"` was a heap
    /// allocation for every directory path of 15 bytes or more.
    private static func withBase<R>(below directory: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        guard !directory.isEmpty else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        var directory = directory
        return directory.withUTF8 { name in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: name.count + 1) { base in
                _ = base.initialize(fromContentsOf: name)
                base[name.count] = UInt8(ascii: "/")
                return body(UnsafeBufferPointer(base))
            }
        }
    }

    /// Creates an engine with no rules.
    /// - Parameters:
    ///   - seed: The run seed; each rule's stream derives from it and the rule's name.
    ///   - clock: The source of time for windows, delays' trace times and `t`.
    ///   - resolver: Names callers for rules that filter by process name or executable.
    public init(seed: UInt64, clock: any EngineClock, resolver: (any CallerResolver)? = nil) {
        self.seed = seed
        self.clock = clock
        self.resolver = resolver
        state.withLock { $0.origin = clock.nanoseconds() }
    }

    /// Creates an engine that injects exactly the faults of a recorded trace, matched by op, path and ordinal.
    public convenience init(replaying trace: [TraceEvent], clock: any EngineClock) {
        self.init(seed: 0, clock: clock)
        state.withLock { $0.replay = ReplayBook(trace) }
        armed.store(!trace.isEmpty, ordering: .releasing)
    }

    /// Whether any rule (or replay) is armed; one atomic load, so FaultFS checks it before anything else.
    public var isArmed: Bool { armed.load(ordering: .acquiring) }

    /// Arms a rule; its window starts now.
    /// - Returns: The handle to clear it with.
    /// - Throws: `PlanError` if a value is out of range or the name is taken.
    @discardableResult
    public func arm(_ rule: FaultRule) throws(PlanError) -> RuleID {
        try rule.validate()
        let now = clock.nanoseconds()
        let result: Result<RuleID, PlanError> = state.withLock { state in
            let id = RuleID(rawValue: state.nextID)
            // Default names count from the epoch start, so a trial's unnamed rules get the same names and streams every time.
            let name = rule.name ?? "\(rule.fault.kind.rawValue)-\(state.armedInEpoch + 1)"
            if state.rules.contains(where: { $0.name == name }) {
                return .failure(PlanError(field: "rule.name", message: "\"\(name)\" is already armed; give each rule its own name."))
            }
            state.nextID += 1
            state.armedInEpoch += 1
            state.addRules([ArmedRule(id: id, name: name, rule: rule, armedAt: now, seed: seed)])
            return .success(id)
        }
        let id = try result.get()
        armed.store(true, ordering: .releasing)
        generation.add(1, ordering: .releasing)
        return id
    }

    /// Arms every rule of a plan, or none: all are validated, and their
    /// names checked, before the first is armed, under one lock. A plan's own
    /// `seed` seeds its rules' streams; without one the engine's seed does.
    @discardableResult
    public func arm(_ plan: Plan) throws(PlanError) -> [RuleID] {
        func located(_ error: PlanError, _ index: Int) -> PlanError {
            var error = error
            if error.field.hasPrefix("rule.") { error.field = "rules[\(index)]." + error.field.dropFirst(5) }
            if index < plan.lines.count, let line = plan.lines[index] { error.line = line; error.file = plan.file }
            return error
        }
        for (index, rule) in plan.rules.enumerated() {
            do throws(PlanError) { try rule.validate() } catch { throw located(error, index) }
        }
        let now = clock.nanoseconds()
        let runSeed = plan.seed ?? seed
        let result: Result<[RuleID], PlanError> = state.withLock { state in
            var taken = Set(state.rules.map(\.name))
            var names: [String] = []
            for (index, rule) in plan.rules.enumerated() {
                let name = rule.name ?? "\(rule.fault.kind.rawValue)-\(state.armedInEpoch + UInt64(index) + 1)"
                guard taken.insert(name).inserted else {
                    return .failure(located(PlanError(field: "rule.name", message: "\"\(name)\" is already armed; give each rule its own name."), index))
                }
                names.append(name)
            }
            var ids: [RuleID] = []
            var added: [ArmedRule] = []
            for (index, rule) in plan.rules.enumerated() {
                let id = RuleID(rawValue: state.nextID)
                state.nextID += 1
                state.armedInEpoch += 1
                added.append(ArmedRule(id: id, name: names[index], rule: rule, armedAt: now, seed: runSeed))
                ids.append(id)
            }
            state.addRules(added)
            return .success(ids)
        }
        let ids = try result.get()
        if !ids.isEmpty { armed.store(true, ordering: .releasing) }
        generation.add(1, ordering: .releasing)
        return ids
    }

    /// Clears one rule. - Returns: Whether it was armed.
    @discardableResult
    public func clear(_ id: RuleID) -> Bool {
        state.withLock { state in
            guard let index = state.rules.firstIndex(where: { $0.id == id }) else { return false }
            state.removeRule(at: index)
            armed.store(!state.rules.isEmpty || state.replay != nil, ordering: .releasing)
            generation.add(1, ordering: .releasing)
            return true
        }
    }

    /// Clears every rule and any replay, and starts a new epoch: call ordinals, `seq` and `t` start again.
    ///
    /// A harness calls it between trials on one mount, so each trial's trace
    /// numbers its calls and times from its own start, as a fresh engine
    /// would. Trace lines not yet drained are kept.
    public func clearAll() {
        let now = clock.nanoseconds()
        state.withLock { state in
            state.removeAllRules()
            state.replay = nil
            state.ordinals.removeAll()
            state.seq = 0
            state.armedInEpoch = 0
            state.origin = now
            armed.store(false, ordering: .releasing)
            generation.add(1, ordering: .releasing)
        }
    }

    /// The armed rules with their counters, in arming order.
    public func rules() -> [RuleStatus] {
        state.withLock { state in
            state.rules.map { RuleStatus(id: $0.id, name: $0.name, rule: $0.rule, matched: $0.matched, fired: $0.fired) }
        }
    }

    /// Whether any armed rule's glob, or the replayed trace, matches `path`, for any operation.
    public func targets(path: String) -> Bool {
        guard isArmed else { return false }
        var bytes = path
        return bytes.withUTF8 { utf8 in
            state.withLock { state in
                if let replay = state.replay, replay.targets.contains(where: { $0.path == path }) { return true }
                guard state.prefilter.anyMayMatch(path: utf8) else { return false }
                return state.anyRule { $0.rule.path.matches(utf8: utf8) }
            }
        }
    }

    /// The engine's answer for one call.
    /// - Parameters:
    ///   - op: The operation.
    ///   - path: The path relative to the mount root.
    ///   - caller: Who made the call.
    ///   - offset: The file offset of a read, write or fallocate.
    ///   - length: The byte count of a read or write.
    /// - Returns: `.proceed` unless some rule fired.
    public func decide(_ op: FSOperation, path: String, caller: Caller, offset: Int64 = 0, length: Int = 0) -> Decision {
        guard isArmed else { return .proceed }
        let now = clock.nanoseconds()
        // A copy shares the storage; withUTF8 needs a var but must not overlap the `path` read below.
        var bytes = path
        return bytes.withUTF8 { utf8 in
            state.withLock { state in
                decide(&state, op, path: path, utf8: utf8, caller: caller, offset: offset, length: length, now: now)
            }
        }
    }

    private func decide(_ state: inout EngineState, _ op: FSOperation, path: String, utf8: UnsafeBufferPointer<UInt8>,
                        caller: Caller, offset: Int64, length: Int, now: UInt64) -> Decision {
        state.calls += 1
        if !state.exempt.isEmpty, state.exempt.contains(caller.pid) { return .proceed }
        var decision = Decision()
        var ordinal: UInt64 = 0
        var effectChosen = false
        if state.replay != nil {
            replay(&state, &decision, &ordinal, &effectChosen, op, path: path, caller: caller, offset: offset, length: length, now: now)
        }
        var start = 0
        while start < utf8.count, utf8[start] == UInt8(ascii: "/") { start += 1 }
        // Not `OperationSet([op])`: its array literal was a heap allocation on every call.
        let opBit = OperationSet.bit(op)
        for index in state.rules.indices {
            guard state.prefilter.mayMatch(index, operations: opBit, path: utf8, from: start) else { continue }
            let isDelay = state.rules[index].isDelay
            if effectChosen && !isDelay { continue }
            guard state.rules[index].rule.path.matches(utf8: utf8) else { continue }
            if ordinal == 0 { ordinal = state.nextOrdinal(path: path, op: op) }
            guard state.rules[index].isActive(at: now),
                  state.rules[index].touchesOffsets(offset: offset, length: length),
                  state.rules[index].rule.callers.admits(caller, resolver: resolver) else { continue }
            let fired = state.withRule(index) { rule -> (delay: UInt64, effect: Effect)? in
                rule.matched += 1
                guard rule.passesTriggers(),
                      let outcome = rule.fire(op, path: path, caller: caller, offset: offset, length: length)
                else { return nil }
                rule.fired += 1
                return outcome
            }
            guard let outcome = fired else { continue }
            let result: String
            if isDelay {
                decision.delayNanoseconds += outcome.delay
                result = Effect.delayText(outcome.delay)
            } else {
                decision.effect = outcome.effect
                effectChosen = true
                result = outcome.effect.traceResult(length: length)
            }
            state.record(rule: state.rules[index].name, fault: state.rules[index].rule.fault.kind.rawValue, op: op,
                         path: path, n: ordinal, offset: offset, length: length, result: result, pid: caller.pid,
                         at: now &- state.origin)
        }
        return decision
    }

    private func replay(_ state: inout EngineState, _ decision: inout Decision, _ ordinal: inout UInt64, _ effectChosen: inout Bool,
                        _ op: FSOperation, path: String, caller: Caller, offset: Int64, length: Int, now: UInt64) {
        guard let book = state.replay, book.targets.contains(CallKey(path: path, op: op)) else { return }
        ordinal = state.nextOrdinal(path: path, op: op)
        guard let events = book.events[ReplayBook.Key(path: path, op: op, n: ordinal)] else { return }
        for event in events {
            guard let (delay, effect) = Effect.fromTrace(result: event.result, pid: caller.pid) else { continue }
            decision.delayNanoseconds += delay
            if effect != .proceed {
                decision.effect = effect
                effectChosen = true
            }
            state.record(rule: event.rule, fault: event.fault, op: op, path: path, n: ordinal, offset: offset,
                         length: length, result: event.result, pid: caller.pid, at: now &- state.origin)
            if event.fault == FaultKind.missing.rawValue { state.replay?.consumedMissing(path) }
        }
    }

    /// Sets the processes no rule or replay ever faults, whatever the rules say: the harness and the oracle.
    ///
    /// Their calls are not counted either, so they do not shift call ordinals
    /// and a trace stays the same whether or not the oracle looked at the files.
    public func exempt(pids: Set<Int32>) {
        state.withLock { $0.exempt = pids }
    }

    /// Whether readdir should leave `path` out because an armed `missing` rule targets it.
    ///
    /// Uses the rule's path, window, caller filter and remaining firings, but not
    /// nth, every or probability, and counts nothing: readdir runs per entry and
    /// must not move the streams that decide lookups.
    public func hides(name path: String, caller: Caller) -> Bool {
        guard isArmed else { return false }
        let now = clock.nanoseconds()
        var path = path
        return path.withUTF8 { utf8 in
            state.withLock { state in
                if state.exempt.contains(caller.pid) { return false }
                if let replay = state.replay, replay.missing[String(decoding: utf8, as: UTF8.self)] != nil { return true }
                return state.anyRule { rule in
                    guard case .missing = rule.rule.fault else { return false }
                    if let max = rule.rule.maxFirings, rule.fired >= max { return false }
                    return rule.isActive(at: now) && rule.rule.path.matches(utf8: utf8)
                        && rule.rule.callers.admits(caller, resolver: resolver)
                }
            }
        }
    }

    /// The capacity statfs should report: from the first armed disk-full rule with a `capacity`, else nil.
    public func statfsOverride() -> StatfsOverride? {
        state.withLock { state in
            for rule in state.rules {
                if case .diskFull(_, let capacity?) = rule.rule.fault {
                    return StatfsOverride(totalBytes: capacity, freeBytes: max(0, capacity - rule.bytesWritten))
                }
            }
            return nil
        }
    }

    /// Injects a power loss now, outside any rule; the trace records it with rule `on-demand`.
    /// - Returns: The plan FaultFS applies with `DurabilityLog.powerLossPlan(for:)`.
    public func powerLossNow(_ options: PowerLossOptions = PowerLossOptions(killCaller: false)) -> PowerLossPlan {
        let now = clock.nanoseconds()
        return state.withLock { state in
            var stream = RandomStream(seed: seed, name: "on-demand-\(state.seq + 1)")
            let plan = PowerLossPlan(seed: stream.next(), metadata: options.metadata,
                                     keepProbability: options.keepProbability, kill: options.kill)
            state.record(rule: "on-demand", fault: FaultKind.powerLoss.rawValue, op: .fsync, path: "", n: 0, offset: 0,
                         length: 0, result: plan.traceText, pid: 0, at: now &- state.origin)
            return plan
        }
    }

    /// The trace lines not yet drained, oldest first.
    public func traceLines() -> [String] { state.withLock { $0.trace } }

    /// Returns and forgets the trace lines so far; a harness drains after each trial.
    @discardableResult
    public func drainTrace() -> [String] {
        state.withLock { state in
            defer { state.trace.removeAll() }
            return state.trace
        }
    }

    /// How many times the rule prefilter was built: once per arm or clear, never per call.
    var prefilterBuilds: UInt64 { state.withLock { $0.prefilterBuilds } }

    /// Totals since the engine started.
    public func counters() -> EngineCounters {
        state.withLock { EngineCounters(calls: $0.calls, faults: $0.faults, pendingTraceLines: $0.trace.count) }
    }
}
