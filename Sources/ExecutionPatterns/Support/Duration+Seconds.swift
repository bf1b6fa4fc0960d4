extension Duration {
    /// The duration in seconds, as a Double (for ratios and reports).
    var seconds: Double {
        let (s, a) = components
        return Double(s) + Double(a) / 1e18
    }

    /// A duration from a number of seconds; negative and non-finite values give zero.
    static func fromSeconds(_ value: Double) -> Duration {
        guard value.isFinite, value > 0 else { return .zero }
        return .nanoseconds(Int64(min(value * 1e9, Double(Int64.max / 2))))
    }
}
