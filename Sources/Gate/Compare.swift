import ExecutorContract
import Figures
import Foundation
import Results

extension Gate {
    /// Judges `result` against `baseline`.
    ///
    /// A scenario regresses only when a change is both significant and large:
    /// - errors: a one-sided Fisher exact test of the pattern-on arm's error
    ///   rate at `alpha`, Holm-corrected (below),
    ///   together with a drop in prevention larger than the scenario's
    ///   `prevention-drop` threshold (where either side has no prevention, a
    ///   control or a fault that bit on one side only, the rise of the on
    ///   arm's error rate is held against the same threshold);
    /// - times: a one-sided Mann–Whitney U test of the on arm's wall times at
    ///   `alpha`, Holm-corrected, together with a median more than the
    ///   scenario's `time-worse` (default 5%) slower. By default each on-arm
    ///   time is divided by its own run's off-arm median first
    ///   (`TimeBasis.relativeToOffArm`): the pattern's time against ordinary
    ///   code measured at the same moments, so that a busier machine during
    ///   one of the two runs is not a regression; `.raw` compares seconds.
    ///
    /// Holm's correction runs over every test that could declare a regression
    /// (each scenario's error test and time test together), so noise alone
    /// fails a job with a chance of at most `alpha`; the same for improvements.
    ///
    /// Improvement is the same in the other direction. Warm-up trials never count.
    /// When the environments' fingerprints differ and
    /// `options.allowEnvironmentChange` is false, nothing is compared.
    public static func compare(_ result: RunResult, baseline: RunResult, options: GateOptions = GateOptions()) -> Comparison {
        let differences = Fingerprint(result).differences(from: Fingerprint(baseline))
        var summary: [String] = []
        if !differences.isEmpty {
            guard options.allowEnvironmentChange else {
                summary.append("Not comparable: the environments differ (\(differences.joined(separator: "; "))). Compare results from the same kind of machine and the same scenario files, or pass --allow-env-change to compare anyway.")
                return Comparison(verdict: .inconclusive, summary: summary, baseline: RunSummary(baseline),
                                  result: RunSummary(result), environmentDifferences: differences, compared: false,
                                  options: options, scenarios: [])
            }
            summary.append("The environments differ and --allow-env-change was given, so they are compared anyway: \(differences.joined(separator: "; ")).")
        }
        for (name, run) in [("baseline", baseline), ("result", result)] {
            if !run.complete {
                let counted = run.trials.count
                summary.append("The \(name) is a partial (interrupted) run: it holds \(counted) trial\(counted == 1 ? "" : "s") and not every planned one ran, so the comparison is inconclusive; finish it with faultbench run --resume.")
            }
            if let shard = run.options.shard {
                summary.append("The \(name) is shard \(shard) of its run: only that slice of its trials is compared; merge the shards first (faultbench merge) to compare the whole run.")
            }
        }
        if baseline.options.jobs != result.options.jobs {
            summary.append("Trials ran \(baseline.options.jobs) at a time in the baseline and \(result.options.jobs) in the result; times may differ for that reason alone.")
        }

        let inputs = scenarioInputs(result: result, baseline: baseline, options: options)
        let scenarios = judge(inputs, options: options)

        var verdict = scenarios.map(\.verdict).max() ?? .noChange
        let regressed = scenarios.filter { $0.verdict == .regression }.map(\.id)
        if !baseline.complete || !result.complete {
            if !regressed.isEmpty {
                summary.append("Even so, the trials that ran show a regression in \(regressed.joined(separator: ", ")).")
            }
            verdict = .inconclusive
        }
        summary.insert(overallSentence(verdict, scenarios), at: 0)
        return Comparison(verdict: verdict, summary: summary, baseline: RunSummary(baseline), result: RunSummary(result),
                          environmentDifferences: differences, compared: true, options: options, scenarios: scenarios)
    }

    static func overallSentence(_ verdict: Verdict, _ scenarios: [ScenarioComparison]) -> String {
        func ids(_ v: Verdict) -> String { scenarios.filter { $0.verdict == v }.map(\.id).joined(separator: ", ") }
        switch verdict {
        case .regression: return "Regression in \(ids(.regression))."
        case .inconclusive:
            let which = ids(.inconclusive)
            return which.isEmpty ? "Inconclusive." : "Inconclusive: \(which) could not be judged."
        case .improvement: return "Improvement in \(ids(.improvement)), and no regression."
        case .noChange: return "No significant and large change in \(scenarios.count) scenario\(scenarios.count == 1 ? "" : "s")."
        }
    }

