import Foundation
import Results

extension Figures {
    /// The Wilson score interval for a binomial proportion (Wilson 1927;
    /// Newcombe 1998, method 3; recommended by Brown, Cai & DasGupta 2001).
    ///
    /// Chosen over the Wald interval because it stays inside [0, 1] and
    /// keeps its coverage at 0/n and n/n, which are common here: an arm
    /// with the patterns on often shows no error at all.
    ///
    /// - Parameters:
    ///   - successes: events counted (errors, for an error rate); a Double so
    ///     that effective (weighted) counts can use it too.
    ///   - n: trials; may be fractional for an effective sample size.
    ///   - z: the normal quantile; 1.96 for 95%.
    /// - Returns: the proportion and its interval, or nil when n is 0.
    public static func wilson(successes: Double, n: Double, z: Double = z95) -> Estimate? {
        guard n > 0 else { return nil }
        precondition(successes >= 0 && successes <= n, "wilson: successes must be in 0...n")
        let p = successes / n
        let z2 = z * z
        let denominator = 1 + z2 / n
        let centre = (p + z2 / (2 * n)) / denominator
        let half = z / denominator * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        // The score interval always contains p̂ and lies in [0, 1]; the
        // clamps only repair rounding, which at 0/n can put centre − half a
        // hair above 0 (so above the estimate) or below it.
        let lower = Swift.min(p, Swift.max(0, centre - half))
        let upper = Swift.max(p, Swift.min(1, centre + half))
        return Estimate(estimate: p, lower: lower, upper: upper, method: "wilson")
    }

    /// `wilson(successes:n:z:)` for whole counts.
    public static func wilson(successes: Int, n: Int, z: Double = z95) -> Estimate? {
        wilson(successes: Double(successes), n: Double(n), z: z)
    }
}
