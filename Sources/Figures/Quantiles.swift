extension Figures {
    /// The p-quantile of `values` by linear interpolation between order
    /// statistics: Hyndman & Fan (1996) type 7, the default of R's
    /// `quantile` and NumPy's `percentile`.
    ///
    /// With the values sorted as x[0] ≤ … ≤ x[n−1], h = (n − 1)·p and the
    /// result is x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
    ///
    /// - Parameters:
    ///   - values: the sample, in any order; NaN is not allowed.
    ///   - p: the probability, in [0, 1].
    /// - Returns: the quantile, or nil for an empty sample.
    public static func percentile(_ values: [Double], _ p: Double) -> Double? {
        precondition((0...1).contains(p), "percentile: p must be in [0, 1]")
        return percentile(sorted: values.sorted(), p)
    }

    /// `percentile(_:_:)` for a sample already sorted ascending, so callers
    /// that need several quantiles (and the bootstrap) sort once.
    public static func percentile(sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let h = Double(sorted.count - 1) * p
        let low = Int(h.rounded(.down))
        let high = Swift.min(low + 1, sorted.count - 1)
        return sorted[low] + (h - Double(low)) * (sorted[high] - sorted[low])
    }

    /// The median: the middle value, or the mean of the two middle values
    /// (type 7 at p = 0.5 is exactly this). Nil for an empty sample.
    public static func median(_ values: [Double]) -> Double? {
        percentile(values, 0.5)
    }

    /// The arithmetic mean; nil for an empty sample.
    public static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }
}
