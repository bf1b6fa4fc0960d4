import Foundation
import Results

/// The figures as JSON, for a script that wants the numbers without the
/// trials: the run's identity, the `figures` object exactly as the results
/// document stores it (docs/FIGURES.md describes every field), and with a
/// baseline its id, its figures and the regressions the judge found.
/// The whole results document is already JSON; this is its summary.
public struct JSONReport: Report {
    public init() {}

    /// The document this format writes (`format` is always `faultbench-figures`).
    public struct Document: Codable, Sendable {
        public var format = "faultbench-figures"
        /// The version of this summary document (not of the results document).
        public var version = 1
        public var runID: String
        public var complete: Bool
        public var seed: UInt64
        public var startedAt: String
        public var figures: FigureReport
        public var baseline: Baseline?
    }

    /// The baseline side of a comparison.
    public struct Baseline: Codable, Sendable {
        public var runID: String
        public var figures: FigureReport
        public var judge: String
        public var regressions: [Regression]
    }

    public func render(_ input: ReportInput) throws(ReportError) -> String {
        let document = Document(
            runID: input.run.runID, complete: input.run.complete, seed: input.run.seed, startedAt: input.run.startedAt,
            figures: input.figures,
            baseline: input.baseline.map { Baseline(runID: $0.run.runID, figures: $0.figures, judge: $0.judge, regressions: $0.regressions) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
        } catch {
            throw ReportError("the figures could not be encoded as JSON: \(error).")
        }
    }
}
