import Foundation
import Gate
import Results
import Testing

/// `Gate.compare` on fixture results: one case per exit code, and the rules
/// that decide between them (significant AND large, Holm, thresholds per
/// scenario, warm-ups, environments, partial runs).
@Suite("compare on fixture results")
struct CompareTests {
    typealias Cell = Fixture.Cell

    /// A suite of five fault scenarios and a control, with times drawn around 10 ms.
    static func suite(seed: UInt64, onErrors: [Int] = [1, 0, 2, 1, 0], n: Int = 20) -> [Cell] {
        var cells = (0..<5).map { k in
            Cell("p/fault-\(k)", offErrors: 15, onErrors: onErrors[k], n: n,
                 onTimes: Fixture.times(n, median: 0.010, seed: seed &* 31 &+ UInt64(k)))
        }
        cells.append(Cell("p/control", control: true, offErrors: 0, onErrors: 0, n: n,
                          onTimes: Fixture.times(n, median: 0.010, seed: seed &* 31 &+ 99)))
        return cells
    }

    @Test("the same run against itself: no change, exit 0")
    func identical() {
        let run = Fixture.run(Self.suite(seed: 1))
        let comparison = Gate.compare(run, baseline: run)
        #expect(comparison.verdict == .noChange)
        #expect(comparison.exitCode == 0)
        #expect(comparison.scenarios.count == 6)
        #expect(comparison.scenarios.allSatisfy { $0.verdict == .noChange })
    }

    @Test("A/A: 200 pairs of runs of the same executors, drawn independently: at most about 5% called a regression")
    func aaCalibration() {
        // Both sides draw errors and times from the same distributions. The
        // gate's families are Holm-corrected at 0.05, so at most about 5% of
        // pairs may show anything; with the size requirement, far fewer.
        var flagged = 0, regressions = 0
        for pair in 0..<200 {
            func side(_ s: UInt64) -> RunResult {
                let cells = (0..<6).map { k in
                    let seed = UInt64(pair) &* 1000 &+ s &* 100 &+ UInt64(k)
                    return Cell("p/s\(k)", offErrors: Fixture.binomial(25, 0.8, seed: seed), onErrors: Fixture.binomial(25, 0.1, seed: seed ^ 0xFF),
                                n: 25, onTimes: Fixture.times(25, median: 0.010, spread: 0.3, seed: seed ^ 0xABC))
                }
                return Fixture.run(cells)
            }
            let comparison = Gate.compare(side(2), baseline: side(1))
            #expect(comparison.verdict != .inconclusive, "pair \(pair): \(comparison.summary)")
            if comparison.verdict == .regression { regressions += 1 }
            if comparison.verdict != .noChange { flagged += 1 }
        }
        // At most 5% by construction: 10 expected at worst, 16 is 2.2
        // standard deviations above that.
        #expect(regressions <= 16, "\(regressions) of 200 A/A pairs were called a regression")
        #expect(flagged <= 32, "\(flagged) of 200 A/A pairs were flagged either way")
    }

    @Test("a planted error regression in one scenario: exit 2, naming it and only it")
    func errorRegression() throws {
        let baseline = Fixture.run(Self.suite(seed: 1))
        let result = Fixture.run(Self.suite(seed: 2, onErrors: [1, 12, 2, 1, 0]))
        let comparison = Gate.compare(result, baseline: baseline)
        #expect(comparison.verdict == .regression)
        #expect(comparison.exitCode == 2)
        let regressed = comparison.scenarios.filter { $0.verdict == .regression }
        #expect(regressed.map(\.id) == ["p/fault-1"])
        let errors = try #require(regressed.first?.errors)
        #expect(errors.measure == "prevention-drop")
        #expect(try #require(errors.pWorseHolm) < 0.05)
        #expect(try #require(errors.worsening) > 0.5)
        #expect(regressed.first!.reasons.contains { $0.hasPrefix("Errors regressed") })
        #expect(comparison.summary.first == "Regression in p/fault-1.")
    }

    @Test("significant but small is not a regression; a scenario's own prevention-drop makes it one")
    func significantButSmall() throws {
        // 2000 trials: 5% against 10% errors on is highly significant, but
        // prevention drops by only about 5 points (threshold 10).
        let base = Cell("p/big", offErrors: 2000, onErrors: 100, n: 2000)
        let now = Cell("p/big", offErrors: 2000, onErrors: 200, n: 2000)
        let comparison = Gate.compare(Fixture.run([now]), baseline: Fixture.run([base]))
        let scenario = try #require(comparison.scenarios.first)
        #expect(try #require(scenario.errors?.pWorseHolm) < 1e-6)
        #expect(scenario.verdict == .noChange, "\(scenario.reasons)")
        #expect(scenario.reasons.first?.contains("within the threshold") == true)

        var strict = now
        strict.thresholds = Thresholds(preventionDrop: 0.02)
        let tight = Gate.compare(Fixture.run([strict]), baseline: Fixture.run([base]))
        #expect(tight.verdict == .regression)
        #expect(tight.scenarios.first?.errors?.threshold == 0.02)
    }

