import Testing
@testable import Figures
import Results

/// Whether two numbers agree to `tolerance` (absolute).
func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
    guard let a else { return false }
    return abs(a - b) <= tolerance
}

@Suite struct WilsonTests {
    /// Newcombe (1998), Statistics in Medicine 17:857, table I, method 3
    /// (the Wilson score interval without continuity correction), to the
    /// four decimals published; the extremes 0/10 and 10/10 against the
    /// closed form, which scipy's `binomtest(...).proportion_ci("wilson")`
    /// reproduces.
    @Test(arguments: [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
    ])
    func publishedIntervals(x: Int, n: Int, lower: Double, upper: Double) throws {
        let interval = try #require(Figures.wilson(successes: x, n: n))
        #expect(close(interval.estimate, Double(x) / Double(n)))
        #expect(close(interval.lower, lower, 0.00005), "lower bound of \(x)/\(n): \(interval.lower)")
        #expect(close(interval.upper, upper, 0.00005), "upper bound of \(x)/\(n): \(interval.upper)")
        #expect(interval.method == "wilson")
    }

    @Test func fullPrecisionAgainstScipy() throws {
        // scipy.stats.binomtest(81, 263).proportion_ci(method="wilson")
        let interval = try #require(Figures.wilson(successes: 81, n: 263))
        #expect(close(interval.lower, 0.2552885198782742, 1e-12))
        #expect(close(interval.upper, 0.36620957698280004, 1e-12))
    }

    @Test func emptyArmHasNoInterval() {
        #expect(Figures.wilson(successes: 0, n: 0) == nil)
    }

    @Test func boundsStayInsideTheUnitInterval() throws {
        for n in [1, 2, 5, 1000] {
            for x in [0, n] {
                let interval = try #require(Figures.wilson(successes: x, n: n))
                #expect(interval.lower >= 0 && interval.upper <= 1)
                #expect(interval.lower <= interval.estimate && interval.estimate <= interval.upper)
            }
        }
    }
}

@Suite struct QuantileTests {
    /// NumPy's `percentile` (linear, type 7) of [3, 1, 4, 1, 5, 9, 2, 6].
    @Test(arguments: [(0.0, 1.0), (0.1, 1.0), (0.25, 1.75), (0.5, 3.5), (0.9, 6.9), (1.0, 9.0)])
    func typeSeven(p: Double, expected: Double) {
        #expect(close(Figures.percentile([3, 1, 4, 1, 5, 9, 2, 6], p), expected, 1e-12))
    }

    @Test func median() {
        #expect(Figures.median([3, 1, 2]) == 2)
        #expect(Figures.median([4, 1, 3, 2]) == 2.5)
        #expect(Figures.median([7]) == 7)
        #expect(Figures.median([]) == nil)
        #expect(Figures.percentile([], 0.9) == nil)
    }
}

@Suite struct FisherTests {
    /// Fisher's lady tasting tea: 3 of 4 milk-first cups named right, the
    /// one-sided p is (C(4,3)C(4,1) + C(4,4)C(4,0))/C(8,4) = 17/70.
    @Test func ladyTastingTea() {
        #expect(close(Figures.fisherExact(a: 3, b: 1, c: 1, d: 3, alternative: .greater), 17.0 / 70, 1e-12))
        #expect(close(Figures.fisherExact(a: 3, b: 1, c: 1, d: 3, alternative: .less), 69.0 / 70, 1e-12))
    }

    /// Against scipy.stats.fisher_exact(table, alternative=...).
    @Test func againstScipy() {
        #expect(close(Figures.fisherExact(a: 8, b: 2, c: 1, d: 5, alternative: .greater), 0.024475524475524483, 1e-12))
        #expect(close(Figures.fisherExact(a: 8, b: 2, c: 1, d: 5, alternative: .less), 0.9991258741258742, 1e-12))
        #expect(close(Figures.fisherExact(a: 10, b: 10, c: 0, d: 20, alternative: .greater), 0.00021795989537925025, 1e-12))
        #expect(close(Figures.fisherExact(a: 300, b: 700, c: 250, d: 750, alternative: .greater), 0.007046695947166836, 1e-9))
    }

    @Test func degenerateTables() {
        #expect(Figures.fisherExact(a: 0, b: 0, c: 0, d: 0, alternative: .greater) == 1)
        #expect(close(Figures.fisherExact(a: 0, b: 20, c: 0, d: 20, alternative: .greater), 1))
    }
}

@Suite struct MannWhitneyTests {
    /// Wikipedia's tortoise and hare: finishing order T H H H H H T T T T T H,
    /// so the tortoises' places are 1, 7, 8, 9, 10, 11 and U_T = 25 (U_H = 11).
    /// p-values from scipy.stats.mannwhitneyu (exact, and asymptotic).
    @Test func tortoiseAndHare() throws {
        let tortoise: [Double] = [1, 7, 8, 9, 10, 11], hare: [Double] = [2, 3, 4, 5, 6, 12]
        let greater = try #require(Figures.mannWhitney(tortoise, hare, alternative: .greater))
        #expect(greater.u == 25)
        #expect(greater.method == "exact")
        #expect(close(greater.p, 0.15476190476190477, 1e-12))
        let less = try #require(Figures.mannWhitney(tortoise, hare, alternative: .less))
        #expect(close(less.p, 0.8798701298701299, 1e-12))
    }

