import Determinism
import ExecutorContract
import Figures
import Results

/// One trial the run will make: which scenario, which arm, and where it
/// stands in the run's fixed order.
public struct PlannedTrial: Sendable, Hashable {
    /// Position in the run's order; also names the trial's directory.
    public var index: Int
    public var scenario: Int
    public var arm: Arm
    /// Number within the (scenario, arm) cell; warm-ups are numbered too.
    public var number: Int
    public var warmup: Bool

    /// The trial's directory name: unique within a run, so no trial ever
    /// meets a name the kernel has cached for an earlier one.
    public var id: String {
        let digits = String(index)
        return "t" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }
}

/// The run's trials in their order: for each scenario, one warm-up per arm,
/// then the arms' trials interleaved in a random order drawn from the seed,
/// so that a drift in the machine's speed during a scenario is spread over
/// both arms instead of falling on one.
public enum TrialPlan {
    /// Trials per arm for a scenario that names none, when the run names none either.
    public static let defaultTrials = 20

    public static func make(scenarios: [Scenario], trialsPerArm override: Int?, warmup: Int, seed: UInt64) -> [PlannedTrial] {
        var plan: [PlannedTrial] = []
        for (scenarioIndex, scenario) in scenarios.enumerated() {
            let trials = override ?? scenario.trials ?? defaultTrials
            var random = SplitMix64(seed: seed ^ (0x9E37_79B9 &* UInt64(scenarioIndex + 1)))
            var cell: [(Arm, Bool)] = []
            for _ in 0..<warmup { cell += [(.off, true), (.on, true)] }
            var measured = Array(repeating: (Arm.off, false), count: trials) + Array(repeating: (Arm.on, false), count: trials)
            // Fisher-Yates with the seeded generator.
            if measured.count > 1 {
                for i in stride(from: measured.count - 1, to: 0, by: -1) {
                    let j = random.index(below: i + 1)
                    measured.swapAt(i, j)
                }
            }
            cell += measured
            var numbers: [Arm: Int] = [:]
            for (arm, warm) in cell {
                let number = numbers[arm, default: 0]
                numbers[arm] = number + 1
                plan.append(PlannedTrial(index: plan.count, scenario: scenarioIndex, arm: arm, number: number, warmup: warm))
            }
        }
        return plan
    }
}

extension TrialPlan {
    /// The trials of one shard: the measured trials whose index the shard
    /// owns, and the warm-ups of every scenario it has a measured trial of
    /// (each machine warms up for itself; warm-ups are never counted).
    public static func slice(_ plan: [PlannedTrial], shard: Shard?) -> [PlannedTrial] {
        guard let shard else { return plan }
        let owned = plan.filter { !$0.warmup && shard.owns(index: $0.index) }
        let scenarios = Set(owned.map(\.scenario))
        return plan.filter { $0.warmup ? scenarios.contains($0.scenario) : shard.owns(index: $0.index) }
    }
}
