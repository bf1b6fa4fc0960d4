import Determinism
import Synchronization

/// The limits of a planning budget; the iteration limit is mandatory so a loop always ends.
public struct BudgetLimits: Sendable, Equatable {
    public var maxIterations: Int
    public var maxWallTime: Duration?
    /// A limit in the caller's own unit (tokens, API calls, bytes).
    public var maxCost: Double?

    public init(maxIterations: Int, maxWallTime: Duration? = nil, maxCost: Double? = nil) {
        self.maxIterations = max(0, maxIterations)
        self.maxWallTime = maxWallTime
        self.maxCost = maxCost
    }
}

/// One of the three budgets.
public enum BudgetDimension: String, Sendable, Equatable {
    case iterations, wallTime, cost
}

/// How much of each budget has been used.
public struct BudgetUsage: Sendable, Equatable, CustomStringConvertible {
    public var iterations: Int
    public var elapsed: Duration
    public var cost: Double
    public var limits: BudgetLimits

    /// Used share of a budget (1 = all of it; may exceed 1 by the last step's overrun); nil if that budget has no limit.
    public func fraction(of dimension: BudgetDimension) -> Double? {
        switch dimension {
        case .iterations: limits.maxIterations == 0 ? 1 : Double(iterations) / Double(limits.maxIterations)
        case .wallTime: limits.maxWallTime.map { $0 == .zero ? 1 : elapsed.seconds / $0.seconds }
        case .cost: limits.maxCost.map { $0 == 0 ? 1 : cost / $0 }
        }
    }

    public var description: String {
        var parts = ["\(iterations)/\(limits.maxIterations) iterations"]
        if let w = limits.maxWallTime { parts.append("\(elapsed) of \(w)") }
        if let c = limits.maxCost { parts.append("cost \(cost) of \(c)") }
        return parts.joined(separator: ", ")
    }
}

/// PATTERN-001: a budget of iterations, wall time and cost, shared by everything a planning loop does.
///
/// Thread-safe; one budget can be shared by several tasks. Its `deadline`
/// is meant to be passed into I/O (`FileHandlerRegistry.load(deadline:)`,
/// `ToolGuard.run(within:)`, `Retrier.run(within:)`), so a slow read cannot
/// run the budget over by more than one call. Nothing else enforces it: a
/// step that does not pass it on is not interrupted (see `runPlanningLoop`).
public final class PlanningBudget: Sendable {
    private struct Spent {
        var iterations = 0
        var cost = 0.0
    }

    public let limits: BudgetLimits
    public let clock: any PatternClock
    private let start: Duration
    private let spent = Mutex(Spent())

    /// Starts the budget now.
    public init(_ limits: BudgetLimits, clock: any PatternClock = SystemClock()) {
        self.limits = limits
        self.clock = clock
        start = clock.now()
    }

    /// When the wall-time budget runs out, if it has one.
    public var deadline: Deadline? { limits.maxWallTime.map { Deadline(at: start + $0, clock: clock) } }

    /// The wall time left (nil when unlimited).
    public var remainingTime: Duration? { deadline?.remaining }

    public var usage: BudgetUsage {
        let s = spent.withLock { $0 }
        return BudgetUsage(iterations: s.iterations, elapsed: clock.now() - start, cost: s.cost, limits: limits)
    }

    /// The first budget that is used up, or nil if there is room for another step.
    public var exhausted: BudgetDimension? {
        let u = usage
        if u.iterations >= limits.maxIterations { return .iterations }
        if let w = limits.maxWallTime, u.elapsed >= w { return .wallTime }
        if let c = limits.maxCost, u.cost >= c { return .cost }
        return nil
    }

    /// Records work done.
    public func charge(iterations: Int = 0, cost: Double = 0) {
        spent.withLock {
            $0.iterations += iterations
            $0.cost += cost
        }
    }
}
