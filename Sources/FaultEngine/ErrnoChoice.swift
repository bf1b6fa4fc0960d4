/// One errno, or several with weights, e.g. `{EIO: 3, ENOSPC: 1}` gives EIO three times in four.
public struct ErrnoChoice: Sendable, Hashable {
    /// The errnos with their weights, in the order the plan gave them (the order fixes the draw).
    public var weighted: [Weighted]

    /// An errno and its relative weight.
    public struct Weighted: Sendable, Hashable {
        /// The errno number.
        public var errno: Int32
        /// The relative weight; positive.
        public var weight: UInt64

        /// Creates an entry.
        public init(errno: Int32, weight: UInt64) {
            self.errno = errno
            self.weight = weight
        }
    }

    /// Always the same errno.
    public init(_ errno: Int32) { weighted = [Weighted(errno: errno, weight: 1)] }

    /// A weighted set.
    public init(weighted: [Weighted]) { self.weighted = weighted }

    /// Draws one errno; a single errno consumes nothing from the stream.
    func draw(_ stream: inout RandomStream) -> Int32 {
        if weighted.count == 1 { return weighted[0].errno }
        var total: UInt64 = 0
        for entry in weighted { total += entry.weight }
        var pick = stream.next(below: total)
        for entry in weighted {
            if pick < entry.weight { return entry.errno }
            pick -= entry.weight
        }
        return weighted[weighted.count - 1].errno
    }
}
