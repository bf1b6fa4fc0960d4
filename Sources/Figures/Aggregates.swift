import Determinism
import Foundation
import Results

/// A set of scenarios combined with one weight, in the geometric means of
/// time ratios: one pattern in the weighted suite, one scenario when pooled.
struct RatioGroup {
    var weight: Double
    var members: [String]
}

extension Figures {
    // MARK: Time ratios over several scenarios

    /// The weighted geometric mean over groups of the mean log ratio
    /// median(numerator arm)/median(denominator arm) of each group's
    /// scenarios, with a percentile bootstrap that resamples every cell
    /// independently (a stratified bootstrap).
    ///
    /// A geometric mean, because ratios multiply: a 2× speedup and a 2×
    /// slowdown should average to 1, not 1.25.
    static func geometricRatio(groups: [RatioGroup], offIsNumerator: Bool, label: String,
                               _ context: AggregateContext) -> Estimate? {
        // Keep only scenarios with times in both arms, and groups left with any.
        var samples: [[Double]] = []
        var slots: [String: Int] = [:]
        var kept: [(weight: Double, slots: [Int])] = []
        for group in groups where group.weight > 0 {
            var groupSlots: [Int] = []
            for id in group.members {
                guard let cell = context.cells[id], !cell.off.isEmpty, !cell.on.isEmpty else { continue }
                if slots[id] == nil {
                    slots[id] = samples.count
                    let off = cell.off.map(\.seconds), on = cell.on.map(\.seconds)
                    samples.append(offIsNumerator ? off : on)
                    samples.append(offIsNumerator ? on : off)
                }
                groupSlots.append(slots[id]!)
            }
            if !groupSlots.isEmpty { kept.append((group.weight, groupSlots)) }
        }
        guard !kept.isEmpty else { return nil }
        let totalWeight = kept.reduce(0) { $0 + $1.weight }
        let seed = SplitMix64.derive(seed: context.run.seed, label: label)
        return bootstrap(samples: samples, resamples: context.resamples, seed: seed,
                         method: "geometric mean of ratios of medians, percentile-bootstrap, every cell resampled independently") { s in
            var logSum = 0.0
            for group in kept {
                var groupLog = 0.0
                for slot in group.slots {
                    guard let top = median(s[slot]), let bottom = median(s[slot + 1]), top > 0, bottom > 0
                    else { return nil }
                    groupLog += log(top / bottom)
                }
                logSum += group.weight / totalWeight * groupLog / Double(group.slots.count)
            }
            return exp(logSum)
        }
    }

    /// The weighted geometric mean of the scenarios' modelled speedups (a model, no interval).
    static func geometricModelled(groups: [RatioGroup], figures: [String: ScenarioFigures]) -> Double? {
        var logSum = 0.0, totalWeight = 0.0
        for group in groups where group.weight > 0 {
            let logs = group.members.compactMap { figures[$0]?.modelledSpeedup }.filter { $0 > 0 }.map(log)
            guard !logs.isEmpty else { continue }
            logSum += group.weight * logs.reduce(0, +) / Double(logs.count)
            totalWeight += group.weight
        }
        return totalWeight > 0 ? exp(logSum / totalWeight) : nil
    }

    // MARK: Pooled counts

    /// Figures over fault and control scenarios with their error counts
    /// pooled: every counted trial weighs the same.
    static func pooled(fault: [ScenarioFigures], controls: [ScenarioFigures], label: String,
                       _ context: AggregateContext) -> AggregateFigures {
        func sum(_ arm: KeyPath<PerArm<ArmFigures>, ArmFigures>, _ value: (ArmFigures) -> Int) -> Int {
            fault.reduce(0) { $0 + value($1.arms[keyPath: arm]) }
        }
        let nOff = sum(\.off, \.n), nOn = sum(\.on, \.n)
        let errorsOff = sum(\.off, \.errors), errorsOn = sum(\.on, \.errors)
        let successOff = sum(\.off, \.outcomes.success), successOn = sum(\.on, \.outcomes.success)
        var rates: PerArm<Estimate>?
        if let off = wilson(successes: errorsOff, n: nOff), let on = wilson(successes: errorsOn, n: nOn) {
            rates = PerArm(off: off, on: on)
        }
        var successRate: PerArm<Double>?
        if nOff > 0, nOn > 0 {
            successRate = PerArm(off: Double(successOff) / Double(nOff), on: Double(successOn) / Double(nOn))
        }
        let singles = fault.map { RatioGroup(weight: 1, members: [$0.id]) }
        let controlSingles = controls.map { RatioGroup(weight: 1, members: [$0.id]) }
        let byID = Dictionary(fault.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return AggregateFigures(
            method: "pooled: error counts summed over the fault scenarios; time ratios as an unweighted geometric mean over scenarios",
            scenarios: fault.map(\.id), n: PerArm(off: Double(nOff), on: Double(nOn)), errorRate: rates,
            successRate: successRate,
            prevention: prevention(errorsOn: errorsOn, nOn: nOn, errorsOff: errorsOff, nOff: nOff),
            speedup: geometricRatio(groups: singles, offIsNumerator: true, label: label + ":speedup", context),
            controlCost: geometricRatio(groups: controlSingles, offIsNumerator: false, label: label + ":cost", context),
            modelledSpeedup: geometricModelled(groups: singles, figures: byID))
    }

    // MARK: Patterns

    static func patternFigures(_ pattern: String, run: RunResult, figures: [String: ScenarioFigures],
                               _ context: AggregateContext) -> PatternFigures {
        let listing = run.scenarios.filter { $0.patterns.contains(pattern) }.compactMap { figures[$0.id] }
        let fault = listing.filter { !$0.control }
        return PatternFigures(
            id: pattern, share: run.failureMix.shares[pattern], weight: nil, scenarios: listing.map(\.id),
            didNotBite: fault.filter(\.faultDidNotBite).map(\.id),
            pooled: pooled(fault: fault, controls: listing.filter(\.control), label: "pattern:" + pattern, context))
    }
}