    // MARK: One scenario on both sides

    /// The counted trials of one scenario in one run.
    struct Cells {
        var off: ErrorCount
        var on: ErrorCount
        var onTimes: [Double]
        var offTimes: [Double]
        var control: Bool

        init(_ trials: [TrialRecord], control: Bool) {
            let counted = trials.filter { !$0.warmup }
            let off = counted.filter { $0.arm == .off }, on = counted.filter { $0.arm == .on }
            self.off = ErrorCount(errors: off.filter { $0.outcome.isError }.count, n: off.count)
            self.on = ErrorCount(errors: on.filter { $0.outcome.isError }.count, n: on.count)
            self.onTimes = on.map(\.seconds)
            self.offTimes = off.map(\.seconds)
            self.control = control
        }

        /// A fault scenario whose off arm ran and shows no error.
        var didNotBite: Bool { !control && off.n > 0 && off.errors == 0 }

        var prevention: Double? {
            guard !control else { return nil }
            return Figures.prevention(errorsOn: on.errors, nOn: on.n, errorsOff: off.errors, nOff: off.n)?.estimate
        }
    }

    struct ScenarioInput {
        var id: String
        var control: Bool
        var baseline: Cells?
        var result: Cells?
        var preventionDrop: Double
        var timeWorse: Double
    }

