import Foundation
import Results

extension Figures {
    /// The method string stored with every prevention interval.
    public static let preventionMethod =
        "katz-log: 95% interval of the risk ratio on the log scale; 0.5 added to every cell of the 2x2 table only when a cell is 0; widened to contain the estimate"

    /// Error prevention, 1 − rate(on)/rate(off), with an interval from the
    /// Katz log interval on the risk ratio (Katz et al. 1978).
    ///
    /// RR = (a/n₁)/(c/n₀), with a errors of n₁ trials on and c of n₀ off;
    /// ln RR ± z·√(1/a − 1/n₁ + 1/c − 1/n₀), and prevention = 1 − RR, so its
    /// interval is [1 − RR_upper, 1 − RR_lower].
    ///
    /// At a zero error count the standard error is infinite (and at zero
    /// non-errors in both arms it is 0), so then, and only then, 0.5 is added
    /// to every cell of the 2×2 table (Haldane–Anscombe):
    /// a → a + 0.5, n₁ → n₁ + 1, likewise off. The point estimate always uses
    /// the raw counts; with no error on it is 1, which the corrected interval
    /// (shrunk towards the middle) would exclude, so the interval is widened
    /// to contain the estimate — a conservative step that only ever widens.
    ///
    /// - Returns: nil when an arm is empty or the off arm shows no error:
    ///   then there is nothing to prevent, and the fault did not bite.
    public static func prevention(errorsOn: Double, nOn: Double, errorsOff: Double, nOff: Double,
                                  z: Double = z95) -> Estimate? {
        guard nOn > 0, nOff > 0, errorsOff > 0 else { return nil }
        let estimate = 1 - (errorsOn / nOn) / (errorsOff / nOff)
        let corrected = errorsOn == 0 || errorsOff == 0 || errorsOn == nOn || errorsOff == nOff
        let step = corrected ? 0.5 : 0
        let a = errorsOn + step, n1 = nOn + 2 * step
        let c = errorsOff + step, n0 = nOff + 2 * step
        let logRR = log((a / n1) / (c / n0))
        let se = (1 / a - 1 / n1 + 1 / c - 1 / n0).squareRoot()
        let lower = 1 - exp(logRR + z * se)
        let upper = 1 - exp(logRR - z * se)
        return Estimate(estimate: estimate, lower: Swift.min(lower, estimate), upper: Swift.max(upper, estimate),
                        method: preventionMethod)
    }

    /// `prevention(errorsOn:nOn:errorsOff:nOff:z:)` for whole counts.
    public static func prevention(errorsOn: Int, nOn: Int, errorsOff: Int, nOff: Int,
                                  z: Double = z95) -> Estimate? {
        prevention(errorsOn: Double(errorsOn), nOn: Double(nOn), errorsOff: Double(errorsOff),
                   nOff: Double(nOff), z: z)
    }
}
