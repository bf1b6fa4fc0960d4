/// A small seeded generator: SplitMix64 (Steele, Lea & Flood 2014), as in
/// Vigna's reference code.
///
/// Written here rather than taken from the standard library because figures
/// must be reproducible: `SystemRandomNumberGenerator` cannot be seeded, and
/// the standard library's algorithms may change between Swift versions.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator whose whole future output is fixed by `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform index in `0..<bound` (bound > 0), by Lemire's multiply-shift
    /// with rejection, so no index is favoured (plain `% bound` would be).
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

    /// A seed derived from a run seed and a label (a scenario id), so every
    /// figure has its own stream and adding a scenario does not shift the
    /// others'. FNV-1a over the label's UTF-8 bytes: stable across processes,
    /// unlike `Hasher`, which is randomly seeded per process.
    public static func derive(seed: UInt64, label: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in label.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        var mixer = SplitMix64(seed: seed ^ hash)
        return mixer.next()
    }
}
