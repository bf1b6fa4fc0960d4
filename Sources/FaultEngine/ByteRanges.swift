/// A set of byte offsets kept as sorted, disjoint, non-adjacent ranges.
public struct ByteRanges: Sendable, Hashable {
    /// The ranges, sorted and merged.
    public private(set) var ranges: [Range<Int64>] = []

    /// An empty set.
    public init() {}

    /// Adds `range`, merging with neighbours.
    public mutating func insert(_ range: Range<Int64>) {
        guard !range.isEmpty else { return }
        var lower = range.lowerBound
        var upper = range.upperBound
        var kept: [Range<Int64>] = []
        kept.reserveCapacity(ranges.count + 1)
        var placed = false
        for existing in ranges {
            if existing.upperBound < lower {
                kept.append(existing)
            } else if existing.lowerBound > upper {
                if !placed { kept.append(lower..<upper); placed = true }
                kept.append(existing)
            } else {
                lower = min(lower, existing.lowerBound)
                upper = max(upper, existing.upperBound)
            }
        }
        if !placed { kept.append(lower..<upper) }
        ranges = kept
    }

    /// The parts of `range` not in the set, in order.
    public func gaps(in range: Range<Int64>) -> [Range<Int64>] {
        guard !range.isEmpty else { return [] }
        var result: [Range<Int64>] = []
        var cursor = range.lowerBound
        for existing in ranges where existing.upperBound > cursor {
            if existing.lowerBound >= range.upperBound { break }
            if existing.lowerBound > cursor { result.append(cursor..<existing.lowerBound) }
            cursor = max(cursor, existing.upperBound)
            if cursor >= range.upperBound { break }
        }
        if cursor < range.upperBound { result.append(cursor..<range.upperBound) }
        return result
    }

    /// Whether the set holds no offsets.
    public var isEmpty: Bool { ranges.isEmpty }
}
