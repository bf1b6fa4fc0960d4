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
/// `ToolGuard.run(timeout:)`, `Retrier`), so a slow read cannot run the
/// budget over by more than one call.
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

/// What a planning step tells the loop.
public enum PlanningStepResult: Sendable, Equatable {
    /// Go on; `cost` is what this step spent in the budget's unit.
    case proceed(cost: Double)
    /// The plan is done.
    case finished(cost: Double)
}

/// How a planning loop ended, always with what was done and what it used.
public enum PlanningOutcome<State: Sendable>: Sendable {
    case completed(State, BudgetUsage)
    /// A budget ran out; `State` holds the work done so far.
    case budgetExhausted(BudgetDimension, State, BudgetUsage)
    case failed(any Error, State, BudgetUsage)

    public var state: State {
        switch self {
        case .completed(let s, _), .budgetExhausted(_, let s, _), .failed(_, let s, _): s
        }
    }

    public var usage: BudgetUsage {
        switch self {
        case .completed(_, let u), .budgetExhausted(_, _, let u), .failed(_, _, let u): u
        }
    }
}

/// Runs `step` until it finishes, fails, or a budget runs out; it never loops forever.
///
/// The budget is checked before every step, so the loop stops with
/// `budgetExhausted` at the first step that would start over budget. The
/// step gets the budget so it can pass `budget.deadline` into its I/O waits.
///
/// Anti-pattern: `while !planIsGoodEnough { refine() }` with no limit: a
/// plan that never converges burns the session.
public func runPlanningLoop<State: Sendable>(
    budget: PlanningBudget,
    initial: State,
    step: (inout State, PlanningBudget) async throws -> PlanningStepResult
) async -> PlanningOutcome<State> {
    var state = initial
    while true {
        if let dimension = budget.exhausted { return .budgetExhausted(dimension, state, budget.usage) }
        if Task.isCancelled { return .failed(CancellationError(), state, budget.usage) }
        do {
            let result = try await step(&state, budget)
            switch result {
            case .proceed(let cost):
                budget.charge(iterations: 1, cost: cost)
            case .finished(let cost):
                budget.charge(iterations: 1, cost: cost)
                return .completed(state, budget.usage)
            }
        } catch {
            budget.charge(iterations: 1)
            return .failed(error, state, budget.usage)
        }
    }
}

/// The seed's planning-loop guard: at most `maxUpdatesWithoutExecution` plan updates in a row, reset by executing something.
///
/// A value type: keep one per planning session.
public struct PlanningLoopGuard: Sendable, Equatable {
    /// What the guard says to a plan update.
    public enum Verdict: Sendable, Equatable {
        /// Allowed; `remaining` more updates are allowed before an execution is needed.
        case allowed(remaining: Int)
        /// Refused: this would be update number `updates` with no execution between (the seed's PLANNING_LOOP).
        case planningLoop(updates: Int)
    }

    public let maxUpdatesWithoutExecution: Int
    public private(set) var updatesSinceExecution = 0
    public private(set) var totalUpdates = 0
    public private(set) var totalExecutions = 0

    /// The seed's default is 2.
    public init(maxUpdatesWithoutExecution: Int = 2) {
        self.maxUpdatesWithoutExecution = max(0, maxUpdatesWithoutExecution)
    }

    /// Asks to update the plan; a refused update is not counted.
    public mutating func recordPlanUpdate() -> Verdict {
        guard updatesSinceExecution < maxUpdatesWithoutExecution else {
            return .planningLoop(updates: updatesSinceExecution + 1)
        }
        updatesSinceExecution += 1
        totalUpdates += 1
        return .allowed(remaining: maxUpdatesWithoutExecution - updatesSinceExecution)
    }

    /// Records that something was executed; plan updates are allowed again.
    public mutating func recordExecution() {
        updatesSinceExecution = 0
        totalExecutions += 1
    }

    /// Plan updates as a share of all recorded events (0 when none).
    public var planningRatio: Double {
        let all = totalUpdates + totalExecutions
        return all == 0 ? 0 : Double(totalUpdates) / Double(all)
    }

    /// Whether planning takes more than `threshold` of the events (the seed used 0.3 to 0.5).
    public func isPlanningHeavy(threshold: Double = 0.5) -> Bool { planningRatio > threshold }
}
