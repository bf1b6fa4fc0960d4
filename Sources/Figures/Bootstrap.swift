import Determinism
import Results

extension Figures {
    /// The default number of bootstrap resamples: enough that the 2.5% and
    /// 97.5% points move by well under the interval's own width between seeds.
    public static let defaultResamples = 2000

    /// A percentile bootstrap interval (Efron & Tibshirani 1993, ch. 13) of a
    /// statistic of several independent samples.
    ///
    /// Each resample draws every sample independently, with replacement and
    /// at its own size (the arms are independent, so they are resampled
    /// independently). The interval is the (1 − level)/2 and (1 + level)/2
    /// type-7 percentiles of the resampled statistics. Resamples where the
    /// statistic is undefined (nil or not finite) are dropped; if more than
    /// 1% are, the interval is not reported, because the survivors would no
    /// longer be a fair picture of the sampling distribution.
    ///
    /// - Parameters:
    ///   - samples: the samples, each non-empty.
    ///   - resamples: how many resamples.
    ///   - seed: fixes the resamples; the same seed gives the same interval.
    ///   - level: the confidence level, 0.95 by default.
    ///   - method: the method string stored with the estimate.
    ///   - statistic: the statistic of one set of samples.
    /// - Returns: the statistic on the data with its interval, or nil when a
    ///   sample is empty or the statistic is undefined on the data.
    public static func bootstrap(
        samples: [[Double]], resamples: Int = defaultResamples, seed: UInt64, level: Double = 0.95,
        method: String = "percentile-bootstrap", statistic: ([[Double]]) -> Double?
    ) -> Estimate? {
        guard !samples.isEmpty, samples.allSatisfy({ !$0.isEmpty }), resamples > 0,
              let observed = statistic(samples), observed.isFinite else { return nil }
        var generator = SplitMix64(seed: seed)
        var values: [Double] = []
        values.reserveCapacity(resamples)
        var scratch = samples
        for _ in 0..<resamples {
            for (s, sample) in samples.enumerated() {
                for i in sample.indices {
                    scratch[s][i] = sample[generator.index(below: sample.count)]
                }
            }
            if let value = statistic(scratch), value.isFinite {
                values.append(value)
            }
        }
        guard Double(values.count) >= 0.99 * Double(resamples) else { return nil }
        values.sort()
        let alpha = (1 - level) / 2
        guard let lower = percentile(sorted: values, alpha),
              let upper = percentile(sorted: values, 1 - alpha) else { return nil }
        return Estimate(estimate: observed, lower: lower, upper: upper,
                        method: "\(method), \(resamples) resamples")
    }

    /// median(numerator)/median(denominator) with a percentile bootstrap
    /// interval, each sample resampled independently: the speedup when
    /// numerator is the off arm's times, the cost when it is the on arm's.
    ///
    /// - Returns: nil when a sample is empty or a median is 0.
    public static func ratioOfMedians(_ numerator: [Double], _ denominator: [Double],
                                      resamples: Int = defaultResamples, seed: UInt64,
                                      level: Double = 0.95) -> Estimate? {
        bootstrap(samples: [numerator, denominator], resamples: resamples, seed: seed, level: level,
                  method: "percentile-bootstrap of the ratio of medians, arms resampled independently") { s in
            guard let top = median(s[0]), let bottom = median(s[1]), bottom > 0 else { return nil }
            return top / bottom
        }
    }
}
