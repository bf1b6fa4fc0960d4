// The Gate module: the CI gate over two results documents (issue 9).
//
// Everything here is a pure function of results documents: `compare` judges
// a result against a baseline, `merge` puts the shards of one run back
// together, and `fingerprint` says what must match before either is
// allowed. Nothing reads a file or touches a mount; the command line does
// the reading and writing.

import Results

/// The namespace of the CI gate.
public enum Gate {}

/// A result that cannot be compared or merged, as one full sentence.
public struct GateError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What the gate calls significant and large.
public struct GateOptions: Codable, Sendable, Hashable {
    /// The family-wise significance level of each test family (Holm-corrected across scenarios).
    public var alpha: Double = 0.05
    /// The largest drop in prevention that is not a regression, unless the scenario sets its own.
    public var preventionDrop: Double = 0.10
    /// The largest relative increase of the pattern-on arm's median time that is not a regression.
    public var timeWorse: Double = 0.05
    /// Counted trials an arm needs in both results before a scenario is judged at all.
    public var minimumTrials: Int = 5
    /// Compare even when the environments' fingerprints differ.
    public var allowEnvironmentChange: Bool = false
    /// What the time test compares.
    public var timeBasis: TimeBasis = .relativeToOffArm

    public init() {}
}

/// What the time test of `compare` compares.
public enum TimeBasis: String, Codable, Sendable, Hashable, CaseIterable {
    /// Each on-arm time divided by the median off-arm time of its own run
    /// and scenario: the pattern's cost against ordinary code measured at the
    /// same moments (the arms' trials are interleaved). A run on a busier or
    /// slower machine moves both arms and so moves nothing here.
    case relativeToOffArm = "relative-to-off-arm"
    /// The on arm's seconds as measured: only sound when both runs had the
    /// machine to themselves.
    case raw
}

extension Gate {
    /// Checks that a document can be compared or merged: it holds at least
    /// one counted trial and lists at least one scenario.
    ///
    /// - Parameter name: how to name the document in the message (its path).
    public static func checkUsable(_ run: RunResult, name: String) -> Result<Void, GateError> {
        guard !run.scenarios.isEmpty else {
            return .failure(GateError("'\(name)' lists no scenario; it is an empty run, so there is nothing to compare."))
        }
        guard run.trials.contains(where: { !$0.warmup }) else {
            return .failure(GateError("'\(name)' holds no counted trial (run \(run.runID)); it is an empty run, so there is nothing to compare. Run it again, or name another result."))
        }
        return .success(())
    }
}
