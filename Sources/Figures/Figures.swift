// The Figures module: pure statistics over a results document.
//
// Everything here is a pure function of its arguments. The only randomness
// (the bootstrap) takes an explicit seed and runs on Determinism's
// SplitMix64, whose stream is pinned by its tests, so a figure computed twice
// from the same document is the same figure, on any machine.

/// The namespace of the statistics: intervals, quantiles, the bootstrap and
/// the hypothesis tests the CI gate uses.
public enum Figures {
    /// The normal quantile for a two-sided 95% interval, Φ⁻¹(0.975).
    public static let z95 = 1.959963984540054
}