    /// Every scenario of either side, the result's order first; thresholds
    /// from the result's scenario file (the one under review), else the baseline's.
    static func scenarioInputs(result: RunResult, baseline: RunResult, options: GateOptions) -> [ScenarioInput] {
        let resultTrials = Dictionary(grouping: result.trials, by: \.scenario)
        let baselineTrials = Dictionary(grouping: baseline.trials, by: \.scenario)
        let baselineRecords = Dictionary(baseline.scenarios.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let resultIDs = Set(result.scenarios.map(\.id))
        var inputs: [ScenarioInput] = []
        for record in result.scenarios + baseline.scenarios.filter({ !resultIDs.contains($0.id) }) {
            guard !inputs.contains(where: { $0.id == record.id }) else { continue }
            let inResult = resultIDs.contains(record.id)
            let baseRecord = baselineRecords[record.id]
            let thresholds = (inResult ? record.thresholds : nil) ?? baseRecord?.thresholds
            inputs.append(ScenarioInput(
                id: record.id, control: record.control,
                baseline: baseRecord.map { Cells(baselineTrials[record.id] ?? [], control: $0.control) },
                result: inResult ? Cells(resultTrials[record.id] ?? [], control: record.control) : nil,
                preventionDrop: thresholds?.preventionDrop ?? options.preventionDrop,
                timeWorse: thresholds?.timeWorse ?? options.timeWorse))
        }
        return inputs
    }

    /// The tests of every scenario that has enough trials on both sides,
    /// Holm-adjusted per family (errors worse, errors better, slower, faster),
    /// then each scenario's verdict.
    static func judge(_ inputs: [ScenarioInput], options: GateOptions) -> [ScenarioComparison] {
        var errors: [ErrorComparison?] = Array(repeating: nil, count: inputs.count)
        var times: [TimeComparison?] = Array(repeating: nil, count: inputs.count)
        var tested: [Int] = []
        for (k, input) in inputs.enumerated() {
            guard let base = input.baseline, let now = input.result else { continue }
            var error = ErrorComparison(
                baselineOn: base.on, resultOn: now.on, baselineOff: base.off, resultOff: now.off,
                baselinePrevention: base.prevention, resultPrevention: now.prevention, threshold: input.preventionDrop)
            if let old = error.baselinePrevention, let new = error.resultPrevention {
                error.worsening = old - new
                error.measure = "prevention-drop"
            } else if let old = base.on.rate, let new = now.on.rate {
                error.worsening = new - old
                error.measure = "on-error-rate-rise"
            }
            var time = TimeComparison(threshold: input.timeWorse, basis: options.timeBasis)
            time.baselineMedian = Figures.median(base.onTimes)
            time.resultMedian = Figures.median(now.onTimes)
            time.baselineOffMedian = Figures.median(base.offTimes)
            time.resultOffMedian = Figures.median(now.offTimes)
            // Relative to the off arm: each on-arm time over its own run's
            // off-arm median, so a machine that is slower or busier for both
            // arms alike (the arms' trials are interleaved) moves nothing.
            var baseTimes = base.onTimes, nowTimes = now.onTimes
            if options.timeBasis == .relativeToOffArm {
                if let old = time.baselineOffMedian, let new = time.resultOffMedian, old > 0, new > 0 {
                    baseTimes = baseTimes.map { $0 / old }
                    nowTimes = nowTimes.map { $0 / new }
                } else {
                    baseTimes = []
                    nowTimes = []
                }
            }
            if let old = Figures.median(baseTimes), let new = Figures.median(nowTimes), old > 0, (new / old).isFinite {
                // Not finite only for absurd hand-edited times; then there is no change to report (and JSON could not carry it).
                time.change = new / old - 1
            }
            if base.on.n >= options.minimumTrials && now.on.n >= options.minimumTrials {
                tested.append(k)
                error.pWorse = Figures.fisherExact(a: now.on.errors, b: now.on.n - now.on.errors,
                                                   c: base.on.errors, d: base.on.n - base.on.errors, alternative: .greater)
                error.pBetter = Figures.fisherExact(a: now.on.errors, b: now.on.n - now.on.errors,
                                                    c: base.on.errors, d: base.on.n - base.on.errors, alternative: .less)
                let slower = Figures.mannWhitney(nowTimes, baseTimes, alternative: .greater)
                let faster = Figures.mannWhitney(nowTimes, baseTimes, alternative: .less)
                time.pSlower = slower?.p
                time.pFaster = faster?.p
                time.method = slower?.method
            }
            errors[k] = error
            times[k] = time
        }
        // Holm over one family per direction: every scenario's error test and
        // time test that could worsen are adjusted together, so noise alone
        // fails a job (exit 2) with a chance of at most alpha, whatever the
        // number of scenarios; improvements likewise.
        func adjust(_ family: [(get: (Int) -> Double?, set: (Int, Double) -> Void)]) {
            var members: [(Int, Int, Double)] = []
            for (f, member) in family.enumerated() {
                for k in tested { if let p = member.get(k) { members.append((f, k, p)) } }
            }
            for (member, p) in zip(members, Figures.holm(members.map(\.2))) { family[member.0].set(member.1, p) }
        }
        adjust([({ errors[$0]?.pWorse }, { errors[$0]?.pWorseHolm = $1 }), ({ times[$0]?.pSlower }, { times[$0]?.pSlowerHolm = $1 })])
        adjust([({ errors[$0]?.pBetter }, { errors[$0]?.pBetterHolm = $1 }), ({ times[$0]?.pFaster }, { times[$0]?.pFasterHolm = $1 })])

        return inputs.enumerated().map { k, input in
            verdict(input, errors[k], times[k], options: options)
        }
    }

    static func verdict(_ input: ScenarioInput, _ error: ErrorComparison?, _ time: TimeComparison?,
                        options: GateOptions) -> ScenarioComparison {
        func done(_ verdict: Verdict, _ reasons: [String]) -> ScenarioComparison {
            ScenarioComparison(id: input.id, control: input.control, verdict: verdict, reasons: reasons, errors: error, time: time)
        }
        guard let base = input.baseline, let now = input.result, let error, let time else {
            let side = input.baseline == nil ? "the result" : "the baseline"
            return done(.inconclusive, ["The scenario is in \(side) only, so there is nothing to compare it with."])
        }
        guard base.on.n >= options.minimumTrials, now.on.n >= options.minimumTrials else {
            return done(.inconclusive, ["Too few counted trials: the pattern-on arm has \(base.on.n) in the baseline and \(now.on.n) in the result; the gate needs at least \(options.minimumTrials) on each side (raise --trials)."])
        }
        let alpha = options.alpha
        var reasons: [String] = []
        var worse = false, better = false

        // Errors.
        let counts = "errors of the pattern-on arm \(base.on.errors)/\(base.on.n) in the baseline, \(now.on.errors)/\(now.on.n) in the result"
        let size = error.worsening ?? 0
        let measureText = error.measure == "prevention-drop"
            ? "prevention \(percent(error.baselinePrevention)) to \(percent(error.resultPrevention))"
            : "on-arm error rate \(percent(base.on.rate)) to \(percent(now.on.rate))"
        if let p = error.pWorseHolm, p < alpha, size > error.threshold {
            worse = true
            reasons.append("Errors regressed: \(counts) (one-sided Fisher p = \(format(error.pWorse)), Holm \(format(p)) < \(format(alpha))), and \(measureText) is worse by \(points(size)), more than the threshold of \(points(error.threshold)).")
        } else if let p = error.pBetterHolm, p < alpha, -size > error.threshold {
            better = true
            reasons.append("Errors improved: \(counts) (one-sided Fisher p = \(format(error.pBetter)), Holm \(format(p)) < \(format(alpha))), and \(measureText) is better by \(points(-size)), more than the threshold of \(points(error.threshold)).")
        } else {
            let p = min(error.pWorseHolm ?? 1, error.pBetterHolm ?? 1)
            let why = p < alpha ? "significant, but \(measureText) moved by \(points(abs(size))), within the threshold of \(points(error.threshold))"
                                : "not significant (Holm-adjusted Fisher p = \(format(p)))"
            reasons.append("Errors unchanged: \(counts); \(why).")
        }

        // Times.
        var medians = "median time of the pattern-on arm \(seconds(time.baselineMedian)) in the baseline, \(seconds(time.resultMedian)) in the result"
        if time.basis == .relativeToOffArm {
            medians += " (\(ratio(time.baselineMedian, time.baselineOffMedian)) and \(ratio(time.resultMedian, time.resultOffMedian)) of the pattern-off arm's)"
        }
        let change = time.change ?? 0
        if let p = time.pSlowerHolm, p < alpha, change > time.threshold {
            worse = true
            reasons.append("Time regressed: \(medians), \(signedPercent(change)) (one-sided Mann-Whitney p = \(format(time.pSlower)), Holm \(format(p)) < \(format(alpha))), more than the threshold of \(signedPercent(time.threshold)).")
        } else if let p = time.pFasterHolm, p < alpha, -change > time.threshold {
            better = true
            reasons.append("Time improved: \(medians), \(signedPercent(change)) (one-sided Mann-Whitney p = \(format(time.pFaster)), Holm \(format(p)) < \(format(alpha))).")
        } else {
            let p = min(time.pSlowerHolm ?? 1, time.pFasterHolm ?? 1)
            let why = p < alpha ? "significant, but a change of \(signedPercent(change)) is within the threshold of \(signedPercent(time.threshold))"
                                : "not significant (Holm-adjusted Mann-Whitney p = \(format(p)))"
            reasons.append("Time unchanged: \(medians); \(why).")
        }

        if worse { return done(.regression, reasons) }
        if base.didNotBite || now.didNotBite {
            let where_ = base.didNotBite && now.didNotBite ? "in either run" : (base.didNotBite ? "in the baseline" : "in the result")
            reasons.insert("The fault did not bite \(where_) (no error in the pattern-off arm), so prevention cannot be compared.", at: 0)
            return done(.inconclusive, reasons)
        }
        return done(better ? .improvement : .noChange, reasons)
    }

    // MARK: Numbers in sentences

    static func format(_ p: Double?) -> String {
        guard let p else { return "n/a" }
        if p == 0 { return "0" }
        if p < 0.0001 { return String(format: "%.1e", p) }
        return String(format: "%.4g", p)
    }

    static func percent(_ value: Double?) -> String {
        guard let value else { return "n/a" }
        return String(format: "%.0f%%", value * 100)
    }

    static func signedPercent(_ value: Double) -> String {
        String(format: "%+.1f%%", value * 100)
    }

    static func ratio(_ on: Double?, _ off: Double?) -> String {
        guard let on, let off, off > 0 else { return "n/a" }
        return String(format: "%.2fx", on / off)
    }

    static func points(_ value: Double) -> String {
        String(format: "%.0f percentage points", value * 100)
    }

    static func seconds(_ value: Double?) -> String {
        guard let value else { return "n/a" }
        return value < 1 ? String(format: "%.1f ms", value * 1000) : String(format: "%.3f s", value)
    }
}
