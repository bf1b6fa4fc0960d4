import Testing
@testable import Figures
import Results

/// Large and lopsided inputs, where a factorial would overflow or a
/// cancellation would show; reference values from scipy and the closed forms.
@Suite struct ExtremeInputTests {
    @Test func fisherWithThousandsOfTrials() {
        // scipy.stats.fisher_exact([[2600, 2400], [2400, 2600]], alternative="greater")
        let p = Figures.fisherExact(a: 2600, b: 2400, c: 2400, d: 2600, alternative: .greater)
        #expect(abs(p - 3.438632197445924e-05) / 3.438632197445924e-05 < 1e-8)
        // scipy: [[0, 5000], [3, 4997]], "less" — the exact tail is 0.124962…
        let q = Figures.fisherExact(a: 0, b: 5000, c: 3, d: 4997, alternative: .less)
        #expect(close(q, 0.12496249624962497, 1e-10))
    }

    @Test func wilsonAtAMillion() throws {
        let low = try #require(Figures.wilson(successes: 1, n: 1_000_000))
        #expect(abs(low.lower - 1.7652457674537218e-07) / 1.7652457674537218e-07 < 1e-6)
        #expect(abs(low.upper - 5.664911804311443e-06) / 5.664911804311443e-06 < 1e-9)
        let high = try #require(Figures.wilson(successes: 999_999, n: 1_000_000))
        #expect(close(high.lower, 0.9999943350881957, 1e-12))
        #expect(close(high.upper, 0.9999998234754233, 1e-12))
    }

    /// Complete separation of 20 and 20: one arrangement in C(40, 20).
    @Test func mannWhitneyCompleteSeparation() throws {
        let result = try #require(Figures.mannWhitney((1...20).map(Double.init), (21...40).map(Double.init),
                                                      alternative: .less))
        #expect(result.u == 0)
        #expect(abs(result.p - 7.254444551924844e-12) / 7.254444551924844e-12 < 1e-9)
    }

    /// One trial per arm: the ratio is still defined, the interval collapses
    /// to it (there is nothing to resample), and nothing traps.
    @Test func bootstrapOfSingleValues() throws {
        let e = try #require(Figures.ratioOfMedians([2], [1], resamples: 50, seed: 3))
        #expect(e.estimate == 2 && e.lower == 2 && e.upper == 2)
    }

    @Test func preventionWithHugeCounts() throws {
        let p = try #require(Figures.prevention(errorsOn: 1, nOn: 1_000_000, errorsOff: 500_000, nOff: 1_000_000))
        #expect(close(p.estimate, 1 - 2e-6, 1e-12))
        #expect(close(p.lower, 0.9999886701684719, 1e-6) && p.upper <= 1)
    }
}
