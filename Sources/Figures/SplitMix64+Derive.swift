import Determinism

extension SplitMix64 {
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