    @Test("large but not significant is not a regression")
    func largeButNotSignificant() throws {
        // 0/5 against 2/5 on: a 40-point drop, but Fisher p = 0.22.
        let comparison = Gate.compare(Fixture.run([Cell("p/small", offErrors: 5, onErrors: 2, n: 5)]),
                                      baseline: Fixture.run([Cell("p/small", offErrors: 5, onErrors: 0, n: 5)]))
        let scenario = try #require(comparison.scenarios.first)
        #expect(try #require(scenario.errors?.worsening) > 0.39)
        #expect(scenario.verdict == .noChange)
        #expect(comparison.exitCode == 0)
    }

    @Test("Holm: a p-value below 0.05 alone is not a regression among ten scenarios")
    func holmCorrection() throws {
        // 1/12 against 7/12 on: one-sided Fisher p ≈ 0.014, large; nine other scenarios unchanged.
        var baseCells = (0..<9).map { Cell("p/flat-\($0)", offErrors: 12, onErrors: 1, n: 12) }
        var nowCells = baseCells
        baseCells.append(Cell("p/edge", offErrors: 12, onErrors: 1, n: 12))
        nowCells.append(Cell("p/edge", offErrors: 12, onErrors: 7, n: 12))
        let comparison = Gate.compare(Fixture.run(nowCells), baseline: Fixture.run(baseCells))
        let edge = try #require(comparison.scenarios.first { $0.id == "p/edge" })
        let raw = try #require(edge.errors?.pWorse), adjusted = try #require(edge.errors?.pWorseHolm)
        #expect(raw < 0.05 && adjusted > 0.05, "raw \(raw), Holm \(adjusted)")
        #expect(edge.verdict == .noChange)
        // Alone (its error and time tests the only family members), the same scenario is a regression.
        let alone = Gate.compare(Fixture.run([nowCells.last!]), baseline: Fixture.run([baseCells.last!]))
        #expect(alone.verdict == .regression)
    }

    @Test("a time regression: the on arm 20% slower, significantly: exit 2; 3% slower is noise; time-worse 1% catches it")
    func timeRegression() throws {
        let base = Cell("p/t", offErrors: 20, onErrors: 0, n: 20, onTimes: Fixture.times(20, median: 0.010, spread: 0.02, seed: 1))
        var slow = base
        slow.onTimes = Fixture.times(20, median: 0.012, spread: 0.02, seed: 2)
        let comparison = Gate.compare(Fixture.run([slow]), baseline: Fixture.run([base]))
        #expect(comparison.exitCode == 2)
        let time = try #require(comparison.scenarios.first?.time)
        #expect(try #require(time.change) > 0.15)
        #expect(comparison.scenarios.first?.reasons.contains { $0.hasPrefix("Time regressed") } == true)

        var slightly = base
        slightly.onTimes = Fixture.times(20, median: 0.0103, spread: 0.005, seed: 3)
        var steady = base
        steady.onTimes = Fixture.times(20, median: 0.010, spread: 0.005, seed: 4)
        let noise = Gate.compare(Fixture.run([slightly]), baseline: Fixture.run([steady]))
        #expect(try #require(noise.scenarios.first?.time?.pSlowerHolm) < 0.05)
        #expect(noise.exitCode == 0, "\(noise.scenarios.first!.reasons)")
        slightly.thresholds = Thresholds(timeWorse: 0.01)
        let strict = Gate.compare(Fixture.run([slightly]), baseline: Fixture.run([steady]))
        #expect(strict.exitCode == 2)
    }

