/// Deterministic pseudo-random bytes from a seed, so that a scenario can ask
/// for "1 MiB of random bytes, seed 7" and the harness (writing the setup,
/// computing the expected SHA-256) and the executor (writing the same bytes)
/// agree without shipping the bytes around.
///
/// The generator is SplitMix64 (Steele, Lea, Flood 2014), output words
/// little-endian. It is written here rather than imported because the
/// executor must not depend on the fault engine, and the stream must never
/// change under a library update: scenario hashes depend on it.
public enum SeededBytes {
    /// `count` bytes drawn from `seed`.
    public static func generate(count: Int, seed: UInt64) -> [UInt8] {
        precondition(count >= 0, "a byte count is never negative; the scenario loader checks it")
        var state = seed
        // Whole words at a time: the harness makes these bytes for every
        // trial's setup and verdict, so a byte loop would be its slowest part.
        let words = (count + 7) / 8
        var out = [UInt8](unsafeUninitializedCapacity: words * 8) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            for word in 0..<words {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                raw.storeBytes(of: z.littleEndian, toByteOffset: word * 8, as: UInt64.self)
            }
            initialized = words * 8
        }
        out.removeLast(words * 8 - count)
        return out
    }
}
