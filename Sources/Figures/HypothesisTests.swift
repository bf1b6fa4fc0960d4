import Foundation

/// The direction of a one-sided test.
public enum Alternative: String, Codable, Sendable, Hashable {
    /// The first group's value tends to be larger.
    case greater
    /// The first group's value tends to be smaller.
    case less
}

extension Figures {
    /// ln(n!), through lgamma, so that tables of thousands of trials do not
    /// overflow the way a factorial would.
    static func logFactorial(_ n: Int) -> Double {
        lgamma(Double(n) + 1)
    }

    /// ln C(n, k).
    static func logChoose(_ n: Int, _ k: Int) -> Double {
        logFactorial(n) - logFactorial(k) - logFactorial(n - k)
    }

    /// Fisher's exact test, one-sided, of the 2×2 table
    ///
    ///     a b      (row 1: e.g. errors and non-errors of the off arm)
    ///     c d      (row 2: the same for the on arm)
    ///
    /// Conditional on the margins, a follows the hypergeometric distribution;
    /// `.greater` gives P(A ≥ a) (row 1 has relatively more of column 1,
    /// the odds ratio is above 1), `.less` gives P(A ≤ a). This is what
    /// `scipy.stats.fisher_exact(table, alternative=...)` returns.
    ///
    /// - Returns: the p-value, in [0, 1].
    public static func fisherExact(a: Int, b: Int, c: Int, d: Int, alternative: Alternative) -> Double {
        precondition(a >= 0 && b >= 0 && c >= 0 && d >= 0, "fisherExact: counts must not be negative")
        let row1 = a + b, column1 = a + c, n = a + b + c + d
        let lowest = Swift.max(0, column1 - (n - row1))
        let highest = Swift.min(row1, column1)
        let logDenominator = logChoose(n, column1)
        func probability(_ x: Int) -> Double {
            exp(logChoose(row1, x) + logChoose(n - row1, column1 - x) - logDenominator)
        }
        let range = alternative == .greater ? a...highest : lowest...a
        // Summed smallest first is not needed at these sizes; the tail is
        // at most a few thousand terms, each exact to ~1e-15 relative.
        let p = range.reduce(0) { $0 + probability($1) }
        return Swift.min(1, p)
    }

    /// The result of a Mann–Whitney U test.
    public struct MannWhitneyResult: Sendable, Hashable {
        /// U of the first sample: the number of pairs (x, y) with x > y, ties counting ½.
        public var u: Double
        public var p: Double
        /// `exact` or `normal` (with tie and continuity correction).
        public var method: String
    }

    /// The Mann–Whitney U test (Wilcoxon rank-sum), one-sided.
    ///
    /// `.greater` tests whether values of `x` tend to be larger than those of
    /// `y` (for times: the off arm slower than the on arm). Without ties and
    /// with at most 40 values in all, the p-value is exact, from the count of
    /// rank arrangements (Mann & Whitney 1947's recursion). Otherwise it uses
    /// the normal approximation with the tie-corrected variance
    /// n₁n₂/12·((N+1) − Σ(t³ − t)/(N(N − 1))) and a continuity correction of
    /// ½, which is what `scipy.stats.mannwhitneyu(..., method="asymptotic")`
    /// computes.
    ///
    /// - Returns: nil when a sample is empty.
    public static func mannWhitney(_ x: [Double], _ y: [Double], alternative: Alternative) -> MannWhitneyResult? {
        guard !x.isEmpty, !y.isEmpty else { return nil }
        let n1 = x.count, n2 = y.count, n = n1 + n2
        let (ranks, tieGroups) = midranks(x + y)
        let rankSumX = ranks[0..<n1].reduce(0, +)
        let u = rankSumX - Double(n1 * (n1 + 1)) / 2
        // The test is always on the upper tail of the statistic that the
        // alternative makes large: U for `.greater`, n₁n₂ − U for `.less`.
        let tailU = alternative == .greater ? u : Double(n1 * n2) - u
        if tieGroups.isEmpty && n <= 40 {
            return MannWhitneyResult(u: u, p: exactUpperTail(u: Int(tailU), n1: n1, n2: n2), method: "exact")
        }
        let mean = Double(n1 * n2) / 2
        let tieSum = tieGroups.reduce(0.0) { $0 + Double($1 * $1 * $1 - $1) }
        let variance = Double(n1 * n2) / 12 * (Double(n + 1) - tieSum / Double(n * (n - 1)))
        guard variance > 0 else {
            // Every value tied: no evidence either way.
            return MannWhitneyResult(u: u, p: 1, method: "normal")
        }
        let z = (tailU - mean - 0.5) / variance.squareRoot()
        return MannWhitneyResult(u: u, p: normalUpperTail(z), method: "normal")
    }