    /// U = 17 of 20: 7 of the C(9, 4) = 126 arrangements reach it.
    @Test func exactSmallSample() throws {
        let result = try #require(Figures.mannWhitney([19, 22, 16, 29, 24], [20, 11, 17, 12], alternative: .greater))
        #expect(result.u == 17)
        #expect(close(result.p, 7.0 / 126, 1e-12))
    }

    /// Unequal sizes, and 40 values (the largest exact case), against
    /// scipy.stats.mannwhitneyu(..., method="exact").
    @Test func exactUnequalSizes() throws {
        let small = try #require(Figures.mannWhitney([0.5, 3.2, 7.7], [1.1, 1.9, 2.3, 2.8, 4.0, 4.4, 5.1, 5.6, 6.0, 6.5, 8.1, 9.9],
                                                     alternative: .less))
        #expect(small.u == 14 && small.method == "exact")
        #expect(close(small.p, 0.31648351648351647, 1e-12))
        let a: [Double] = [2.3796, 5.4423, 3.6996, 6.0392, 6.2572, 0.6553, 0.1317, 8.3747, 2.5935, 2.3433, 9.9564,
                           4.7026, 8.3646, 4.7635, 6.3907, 1.5062, 6.3486]
        let b: [Double] = [10.6805, 7.2318, 9.4125, 8.7141, 2.6403, 9.5823, 7.911, 5.0127, 2.3101, 10.6553, 6.7275,
                           9.1882, 10.7881, 9.1413, 11.211, 5.9496, 10.0091, 6.4462, 11.3559, 10.7887, 2.9745,
                           3.3597, 4.1699]
        let forty = try #require(Figures.mannWhitney(a, b, alternative: .less))
        #expect(forty.u == 89 && forty.method == "exact")
        #expect(close(forty.p, 0.0014868925389386724, 1e-12))
    }

    /// With ties the normal approximation with tie and continuity correction;
    /// scipy.stats.mannwhitneyu(..., method="asymptotic") gives U = 62.
    @Test func tiesUseTheCorrectedNormalApproximation() throws {
        let x: [Double] = [1, 2, 2, 3, 4, 4, 4, 5, 7, 8], y: [Double] = [0.5, 1, 1, 2, 3, 3, 4, 4.5, 5, 6]
        let greater = try #require(Figures.mannWhitney(x, y, alternative: .greater))
        #expect(greater.u == 62)
        #expect(greater.method == "normal")
        #expect(close(greater.p, 0.19026127990847957, 1e-12))
        let less = try #require(Figures.mannWhitney(x, y, alternative: .less))
        #expect(close(less.p, 0.8297528370174124, 1e-12))
    }

    /// Above 40 values the normal approximation; scipy gives 0.014926 (and 0.014519 exact).
    @Test func largeSamples() throws {
        let a: [Double] = [1.073, 0.308, 5.375, 0.366, 0.115, 1.8, 0.499, 0.551, 0.03, 0.764, 1.041, 0.231, 1.677,
                           0.209, 0.786, 0.129, 0.923, 0.462, 0.689, 2.649, 1.115, 0.899, 2.84, 2.031, 1.166]
        let b: [Double] = [0.829, 1.935, 0.658, 8.923, 0.736, 2.978, 2.402, 0.82, 2.301, 0.548, 1.856, 1.697, 0.559,
                           1.604, 4.256, 1.301, 1.066, 1.106, 1.666, 1.029, 0.768, 1.527, 1.942, 1.31, 2.741,
                           0.649, 0.845, 0.625, 0.526, 1.117]
        let result = try #require(Figures.mannWhitney(a, b, alternative: .less))
        #expect(result.u == 246)
        #expect(result.method == "normal")
        #expect(close(result.p, 0.014926080321894127, 1e-12))
    }

    @Test func allTiedOrEmpty() throws {
        #expect(Figures.mannWhitney([], [1], alternative: .greater) == nil)
        let tied = try #require(Figures.mannWhitney([1, 1, 1], [1, 1], alternative: .greater))
        #expect(tied.p == 1)
    }
}

@Suite struct HolmTests {
    /// Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → 0.06 (monotone).
    @Test func stepDown() {
        let adjusted = Figures.holm([0.01, 0.04, 0.03, 0.005])
        let expected = [0.03, 0.06, 0.06, 0.02]
        for (a, e) in zip(adjusted, expected) { #expect(close(a, e, 1e-12)) }
    }

    @Test func capsAtOneAndKeepsEmpty() {
        #expect(Figures.holm([0.5, 0.9]) == [1, 1])
        #expect(Figures.holm([]) == [])
        #expect(Figures.holm([0.02]) == [0.02])
    }
}
