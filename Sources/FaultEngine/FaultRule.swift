/// One fault rule: what happens (`fault`), to which calls, and how often.
public struct FaultRule: Sendable, Hashable {
    /// The rule's name in the trace and the key of its random stream; the engine names unnamed rules `<fault>-<n>`, n counting rules armed since the last `clearAll`.
    public var name: String?
    /// What happens when the rule fires.
    public var fault: Fault
    /// Paths the rule targets, relative to the mount root.
    public var path: Glob
    /// Operations the rule targets; nil means the fault's `defaultOperations`.
    public var operations: OperationSet?
    /// Fire only on the nth matching call (1-based).
    public var nth: UInt64?
    /// Fire only on every kth matching call.
    public var every: UInt64?
    /// Leave the first this-many matching calls alone: the rule acts only
    /// from the one after (a fault that starts partway through a task).
    /// `nth` and `every` count the skipped calls too.
    public var skip: UInt64 = 0
    /// The chance that a matching call fires, 0...1.
    public var probability: Double
    /// The most times the rule fires.
    public var maxFirings: UInt64?
    /// Nanoseconds after arming before the rule is active.
    public var after: UInt64
    /// Nanoseconds the rule stays active after `after`; nil means forever.
    public var duration: UInt64?
    /// Fire only if the call's bytes touch this range of file offsets.
    public var offsets: Range<Int64>?
    /// Which callers the rule applies to.
    public var callers: CallerFilter

    /// Creates a rule; every targeting field defaults to "all".
    public init(
        _ fault: Fault, name: String? = nil, path: Glob = .everything, operations: OperationSet? = nil,
        nth: UInt64? = nil, every: UInt64? = nil, probability: Double = 1, maxFirings: UInt64? = nil,
        after: UInt64 = 0, duration: UInt64? = nil, offsets: Range<Int64>? = nil, callers: CallerFilter = CallerFilter()
    ) {
        self.fault = fault
        self.name = name
        self.path = path
        self.operations = operations
        self.nth = nth
        self.every = every
        self.probability = probability
        self.maxFirings = maxFirings
        self.after = after
        self.duration = duration
        self.offsets = offsets
        self.callers = callers
    }

    /// The operations in force: the given ones or the fault's defaults.
    public var effectiveOperations: OperationSet { operations ?? fault.kind.defaultOperations }

    /// Checks the values a plan file or a caller could get wrong.
    /// - Throws: `PlanError` for the first bad field, named as in a plan.
    public func validate(field prefix: String = "rule") throws(PlanError) {
        func fail(_ field: String, _ message: String) -> PlanError {
            PlanError(field: "\(prefix).\(field)", message: message)
        }
        if name?.isEmpty == true {
            throw fail("name", "is empty; give the rule a name, or leave `name` out for a generated one.")
        }
        let longest = PlanLimits.longestDuration
        let day = PlanLimits.describe(seconds: longest)
        if after > longest { throw fail("after", "\(after) ns is longer than a day; use at most \(day).") }
        if let duration, duration > longest {
            throw fail("for", "\(duration) ns is longer than a day; use at most \(day), or leave `for` out for no end.")
        }
        for match in callers.include + callers.exclude {
            if case .pid(let pid) = match, !PlanLimits.isProcessID(Int64(pid)) {
                throw fail("callers", "\(pid) is not a process id; use a positive pid up to \(PlanLimits.largestPID).")
            }
        }
        guard (0...1).contains(probability) else {
            throw fail("probability", "\(probability) is outside 0...1; use a number from 0 to 1.")
        }
        if nth == 0 { throw fail("nth", "0 is not a call number; calls are counted from 1.") }
        if every == 0 { throw fail("every", "0 is not a period; use 1 for every call, 2 for every other one.") }
        if let offsets, offsets.lowerBound < 0 {
            throw fail("offset", "from \(offsets.lowerBound) is negative; file offsets start at 0.")
        }
        switch fault {
        case .errno(let choice), .transient(let choice, _):
            if choice.weighted.isEmpty { throw fail("errno", "is empty; name at least one errno such as EIO.") }
            if choice.weighted.contains(where: { $0.weight == 0 }) {
                throw fail("errno", "has a weight of 0; weights must be positive whole numbers.")
            }
            if choice.weighted.contains(where: { $0.weight > UInt64(PlanLimits.largestWeight) }) {
                throw fail("errno", "has a weight above \(PlanLimits.largestWeight); use smaller whole numbers in the same ratio.")
            }
        case .shortWrite(let amount), .shortRead(let amount):
            switch amount {
            case .bytes(let n) where n < 0: throw fail("bytes", "\(n) is negative; give a byte count of 0 or more.")
            case .atMost(let n) where n < 1: throw fail("at-most", "\(n) is below 1; give a byte count of 1 or more.")
            case .fraction(let f) where !(0..<1).contains(f):
                throw fail("fraction", "\(f) is outside 0..<1; use a number from 0 up to but not including 1.")
            default: break
            }
        case .tornWrite(let block) where block < 1:
            throw fail("block", "\(block) is below 1; give a block size in bytes such as 4096.")
        case .killCaller(let n) where n < 0:
            throw fail("bytes", "\(n) is negative; give a byte count of 0 or more.")
        case .diskFull(let n, let capacity):
            if n < 0 { throw fail("bytes", "\(n) is negative; give a byte count of 0 or more.") }
            if let capacity, capacity < 0 { throw fail("capacity", "\(capacity) is negative; give a byte count of 0 or more.") }
        case .powerLoss(let options):
            guard (0...1).contains(options.keepProbability) else {
                throw fail("keep-random-subset", "\(options.keepProbability) is outside 0...1; use a number from 0 to 1.")
            }
            for match in options.kill {
                if case .pid(let pid) = match, !PlanLimits.isProcessID(Int64(pid)) {
                    throw fail("kill", "\(pid) is not a process id; use a positive pid up to \(PlanLimits.largestPID) (0 and negative values would signal whole process groups).")
                }
            }
        case .corruptRead(.flipBits(let n)) where n < 1 || n > PlanLimits.mostFlips:
            throw fail("flips", "\(n) is outside 1...\(PlanLimits.mostFlips); give the bits to flip per read.")
        case .delay(let model):
            if case .uniform(let low, let high)? = model.distribution, low > high {
                throw fail("min", "is above max; give min no larger than max.")
            }
            if case .logNormal(_, let sigma)? = model.distribution, !(sigma >= 0) {
                throw fail("sigma", "\(sigma) is negative; give a shape of 0 or more such as 0.5.")
            }
            if case .logNormal(_, let sigma)? = model.distribution, !(sigma <= 100) {
                throw fail("sigma", "\(sigma) is above 100; give a shape such as 0.5 (a sigma of 3 already spans a factor of 20 each way).")
            }
            switch model.distribution {
            case .fixed(let ns)? where ns > longest: throw fail("ms", "\(ns) ns is longer than a day; use at most \(day).")
            case .uniform(_, let high)? where high > longest: throw fail("max-delay", "\(high) ns is longer than a day; use at most \(day).")
            case .logNormal(let median, _)? where median > longest: throw fail("median", "\(median) ns is longer than a day; use at most \(day).")
            default: break
            }
        default:
            break
        }
    }
}
