/// How a corrupt-read rule damages the bytes read() returns.
public enum CorruptionMode: Sendable, Hashable {
    /// Flip this many bits at positions drawn from the stream (a bit may flip twice).
    case flipBits(Int)
    /// Zero this many consecutive bytes at a drawn position, or the whole buffer when nil.
    case zero(bytes: Int?)
    /// Overwrite this many consecutive bytes at a drawn position with random bytes, or the whole buffer when nil.
    case random(bytes: Int?)

    /// The mode as the trace writes it, e.g. `flip-bits:3`, `zero:all`.
    var traceText: String {
        switch self {
        case .flipBits(let n): "flip-bits:\(n)"
        case .zero(let n): "zero:\(n.map(String.init) ?? "all")"
        case .random(let n): "random:\(n.map(String.init) ?? "all")"
        }
    }

    init?(traceText: Substring) {
        let parts = traceText.split(separator: ":", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let count: Int?? = parts[1] == "all" ? .some(nil) : Int(parts[1]).map { .some($0) }
        guard let count else { return nil }
        switch parts[0] {
        case "flip-bits": guard let n = count else { return nil }; self = .flipBits(n)
        case "zero": self = .zero(bytes: count)
        case "random": self = .random(bytes: count)
        default: return nil
        }
    }
}