    /// Ranks from 1 with ties given their mean rank, and the sizes of the
    /// groups of tied values (only groups of 2 or more).
    static func midranks(_ values: [Double]) -> ([Double], [Int]) {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var ties: [Int] = []
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            let rank = Double(start + end) / 2 + 1
            for k in start...end { ranks[order[k]] = rank }
            if end > start { ties.append(end - start + 1) }
            start = end + 1
        }
        return (ranks, ties)
    }

    /// P(U ≥ u) under the null hypothesis, without ties: the number of
    /// arrangements of n₁ x's and n₂ y's with U ≥ u, over C(n₁ + n₂, n₁).
    /// The counts follow f(i, j, u) = f(i − 1, j, u − j) + f(i, j − 1, u):
    /// the largest value is either an x (beating all j y's) or a y.
    static func exactUpperTail(u: Int, n1: Int, n2: Int) -> Double {
        let maxU = n1 * n2
        guard u > 0 else { return 1 }
        guard u <= maxU else { return 0 }
        // counts[j][v] for the current i; Doubles hold C(40, 20) ≈ 1.4e11 exactly.
        var previous = [[Double]](repeating: [], count: n2 + 1)
        for j in 0...n2 { previous[j] = [1] } // i = 0: one arrangement, U = 0
        if n1 > 0 {
            for i in 1...n1 {
                var current = [[Double]](repeating: [], count: n2 + 1)
                current[0] = [1] // j = 0: U = 0
                if n2 > 0 {
                    for j in 1...n2 {
                        var row = [Double](repeating: 0, count: i * j + 1)
                        for (v, count) in previous[j].enumerated() { row[v + j] += count }
                        for (v, count) in current[j - 1].enumerated() { row[v] += count }
                        current[j] = row
                    }
                }
                previous = current
            }
        }
        let distribution = previous[n2]
        let total = distribution.reduce(0, +)
        return distribution[u...].reduce(0, +) / total
    }

    /// P(Z > z) for a standard normal Z, through erfc so it stays accurate
    /// far into the tail.
    public static func normalUpperTail(_ z: Double) -> Double {
        0.5 * erfc(z / 2.0.squareRoot())
    }

    /// Holm's step-down adjustment (Holm 1979) of p-values tested together,
    /// which controls the family-wise error rate without assuming the tests
    /// are independent.
    ///
    /// Sorted ascending, the i-th smallest p (from 0) becomes
    /// max over j ≤ i of min(1, (m − j)·p₍ⱼ₎).
    ///
    /// - Returns: the adjusted p-values, in the order given.
    public static func holm(_ pValues: [Double]) -> [Double] {
        let m = pValues.count
        let order = pValues.indices.sorted { pValues[$0] < pValues[$1] }
        var adjusted = [Double](repeating: 0, count: m)
        var running = 0.0
        for (rank, index) in order.enumerated() {
            running = Swift.max(running, Swift.min(1, Double(m - rank) * pValues[index]))
            adjusted[index] = running
        }
        return adjusted
    }
}