    @Test("a machine 40% slower for both arms is no regression (times relative to the off arm); raw seconds would call it one")
    func busierMachine() throws {
        let base = Cell("p/t", offErrors: 20, onErrors: 0, n: 20, onTimes: Fixture.times(20, median: 0.010, spread: 0.05, seed: 1),
                        offTimes: Fixture.times(20, median: 0.008, spread: 0.05, seed: 2))
        let busy = Cell("p/t", offErrors: 20, onErrors: 0, n: 20, onTimes: Fixture.times(20, median: 0.014, spread: 0.05, seed: 3),
                        offTimes: Fixture.times(20, median: 0.0112, spread: 0.05, seed: 4))
        let relative = Gate.compare(Fixture.run([busy]), baseline: Fixture.run([base]))
        #expect(relative.exitCode == 0, "\(relative.scenarios.first!.reasons)")
        let time = try #require(relative.scenarios.first?.time)
        #expect(time.basis == .relativeToOffArm)
        #expect(try #require(time.resultMedian) / #require(time.baselineMedian) > 1.3)
        #expect(abs(try #require(time.change)) < 0.05)
        var raw = GateOptions()
        raw.timeBasis = .raw
        #expect(Gate.compare(Fixture.run([busy]), baseline: Fixture.run([base]), options: raw).exitCode == 2)

        // The pattern itself 40% slower while the off arm is unchanged: a regression on either basis.
        var slower = base
        slower.onTimes = Fixture.times(20, median: 0.014, spread: 0.05, seed: 5)
        #expect(Gate.compare(Fixture.run([slower]), baseline: Fixture.run([base])).exitCode == 2)
    }

    @Test("improvement only: exit 4")
    func improvement() {
        let baseline = Fixture.run([Cell("p/a", offErrors: 20, onErrors: 14, n: 20), Cell("p/b", offErrors: 20, onErrors: 1, n: 20)])
        let result = Fixture.run([Cell("p/a", offErrors: 20, onErrors: 0, n: 20), Cell("p/b", offErrors: 20, onErrors: 1, n: 20)])
        let comparison = Gate.compare(result, baseline: baseline)
        #expect(comparison.verdict == .improvement)
        #expect(comparison.exitCode == 4)
        #expect(comparison.scenarios.map(\.verdict) == [.improvement, .noChange])
        // And the other way round, the same change is a regression.
        #expect(Gate.compare(baseline, baseline: result).exitCode == 2)
    }

    @Test("inconclusive: too few trials, a fault that did not bite, a scenario on one side only: exit 3")
    func inconclusive() {
        let few = Gate.compare(Fixture.run([Cell("p/a", offErrors: 3, onErrors: 0, n: 3)]),
                               baseline: Fixture.run([Cell("p/a", offErrors: 3, onErrors: 0, n: 3)]))
        #expect(few.exitCode == 3)
        #expect(few.scenarios.first?.reasons.first?.hasPrefix("Too few counted trials") == true)

        let bite = Gate.compare(Fixture.run([Cell("p/a", offErrors: 0, onErrors: 0, n: 20)]),
                                baseline: Fixture.run([Cell("p/a", offErrors: 0, onErrors: 0, n: 20)]))
        #expect(bite.exitCode == 3)
        #expect(bite.scenarios.first?.reasons.first?.contains("did not bite in either run") == true)
        // A control never "does not bite".
        let control = Gate.compare(Fixture.run([Cell("p/c", control: true, offErrors: 0, onErrors: 0, n: 20)]),
                                   baseline: Fixture.run([Cell("p/c", control: true, offErrors: 0, onErrors: 0, n: 20)]))
        #expect(control.exitCode == 0)

        // A scenario present on one side only is an environment difference;
        // compared anyway with --allow-env-change, it is inconclusive.
        var options = GateOptions()
        options.allowEnvironmentChange = true
        let one = Gate.compare(Fixture.run([Cell("p/a", offErrors: 20, onErrors: 0, n: 20), Cell("p/new", offErrors: 20, onErrors: 0, n: 20)]),
                               baseline: Fixture.run([Cell("p/a", offErrors: 20, onErrors: 0, n: 20)]), options: options)
        #expect(one.exitCode == 3)
        #expect(one.scenarios.first { $0.id == "p/new" }?.reasons == ["The scenario is in the result only, so there is nothing to compare it with."])
    }

    @Test("a regression outranks an inconclusive scenario")
    func regressionOutranksInconclusive() {
        let baseline = Fixture.run([Cell("p/a", offErrors: 20, onErrors: 0, n: 20), Cell("p/b", offErrors: 0, onErrors: 0, n: 20)])
        let result = Fixture.run([Cell("p/a", offErrors: 20, onErrors: 15, n: 20), Cell("p/b", offErrors: 0, onErrors: 0, n: 20)])
        #expect(Gate.compare(result, baseline: baseline).exitCode == 2)
    }

