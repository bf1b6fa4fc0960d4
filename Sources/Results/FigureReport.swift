/// The figures of a run, as computed by the Figures module from the trials.
/// (Placeholder shape; the Figures work defines it fully.)
public struct FigureReport: Codable, Sendable, Hashable {
    public init() {}
}
