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
/// `budgetExhausted` at the first step that would start over budget.
///
/// A step is never interrupted: one that overruns the wall time runs to its
/// end, and the outcome's usage shows by how much. The step gets the budget
/// so that its I/O can stop at `budget.deadline`, but only where the
/// deadline is passed in: `FileHandlerRegistry.load(deadline:)` checks it
/// before every read, `ToolGuard.run(within:)` cuts the tool's timeout to
/// it, and `Retrier.run(within:)` starts no attempt and no sleep past it.
/// `AtomicFile`, `BatchExecutor` and `GroundTruthVerifier` take no deadline:
/// an atomic write or a batch is not abandoned half-way.
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
