import Determinism

/// Deterministic pseudo-random bytes from a seed, so that a scenario can ask
/// for "1 MiB of random bytes, seed 7" and the harness (writing the setup,
/// computing the expected SHA-256) and the executor (writing the same bytes)
/// agree without shipping the bytes around.
///
/// The bytes are SplitMix64's output words from `seed`, little-endian. The
/// stream must never change: scenario hashes depend on it, so Determinism's
/// tests pin it.
public enum SeededBytes {
    /// `count` bytes drawn from `seed`.
    public static func generate(count: Int, seed: UInt64) -> [UInt8] {
        precondition(count >= 0, "a byte count is never negative; the scenario loader checks it")
        var generator = SplitMix64(seed: seed)
        // Whole words at a time: the harness makes these bytes for every
        // trial's setup and verdict, so a byte loop would be its slowest part.
        let words = (count + 7) / 8
        var out = [UInt8](unsafeUninitializedCapacity: words * 8) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            for word in 0..<words {
                raw.storeBytes(of: generator.next().littleEndian, toByteOffset: word * 8, as: UInt64.self)
            }
            initialized = words * 8
        }
        out.removeLast(words * 8 - count)
        return out
    }
}