    @Test("a partial run is said to be partial and is inconclusive, even when it shows a regression")
    func partial() {
        let baseline = Fixture.run([Cell("p/a", offErrors: 20, onErrors: 0, n: 20)])
        let result = Fixture.run([Cell("p/a", offErrors: 20, onErrors: 15, n: 20)], complete: false)
        let comparison = Gate.compare(result, baseline: baseline)
        #expect(comparison.exitCode == 3)
        #expect(comparison.summary.contains { $0.hasPrefix("The result is a partial (interrupted) run") })
        #expect(comparison.summary.contains { $0.contains("show a regression in p/a") })
    }

    @Test("another environment is not compared: each difference is named, exit 3; --allow-env-change compares")
    func environment() {
        var other = Fixture.environment
        other.kernel = "Linux 6.9.0-other"
        other.cpuCount = 4
        other.mountOptions = ["--control", "--seed", "77", "--exit-with-parent"]  // the seed alone is no difference
        other.gitCommit = "def"  // nor is the commit under test
        let baseline = Fixture.run([Cell("p/a", offErrors: 20, onErrors: 0, n: 20)])
        let result = Fixture.run([Cell("p/a", offErrors: 20, onErrors: 15, n: 20)], environment: other)
        let comparison = Gate.compare(result, baseline: baseline)
        #expect(comparison.exitCode == 3)
        #expect(!comparison.compared && comparison.scenarios.isEmpty)
        #expect(comparison.environmentDifferences == [
            "kernel: 'Linux 6.1.0-test' in the baseline, 'Linux 6.9.0-other' in the result",
            "CPU count: '2' in the baseline, '4' in the result",
        ])
        var options = GateOptions()
        options.allowEnvironmentChange = true
        #expect(Gate.compare(result, baseline: baseline, options: options).exitCode == 2)

        // A scenario file that changed is a difference too.
        var edited = Fixture.run([Cell("p/a", offErrors: 20, onErrors: 0, n: 20)])
        edited.scenarios[0].sha256 = String(repeating: "b", count: 64)
        let changed = Gate.compare(edited, baseline: baseline)
        #expect(changed.exitCode == 3)
        #expect(changed.environmentDifferences.first?.hasPrefix("scenario p/a: its file changed") == true)
    }

    @Test("warm-up trials never count, however many errors they show")
    func warmups() {
        let baseline = Fixture.run([Cell("p/a", offErrors: 20, onErrors: 0, n: 20)])
        let result = Fixture.run([Cell("p/a", offErrors: 20, onErrors: 0, n: 20, warmups: 30)])
        let comparison = Gate.compare(result, baseline: baseline)
        #expect(comparison.exitCode == 0)
        #expect(comparison.scenarios.first?.errors?.resultOn == ErrorCount(errors: 0, n: 20))
    }

    @Test("extreme numbers: 50,000 trials, times of 1e-300 and 1e300 seconds: a verdict, and JSON that encodes")
    func extremes() throws {
        let huge = Gate.compare(Fixture.run([Cell("p/a", offErrors: 50_000, onErrors: 10, n: 50_000)]),
                                baseline: Fixture.run([Cell("p/a", offErrors: 50_000, onErrors: 0, n: 50_000)]))
        #expect(huge.exitCode == 0, "10 more errors in 50,000 is significant but tiny")
        let tiny = Array(repeating: 1e-300, count: 10), vast = Array(repeating: 1e300, count: 10)
        for (a, b) in [(tiny, vast), (vast, tiny)] {
            let comparison = Gate.compare(Fixture.run([Cell("p/a", offErrors: 10, onErrors: 0, n: 10, onTimes: a, offTimes: a)]),
                                          baseline: Fixture.run([Cell("p/a", offErrors: 10, onErrors: 0, n: 10, onTimes: b, offTimes: tiny)]))
            _ = try JSONEncoder().encode(comparison)
            _ = comparison.plainText(baselineName: "b", resultName: "r")
        }
    }

    @Test("the comparison round-trips through JSON and its plain text names the verdict and exit code")
    func codable() throws {
        let comparison = Gate.compare(Fixture.run([Cell("p/a", offErrors: 20, onErrors: 15, n: 20)]),
                                      baseline: Fixture.run([Cell("p/a", offErrors: 20, onErrors: 0, n: 20)]))
        let data = try JSONEncoder().encode(comparison)
        #expect(try JSONDecoder().decode(Comparison.self, from: data) == comparison)
        let text = comparison.plainText(baselineName: "b.json", resultName: "r.json")
        #expect(text.hasPrefix("faultbench compare: REGRESSION (exit 2)"))
        #expect(text.contains("p/a") && text.contains("Errors regressed"))
    }
}
