/// SplitMix64, used only to turn one 64-bit seed into well-mixed seeds for each rule's stream.
public struct SplitMix64: Sendable {
    /// The generator's state; each draw adds the golden-ratio increment.
    public private(set) var state: UInt64

    /// Creates a generator starting at `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64-bit output.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
