import Foundation
import Results

extension Figures {
    /// The method string stored with every prevention interval.
    public static let preventionMethod =
        "koopman-score: asymptotic score interval of the risk ratio rate(on)/rate(off) (Koopman 1984), prevention = 1 - RR"

    /// Error prevention, 1 − rate(on)/rate(off), with the interval from
    /// Koopman's (1984) asymptotic score interval for the risk ratio
    /// RR = (a/n₁)/(c/n₀) (a errors of n₁ trials on, c of n₀ off).
    ///
    /// The interval is every θ that Pearson's score test of RR = θ does not
    /// reject: (a/n₁ − θ·c/n₀)² / (p̃₁(1−p̃₁)/n₁ + θ²·p̃₀(1−p̃₀)/n₀) ≤ z², where
    /// p̃₀ and p̃₁ = θ·p̃₀ are the maximum-likelihood rates under RR = θ
    /// (Miettinen & Nurminen 1985, the root of a quadratic). Prevention's
    /// interval is [1 − θ_upper, 1 − θ_lower].
    ///
    /// Chosen over the Katz log interval because an arm with the patterns on
    /// often has no error: Katz then needs a continuity correction and comes
    /// out far wider than the evidence (0 of 20 against 10 of 20: Katz with
    /// 0.5 added gives prevention ≥ 24%, the score interval ≥ 67%, in line
    /// with Fisher's exact p = 0.0002). The score interval needs no
    /// correction: with no error on, θ_lower is 0 and prevention's upper end
    /// is exactly 1. Fagerland, Lydersen & Laake (2015) recommend it.
    ///
    /// Counts may be fractional: the weighted figures pass effective counts.
    ///
    /// - Returns: nil when an arm is empty or the off arm shows no error:
    ///   then there is nothing to prevent, and the fault did not bite.
    public static func prevention(errorsOn: Double, nOn: Double, errorsOff: Double, nOff: Double,
                                  z: Double = z95) -> Estimate? {
        guard nOn > 0, nOff > 0, errorsOff > 0 else { return nil }
        precondition(errorsOn >= 0 && errorsOn <= nOn && errorsOff <= nOff, "prevention: counts must be in 0...n")
        let ratio = (errorsOn / nOn) / (errorsOff / nOff)
        let statistic = { (theta: Double) in
            koopmanStatistic(errorsOn, nOn, errorsOff, nOff, theta: theta)
        }
        let critical = z * z
        // Below the estimate (none when there is no error on: RR can be 0).
        let lower = errorsOn == 0 ? 0 : scoreBound(from: ratio, outward: -1, critical: critical, statistic)
        let upper = scoreBound(from: ratio, outward: 1, critical: critical, statistic)
        // The upper θ is finite whenever the off arm has an error; the guard
        // keeps a non-finite number out of the JSON all the same.
        guard upper.isFinite else { return nil }
        return Estimate(estimate: 1 - ratio, lower: 1 - upper, upper: 1 - lower, method: preventionMethod)
    }

    /// `prevention(errorsOn:nOn:errorsOff:nOff:z:)` for whole counts.
    public static func prevention(errorsOn: Int, nOn: Int, errorsOff: Int, nOff: Int,
                                  z: Double = z95) -> Estimate? {
        prevention(errorsOn: Double(errorsOn), nOn: Double(nOn), errorsOff: Double(errorsOff),
                   nOff: Double(nOff), z: z)
    }

    /// Koopman's score statistic of RR = θ, for x₁ of n₁ (on) against x₂ of n₂ (off).
    static func koopmanStatistic(_ x1: Double, _ n1: Double, _ x2: Double, _ n2: Double, theta: Double) -> Double {
        // The likelihood under p₁ = θ·p₂ is maximal at the smaller root of
        // N·θ·p² − (n₁θ + x₁ + n₂ + x₂θ)·p + (x₁ + x₂) = 0.
        let a = (n1 + n2) * theta
        let b = -(n1 * theta + x1 + n2 + x2 * theta)
        let c = x1 + x2
        // Written as 2c/(−b + √(b² − 4ac)), equal to (−b − √…)/(2a) but
        // without its cancellation when θ (so a) is tiny.
        let root = 2 * c / (-b + Swift.max(0, b * b - 4 * a * c).squareRoot())
        // Clamp rounding back into the feasible range p₂ ≤ min(1, 1/θ).
        let p2 = Swift.min(Swift.max(root, 0), Swift.min(1, 1 / theta))
        let p1 = Swift.min(theta * p2, 1)
        let difference = x1 / n1 - theta * x2 / n2
        let variance = p1 * (1 - p1) / n1 + theta * theta * p2 * (1 - p2) / n2
        guard variance > 0 else {
            // Every trial an error in both arms: only θ where the rates agree fits.
            return abs(difference) < 1e-12 ? 0 : .infinity
        }
        return difference * difference / variance
    }

    /// The θ where the score statistic crosses `critical`, searched from the
    /// estimate outward on the log scale (the statistic is 0 at the estimate
    /// and grows on each side): first a bracket by doubling steps, then
    /// bisection to full precision.
    static func scoreBound(from estimate: Double, outward direction: Double, critical: Double,
                           _ statistic: (Double) -> Double) -> Double {
        // With no error on the estimate is 0; start from a tiny ratio instead,
        // where the statistic is still ~0.
        var inside = estimate > 0 ? log(estimate) : -40
        var step = 0.5
        var outside = inside + direction * step
        while statistic(exp(outside)) <= critical {
            inside = outside
            step *= 2
            outside = inside + direction * step
            if abs(outside) > 700 { return direction > 0 ? .infinity : 0 }
        }
        for _ in 0..<200 {
            let middle = (inside + outside) / 2
            if middle == inside || middle == outside { break }
            if statistic(exp(middle)) <= critical { inside = middle } else { outside = middle }
        }
        return exp((inside + outside) / 2)
    }
}
