/// A rule as the engine holds it: the rule, its stream and its counters.
struct ArmedRule: Sendable {
    let id: RuleID
    let name: String
    let rule: FaultRule
    let operations: OperationSet
    let armedAt: UInt64
    var stream: RandomStream
    var matched: UInt64 = 0
    var fired: UInt64 = 0
    /// Bytes written by matching calls (disk-full).
    var bytesWritten: Int64 = 0
    /// Bytes written per (path, pid) (kill-caller); only matching calls add keys.
    var writtenByCaller: [CallerFileKey: Int64] = [:]

    init(id: RuleID, name: String, rule: FaultRule, armedAt: UInt64, seed: UInt64) {
        self.id = id
        self.name = name
        self.rule = rule
        self.operations = rule.effectiveOperations
        self.armedAt = armedAt
        self.stream = RandomStream(seed: seed, name: name)
    }

    var isDelay: Bool {
        if case .delay = rule.fault { return true }
        return false
    }

    /// Whether `now` lies in the rule's window.
    func isActive(at now: UInt64) -> Bool {
        let elapsed = now &- armedAt
        guard elapsed >= rule.after else { return false }
        if let duration = rule.duration { return elapsed - rule.after < duration }
        return true
    }

    /// Whether the call's bytes touch the rule's offset range.
    func touchesOffsets(offset: Int64, length: Int) -> Bool {
        guard let range = rule.offsets else { return true }
        let (end, overflow) = offset.addingReportingOverflow(Int64(max(length, 1)))
        if overflow { return offset < range.upperBound }
        return offset < range.upperBound && end > range.lowerBound
    }

    /// Whether the counting triggers (nth, every, max, probability) let this matching call fire.
    mutating func passesTriggers() -> Bool {
        if matched <= rule.skip { return false }
        if let nth = rule.nth, matched != nth { return false }
        if let every = rule.every, matched % every != 0 { return false }
        if let max = rule.maxFirings, fired >= max { return false }
        if case .transient(_, let count?) = rule.fault, matched &- rule.skip > count { return false }
        if rule.probability < 1, stream.nextUnit() >= rule.probability { return false }
        return true
    }

    /// The fault's delay and effect for a call that passed every filter, or nil if the fault does not apply to it.
    mutating func fire(_ op: FSOperation, path: String, caller: Caller, offset: Int64, length: Int) -> (delay: UInt64, effect: Effect)? {
        switch rule.fault {
        case .missing:
            return (0, .fail(LinuxErrno.ENOENT))
        case .errno(let choice), .transient(let choice, _):
            return (0, .fail(choice.draw(&stream)))
        case .shortWrite(let amount), .shortRead(let amount):
            guard let count = amount.count(for: length, &stream) else { return nil }
            return (0, .short(count))
        case .tornWrite(let block):
            guard length > 0 else { return nil }
            // The last block boundary strictly inside the write: the most that can be stored while still torn.
            // The kernel keeps offset + length within a file's maximum
            // size; a caller of the engine may not, and a trap is no answer.
            let (end, overflow) = offset.addingReportingOverflow(Int64(length))
            guard !overflow else { return nil }
            let boundary = ((end - 1) / Int64(block)) * Int64(block)
            return (0, .torn(stored: boundary > offset ? Int(boundary - offset) : 0))
        case .lostWrite:
            return (0, .lost)
        case .delay(let model):
            // A bandwidth-only rule adds nothing to calls that move no bytes; they are not traced.
            let delay = model.nanoseconds(length: length, &stream)
            return delay > 0 ? (delay, .proceed) : nil
        case .corruptRead(let mode):
            return (0, .corrupt(CorruptionPlan(mode: mode, seed: stream.next())))
        case .killCaller(let limit):
            // The kernel writes back a shared mapping on its own behalf, with
            // pid 0: there is no caller to kill, and kill(0) would hit the
            // daemon's own process group.
            guard caller.pid > 0 else { return nil }
            let key = CallerFileKey(path: path, pid: caller.pid)
            let before = writtenByCaller[key, default: 0]
            // Int64.max marks a caller already killed, so a survivor is not killed twice.
            guard before != .max else { return nil }
            let (sum, overflow) = before.addingReportingOverflow(Int64(length))
            let after = overflow ? Int64.max - 1 : sum
            if after < limit {
                writtenByCaller[key] = after
                return nil
            }
            writtenByCaller[key] = .max
            return (0, .killAfter(bytes: Int(limit - before), pid: caller.pid))
        case .powerLoss(let options):
            var kill = options.kill
            // No pid 0 (a request the kernel makes itself) into the kill list.
            if options.killCaller, caller.pid > 0 { kill.insert(.pid(caller.pid), at: 0) }
            return (0, .powerLoss(PowerLossPlan(seed: stream.next(), metadata: options.metadata,
                                                keepProbability: options.keepProbability, kill: kill)))
        case .fsyncFail:
            return (0, .fsyncFail)
        case .diskFull(let limit, _):
            if op == .fallocate {
                // Reserving space uses it up as writing does, but cannot be
                // cut short: it fits whole or fails.
                let room = max(0, limit - bytesWritten)
                guard Int64(length) <= room else { return (0, .fail(LinuxErrno.ENOSPC)) }
                bytesWritten += Int64(length)
                return nil
            }
            if op == .write {
                let room = max(0, limit - bytesWritten)
                if Int64(length) <= room {
                    bytesWritten += Int64(length)
                    return nil
                }
                bytesWritten = limit
                return room > 0 ? (0, .short(Int(room))) : (0, .fail(LinuxErrno.ENOSPC))
            }
            return bytesWritten >= limit ? (0, .fail(LinuxErrno.ENOSPC)) : nil
        }
    }
}

/// A (file path, pid) pair for kill-caller byte accounting.
struct CallerFileKey: Hashable, Sendable {
    var path: String
    var pid: Int32
}

/// A (path, operation) pair for call ordinals.
struct CallKey: Hashable, Sendable {
    var path: String
    var op: FSOperation
}
