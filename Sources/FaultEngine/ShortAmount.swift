/// How many bytes a short read or write moves.
public enum ShortAmount: Sendable, Hashable {
    /// Exactly this many bytes (the call is left alone if it asked for no more).
    case bytes(Int)
    /// This fraction of the bytes asked, rounded down.
    case fraction(Double)
    /// A number drawn uniformly from 1 to this many bytes (at most one less than asked).
    case atMost(Int)

    /// The byte count for a call of `length` bytes, or nil when the call would not be shortened.
    func count(for length: Int, _ stream: inout RandomStream) -> Int? {
        let count: Int
        switch self {
        case .bytes(let n): count = n
        case .fraction(let f): count = Int((Double(length) * f).rounded(.down))
        case .atMost(let n):
            let cap = min(n, length - 1)
            guard cap >= 1 else { return nil }
            count = 1 + Int(stream.next(below: UInt64(cap)))
        }
        return count < length ? max(0, count) : nil
    }
}
