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
