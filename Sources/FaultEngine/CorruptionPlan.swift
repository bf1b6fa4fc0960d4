/// The damage to do to one read's buffer: a mode and the seed that places it.
///
/// The seed is drawn from the rule's stream when the rule fires, so the same
/// run damages the same bytes, and a replayed trace damages them again.
public struct CorruptionPlan: Sendable, Hashable {
    /// What to do to the bytes.
    public var mode: CorruptionMode
    /// The seed of the positions and random bytes.
    public var seed: UInt64

    /// Creates a plan.
    public init(mode: CorruptionMode, seed: UInt64) {
        self.mode = mode
        self.seed = seed
    }

    /// Damages `buffer` (the bytes read() will return) deterministically from the seed.
    ///
    /// Pure: touches only the buffer's bytes, so FaultFS calls it on the data it
    /// read from the backing file, and tests call it on an array.
    public func apply(to buffer: UnsafeMutableRawBufferPointer) {
        guard buffer.count > 0 else { return }
        var stream = RandomStream(seed: seed)
        switch mode {
        case .flipBits(let n):
            // A replayed trace may name any count; bounded as a plan's `flips` is.
            for _ in 0..<min(max(0, n), PlanLimits.mostFlips) {
                let bit = stream.next(below: UInt64(buffer.count) * 8)
                buffer[Int(bit / 8)] ^= UInt8(1) << UInt8(bit % 8)
            }
        case .zero(let n):
            let range = span(n, in: buffer.count, &stream)
            for i in range { buffer[i] = 0 }
        case .random(let n):
            let range = span(n, in: buffer.count, &stream)
            for i in range { buffer[i] = UInt8(truncatingIfNeeded: stream.next()) }
        }
    }

    private func span(_ bytes: Int?, in count: Int, _ stream: inout RandomStream) -> Range<Int> {
        guard let bytes, bytes < count else { return 0..<count }
        let start = Int(stream.next(below: UInt64(count - max(0, bytes) + 1)))
        return start..<(start + max(0, bytes))
    }

    /// The plan as the trace writes it, e.g. `corrupt flip-bits:3 seed=0x1f`.
    var traceText: String { "corrupt \(mode.traceText) seed=0x\(String(seed, radix: 16))" }
}
