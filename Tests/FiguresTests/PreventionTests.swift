import Determinism
import Foundation
import Testing
@testable import Figures
import Results

@Suite struct PreventionTests {
    /// Koopman's (1984) own example, 36 of 40 against 16 of 80: the score
    /// interval of the risk ratio is 2.94 to 7.15, so prevention (1 − RR)
    /// runs from −6.15 to −1.94.
    @Test func koopmansPublishedExample() throws {
        let p = try #require(Figures.prevention(errorsOn: 36, nOn: 40, errorsOff: 16, nOff: 80))
        #expect(close(p.estimate, -3.5, 1e-12))
        #expect(close(1 - p.upper, 2.94, 0.005), "RR lower \(1 - p.upper)")
        #expect(close(1 - p.lower, 7.15, 0.005), "RR upper \(1 - p.lower)")
        #expect(p.method.hasPrefix("koopman-score"))
    }

    /// Against an independent Python derivation: the restricted maximum
    /// likelihood found numerically (scipy minimize_scalar, not the
    /// quadratic), Pearson's chi-square, and brentq for the crossings.
    @Test(arguments: [
        (2, 20, 10, 20, 0.3235750539562251, 0.947101288633273),
        (1, 10, 6, 10, 0.2041244377885727, 0.9714480881531578),
        (1, 30, 11, 30, 0.5108580415343644, 0.9844952380529016),
        (10, 20, 2, 20, -17.904052026042514, -0.478360622521131),
        (1, 1_000_000, 500_000, 1_000_000, 0.9999886701684719, 0.9999996469510962),
    ])
    func againstNumericDerivation(on: Int, nOn: Int, off: Int, nOff: Int, lower: Double, upper: Double) throws {
        let p = try #require(Figures.prevention(errorsOn: on, nOn: nOn, errorsOff: off, nOff: nOff))
        #expect(close(p.estimate, 1 - (Double(on) / Double(nOn)) / (Double(off) / Double(nOff)), 1e-12))
        #expect(close(p.lower, lower, 1e-6 * max(1, abs(lower))), "lower \(p.lower)")
        #expect(close(p.upper, upper, 1e-6), "upper \(p.upper)")
    }

    /// No error on: the estimate is 1 and so is the interval's upper end,
    /// with no continuity correction; 0 of 20 against 10 of 20 gives ≥ 66.8%
    /// (Katz with 0.5 added would give ≥ 24%, far below what Fisher's exact
    /// p = 0.0002 says).
    @Test func zeroErrorsOn() throws {
        let p = try #require(Figures.prevention(errorsOn: 0, nOn: 20, errorsOff: 10, nOff: 20))
        #expect(p.estimate == 1 && p.upper == 1)
        #expect(close(p.lower, 0.6678231550086661, 1e-6))
        let small = try #require(Figures.prevention(errorsOn: 0, nOn: 10, errorsOff: 5, nOff: 10))
        #expect(close(small.lower, 0.3871394161161823, 1e-6))
    }

    /// Nothing to prevent: no error off (the fault did not bite), or an empty arm.
    @Test func undefinedCases() {
        #expect(Figures.prevention(errorsOn: 0, nOn: 20, errorsOff: 0, nOff: 20) == nil)
        #expect(Figures.prevention(errorsOn: 3, nOn: 20, errorsOff: 0, nOff: 20) == nil)
        #expect(Figures.prevention(errorsOn: 0, nOn: 0, errorsOff: 5, nOff: 20) == nil)
        #expect(Figures.prevention(errorsOn: 0, nOn: 20, errorsOff: 0, nOff: 0) == nil)
    }

    /// Every trial an error in both arms: no prevention, and a finite
    /// interval around 0 instead of a collapse or an infinity.
    @Test func allErrorsBothArms() throws {
        let p = try #require(Figures.prevention(errorsOn: 20, nOn: 20, errorsOff: 20, nOff: 20))
        #expect(p.estimate == 0)
        #expect(p.lower < 0 && p.upper > 0)
        #expect(p.lower.isFinite && p.upper.isFinite)
    }

    /// The interval always contains the estimate, over a grid of tables.
    @Test func intervalContainsTheEstimate() throws {
        for nOn in [1, 5, 20] {
            for nOff in [1, 7, 20] {
                for on in 0...nOn {
                    for off in 1...nOff {
                        let p = try #require(Figures.prevention(errorsOn: on, nOn: nOn, errorsOff: off, nOff: nOff))
                        #expect(p.lower <= p.estimate && p.estimate <= p.upper && p.upper <= 1,
                                "\(on)/\(nOn) vs \(off)/\(nOff): \(p)")
                        #expect(p.lower.isFinite)
                    }
                }
            }
        }
    }
}

