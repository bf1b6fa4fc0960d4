import Determinism

/// A rule's own random stream: xoshiro256** seeded through SplitMix64.
///
/// Each rule draws only from its own stream, so adding a rule never changes
/// what another rule does, and a seed plus a workload give one trace.
public struct RandomStream: Sendable, RandomNumberGenerator {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// Creates the stream for `seed`.
    public init(seed: UInt64) {
        var mixer = SplitMix64(seed: seed)
        s0 = mixer.next(); s1 = mixer.next(); s2 = mixer.next(); s3 = mixer.next()
    }

    /// Creates the stream of the rule named `name` in a run seeded with `seed`.
    public init(seed: UInt64, name: String) {
        self.init(seed: seed ^ RandomStream.fnv1a(name))
    }

    /// FNV-1a of the UTF-8 bytes; used because Swift's `Hasher` is seeded per process.
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// The next 64-bit output of xoshiro256**.
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A double uniformly drawn from [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// An integer uniformly drawn from `0..<bound` (Lemire's method, no modulo bias).
    public mutating func next(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "bound must be positive")
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
        }
        return product.high
    }
}
