import Foundation
import Results

extension Figures {
    /// Where the seed's own numbers (../shared/seed/patterns-facts.md,
    /// section 3) do not add up, for the claims the figures check. Reports
    /// show these beside the figures, so nobody reads the seed's claims or
    /// its shares as better founded than they are.
    public static let seedNotes = [
        "The seed's taxonomy shares add up to 105% and its counts to at least 97, more than the 92 failures it analysed; with file-not-found (38%) EXEC-002 alone would claim 22 + 38 + 3 = 63%.",
        "The seed counts log lines 78-127 both as a missing tool (EXEC-003) and as a silent exit-0 failure (PATTERN-002), so those two shares overlap.",
        "The seed's 3-10x speedup does not follow from its own session times: 40 min cut to 15-20 min is 2-2.7x, and its savings per session (86-190 min) exceed the 40-min session.",
    ]

    /// Notes that hold only when the weights are the seed's shares.
    public static let seedMixNotes = [
        "The seed's per-pattern shares (EXEC-001 7%, EXEC-002 22%, EXEC-003 16%, EXEC-004 2%, PATTERN-001 4%, PATTERN-002 16%) add up to only 67%, and PATTERN-003 has none.",
    ]

    /// Weights of the measured patterns: their shares in the mix normalised
    /// to add up to 1 over the measured patterns that have a positive share.
    /// Patterns measured without a share are returned as `unweighted`.
    public static func mixWeights(_ mix: FailureMix, measured: [String]) -> (weights: [String: Double], unweighted: [String]) {
        let shared = measured.filter { (mix.shares[$0] ?? 0) > 0 }
        let total = shared.reduce(0) { $0 + mix.shares[$1]! }
        var weights: [String: Double] = [:]
        for pattern in shared { weights[pattern] = mix.shares[pattern]! / total }
        return (weights, measured.filter { weights[$0] == nil }.sorted())
    }

    /// The suite: pooled over every scenario, and weighted by the failure mix.
    static func suiteFigures(run: RunResult, scenarios: [ScenarioFigures], patterns: [PatternFigures],
                             _ context: AggregateContext) -> SuiteFigures {
        let fault = scenarios.filter { !$0.control }
        let pooledAll = pooled(fault: fault, controls: scenarios.filter(\.control), label: "suite", context)
        let measured = patterns.filter { $0.pooled.n.off > 0 && $0.pooled.n.on > 0 }.map(\.id)
        let (weights, unweighted) = mixWeights(run.failureMix, measured: measured)
        let weightedFigures = weighted(patterns: patterns.filter { weights[$0.id] != nil }, weights: weights,
                                       scenarios: scenarios, context)
        return SuiteFigures(mixSource: run.failureMix.source, weights: weights, unweighted: unweighted,
                            pooled: pooledAll, weighted: weightedFigures,
                            notes: documentNotes(run)
                                + mixNotes(run.failureMix, measured: measured, weights: weights, unweighted: unweighted)
                                + (run.failureMix.source == FailureMix.seed.source ? seedMixNotes : []) + seedNotes)
    }

    /// Sentences about trials the figures leave out, so none vanish unseen.
    static func documentNotes(_ run: RunResult) -> [String] {
        let known = Set(run.scenarios.map(\.id))
        let orphans = run.trials.filter { !known.contains($0.scenario) }
        guard !orphans.isEmpty else { return [] }
        let names = Set(orphans.map(\.scenario)).sorted().joined(separator: ", ")
        return ["\(orphans.count) trial(s) name a scenario the document does not list (\(names)); they are not counted."]
    }

    /// Sentences about this run's mix: what it adds up to, what is left out.
    static func mixNotes(_ mix: FailureMix, measured: [String], weights: [String: Double],
                         unweighted: [String]) -> [String] {
        var notes: [String] = []
        let total = mix.shares.values.reduce(0, +)
        notes.append(String(format: "The failure mix (%@) adds up to %.0f%%; weights are its shares normalised over the %d measured pattern(s) that have one.",
                            mix.source, total * 100, weights.count))
        if !unweighted.isEmpty {
            notes.append("Measured but without a share in the mix, so left out of the weighted figures and reported unweighted only: \(unweighted.joined(separator: ", ")).")
        }
        let missing = mix.shares.keys.filter { !measured.contains($0) && mix.shares[$0]! > 0 }.sorted()
        if !missing.isEmpty {
            notes.append("Patterns with a share but no measured fault scenario, left out of the weights: \(missing.joined(separator: ", ")).")
        }
        return notes
    }

    /// The failure-mix weighted figures.
    ///
    /// Error rates: R = Σ w_p·r_p over the patterns' pooled rates. Their
    /// intervals are Wilson intervals at the Kish effective sample size
    /// n_eff = 1/Σ(w_p²/n_p) (the n whose binomial variance matches that of
    /// R), so they behave at zero errors as Wilson does. Prevention is the
    /// Koopman score interval on the effective counts R·n_eff of n_eff per arm.
    /// Time ratios are weighted geometric means (see `geometricRatio`).
    static func weighted(patterns: [PatternFigures], weights: [String: Double], scenarios: [ScenarioFigures],
                         _ context: AggregateContext) -> AggregateFigures? {
        guard !patterns.isEmpty else { return nil }
        var rate = PerArm(off: 0.0, on: 0.0), inverseN = PerArm(off: 0.0, on: 0.0), success = PerArm(off: 0.0, on: 0.0)
        for pattern in patterns {
            let w = weights[pattern.id]!
            let pooled = pattern.pooled
            guard let rates = pooled.errorRate, let successes = pooled.successRate else { continue }
            rate.off += w * rates.off.estimate
            rate.on += w * rates.on.estimate
            success.off += w * successes.off
            success.on += w * successes.on
            inverseN.off += w * w / pooled.n.off
            inverseN.on += w * w / pooled.n.on
        }
        let n = PerArm(off: 1 / inverseN.off, on: 1 / inverseN.on)
        var rates: PerArm<Estimate>?
        if var off = wilson(successes: rate.off * n.off, n: n.off), var on = wilson(successes: rate.on * n.on, n: n.on) {
            off.method = "wilson at the Kish effective n"
            on.method = off.method
            rates = PerArm(off: off, on: on)
        }
        var weightedPrevention = prevention(errorsOn: rate.on * n.on, nOn: n.on, errorsOff: rate.off * n.off,
                                            nOff: n.off)
        weightedPrevention?.method = preventionMethod + ", on Kish effective counts"
        let byID = Dictionary(scenarios.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let faultGroups = patterns.map {
            RatioGroup(weight: weights[$0.id]!, members: $0.scenarios.filter { !(byID[$0]?.control ?? true) })
        }
        let controlGroups = patterns.map {
            RatioGroup(weight: weights[$0.id]!, members: $0.scenarios.filter { byID[$0]?.control ?? false })
        }
        return AggregateFigures(
            method: "weighted by the failure mix over the patterns' pooled figures",
            scenarios: Array(Set(faultGroups.flatMap(\.members))).sorted(), n: n, errorRate: rates,
            successRate: success, prevention: weightedPrevention,
            speedup: geometricRatio(groups: faultGroups, offIsNumerator: true, label: "suite-weighted:speedup", context),
            controlCost: geometricRatio(groups: controlGroups, offIsNumerator: false, label: "suite-weighted:cost", context),
            modelledSpeedup: geometricModelled(groups: faultGroups, figures: byID))
    }
}