@Suite struct ModelledTimeTests {
    /// t = 10 s, q = 0.5, two reruns at 60 s: 10 + 0.5·70 + 0.25·70 = 62.5 s,
    /// and one chance in 8 that the last rerun fails too.
    @Test func handWorked() {
        let m = Figures.modelledTime(medianSeconds: 10, failureRate: 0.5, policy: RerunPolicy(max: 2, recoveryCost: 60))
        #expect(close(m.expectedSeconds, 62.5, 1e-12))
        #expect(close(m.unresolvedProbability, 0.125, 1e-12))
        #expect(m.label == "model")
    }

    @Test func neverFailingOrNoReruns() {
        let perfect = Figures.modelledTime(medianSeconds: 3, failureRate: 0, policy: RerunPolicy(max: 3, recoveryCost: 120))
        #expect(perfect.expectedSeconds == 3 && perfect.unresolvedProbability == 0)
        let none = Figures.modelledTime(medianSeconds: 3, failureRate: 1, policy: RerunPolicy(max: 0, recoveryCost: 120))
        #expect(none.expectedSeconds == 3 && none.unresolvedProbability == 1)
    }
}

@Suite struct BootstrapTests {
    let off: [Double] = [0.031, 0.029, 0.035, 0.040, 0.027, 0.033, 0.038, 0.030]
    let on: [Double] = [0.012, 0.015, 0.011, 0.019, 0.013, 0.014, 0.016]

    /// The interval is reproducible, and equal to an independent Python
    /// implementation of the same procedure (SplitMix64, Lemire's index,
    /// type-7 percentiles) on seed 42: 2.2857 in [1.875, 2.91667].
    @Test func reproducibleOnAFixedSeed() throws {
        let first = try #require(Figures.ratioOfMedians(off, on, resamples: 2000, seed: 42))
        let second = try #require(Figures.ratioOfMedians(off, on, resamples: 2000, seed: 42))
        #expect(first == second)
        #expect(close(first.estimate, 0.032 / 0.014, 1e-12))
        #expect(close(first.lower, 1.875, 1e-12))
        #expect(close(first.upper, 2.916666666666667, 1e-12))
        let other = try #require(Figures.ratioOfMedians(off, on, resamples: 2000, seed: 43))
        #expect(other.lower != first.lower || other.upper != first.upper)
    }

    /// A standard normal draw from the generator (Box–Muller), for synthetic data.
    static func normal(_ g: inout SplitMix64) -> Double {
        let u1 = (Double(g.next() >> 11) + 1) / 9_007_199_254_740_992 // in (0, 1], so log is finite
        let u2 = Double(g.next() >> 11) / 9_007_199_254_740_992
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// Log-normal times with medians 0.02 s (off) and 0.01 s (on): the true
    /// ratio is 2. Over 40 synthetic data sets the 95% interval must cover
    /// it in most (at least 34; the binomial sd of the count is ~1.4), and
    /// must not be so wide that covering is trivial.
    @Test func coversTheTrueRatio() throws {
        var g = SplitMix64(seed: 7)
        var covered = 0
        for set in 0..<40 {
            let off = (0..<30).map { _ in 0.02 * exp(0.3 * Self.normal(&g)) }
            let on = (0..<30).map { _ in 0.01 * exp(0.3 * Self.normal(&g)) }
            let e = try #require(Figures.ratioOfMedians(off, on, resamples: 1000, seed: UInt64(set)))
            if e.lower <= 2 && 2 <= e.upper { covered += 1 }
            #expect(e.upper / e.lower < 1.8, "interval \(e.lower)...\(e.upper) is too wide for n = 30")
        }
        #expect(covered >= 34, "covered \(covered) of 40")
    }

    @Test func undefinedRatios() {
        #expect(Figures.ratioOfMedians([], on, seed: 1) == nil)
        #expect(Figures.ratioOfMedians(off, [0, 0, 0], seed: 1) == nil)
    }

    @Test func derivedSeedsDifferByLabelAndAreStable() {
        let a = SplitMix64.derive(seed: 1, label: "exec-004/disk-full")
        #expect(a == SplitMix64.derive(seed: 1, label: "exec-004/disk-full"))
        #expect(a != SplitMix64.derive(seed: 1, label: "exec-004/disk-ful"))
        #expect(a != SplitMix64.derive(seed: 2, label: "exec-004/disk-full"))
    }
}
