import Figures
import Results

/// The bridge to the Figures module (filled in when it lands).
enum FigureComputation {
    static func compute(_ result: RunResult) -> FigureReport? { nil }
}
