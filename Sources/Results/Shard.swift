/// One slice of a run's planned trials: `faultbench run --shard i/n`.
///
/// A shard runs the measured trials whose plan index `k` has
/// `k % count == number - 1`, and every warm-up trial of the scenarios it
/// touches (warm-ups are never counted, and each machine needs its own).
/// The plan is fixed by the seed, so n shards run with the same seed and
/// options cover the whole run exactly once, and `faultbench merge` puts
/// them back together.
public struct Shard: Codable, Sendable, Hashable, CustomStringConvertible {
    /// Which slice, from 1.
    public var number: Int
    /// Slices in all.
    public var count: Int

    /// The most slices a run may be cut into.
    public static let maximumCount = 10_000

    public init(number: Int, count: Int) {
        self.number = number
        self.count = count
    }

    /// Reads `i/n` as given on the command line.
    ///
    /// - Returns: nil unless both are whole numbers with 1 ≤ i ≤ n ≤ `maximumCount`.
    public static func parse(_ text: String) -> Shard? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let number = Int(parts[0]), let count = Int(parts[1]),
              (1...maximumCount).contains(count), (1...count).contains(number) else { return nil }
        return Shard(number: number, count: count)
    }

    /// Whether the measured trial at plan index `index` belongs to this slice.
    public func owns(index: Int) -> Bool {
        index % count == number - 1
    }

    public var description: String { "\(number)/\(count)" }
}

/// A shard that went into a merged result (`faultbench merge`).
public struct MergedShard: Codable, Sendable, Hashable {
    public var shard: Shard
    public var runID: String
    public var startedAt: String
    public var finishedAt: String?
    /// The machine the shard ran on.
    public var environment: RunEnvironment
    public var timing: RunTiming?

    public init(shard: Shard, runID: String, startedAt: String, finishedAt: String?, environment: RunEnvironment,
                timing: RunTiming?) {
        self.shard = shard
        self.runID = runID
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.environment = environment
        self.timing = timing
    }
}
