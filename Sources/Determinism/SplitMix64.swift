/// A small seeded generator: SplitMix64 (Steele, Lea & Flood 2014), as in
/// Vigna's reference code.
///
/// Written here rather than taken from the standard library because seeded
/// runs must repeat: `SystemRandomNumberGenerator` cannot be seeded, and the
/// standard library's algorithms may change between Swift versions. Scenario
/// bytes, rule streams, trial orders and bootstrap intervals all come from
/// this stream, so its output must never change; `DeterminismTests` pins it.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's state; each draw adds the golden-ratio increment.
    public private(set) var state: UInt64

    /// Creates a generator whose whole future output is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform index in `0..<bound`, by Lemire's multiply-shift with
    /// rejection, so no index is favoured (plain `% bound` would be).
    ///
    /// Not `Int.random(in:using:)`: its algorithm belongs to the standard
    /// library and may change, and with it every shuffled trial order.
    /// - Parameter bound: The number of indices; must be positive.
    /// - Returns: An index in `0..<bound`.
    public mutating func index(below bound: Int) -> Int {
        precondition(bound > 0, "index(below:) needs a positive bound")
        let b = UInt64(bound)
        var product = next().multipliedFullWidth(by: b)
        if product.low < b {
            let threshold = (0 &- b) % b
            while product.low < threshold {
                product = next().multipliedFullWidth(by: b)
            }
        }
        return Int(product.high)
    }
}
