/// How the oracle classified one trial (DESIGN.md, "Executors and the oracle").
public enum Outcome: String, Codable, Sendable, Hashable, CaseIterable {
    /// Claimed success, and the state is what the scenario expects.
    case success
    /// Claimed failure (or was killed by the injected event), and the state is consistent.
    case detected
    /// Claimed success, but the state is not what was expected.
    case silent
    /// The state is inconsistent: a torn or partial file, half a batch applied.
    case corrupt
    /// The executor died unexpectedly, or printed no usable claim.
    case crash
    /// The executor ran past the scenario's time limit and was killed.
    case hang

    /// Whether the outcome counts as an error in the figures.
    public var isError: Bool {
        switch self {
        case .success, .detected: false
        case .silent, .corrupt, .crash, .hang: true
        }
    }
}
