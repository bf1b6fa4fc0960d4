import Determinism
import Foundation
import Testing
@testable import Figures
import Results

/// An A/A run (the same executor for both arms) must show no significant
/// prevention and a speedup interval containing 1 (issue 8, targets). These
/// check that the intervals hold their 95% on synthetic A/A data, drawn from
/// fixed seeds so the outcome is the same on every run.
@Suite struct CalibrationTests {
    /// 400 A/A tables, each arm 20 trials at a 30% error rate: the
    /// prevention interval must contain 0 in about 95% of them. The
    /// binomial sd of the count is ~4.4, so at least 360 (90%) is a check
    /// that a badly anti-conservative interval fails, and at most 399 one
    /// that an interval wide enough to always cover fails too.
    @Test func preventionCoversZeroUnderTheNull() throws {
        var g = SplitMix64(seed: 2024)
        var covered = 0, defined = 0
        for _ in 0..<400 {
            let off = (0..<20).filter { _ in Double(g.next() >> 11) / 9_007_199_254_740_992 < 0.3 }.count
            let on = (0..<20).filter { _ in Double(g.next() >> 11) / 9_007_199_254_740_992 < 0.3 }.count
            guard let p = Figures.prevention(errorsOn: on, nOn: 20, errorsOff: off, nOff: 20) else { continue }
            defined += 1
            if p.lower <= 0 && 0 <= p.upper { covered += 1 }
        }
        #expect(defined >= 395)
        #expect(Double(covered) >= 0.9 * Double(defined), "covered \(covered) of \(defined)")
        #expect(covered < defined, "an interval that never misses is too wide to mean anything")
    }

    /// 60 A/A time samples (log-normal, 20 per arm): the speedup interval
    /// must contain 1 in most (at least 51; the sd of the count is ~1.7).
    @Test func speedupCoversOneUnderTheNull() throws {
        var g = SplitMix64(seed: 77)
        var covered = 0
        for set in 0..<60 {
            let off = (0..<20).map { _ in 0.01 * exp(0.25 * BootstrapTests.normal(&g)) }
            let on = (0..<20).map { _ in 0.01 * exp(0.25 * BootstrapTests.normal(&g)) }
            let e = try #require(Figures.ratioOfMedians(off, on, resamples: 1000, seed: UInt64(set)))
            if e.lower <= 1 && 1 <= e.upper { covered += 1 }
        }
        #expect(covered >= 51, "covered \(covered) of 60")
    }
}
