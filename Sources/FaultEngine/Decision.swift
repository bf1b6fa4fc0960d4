/// The engine's answer for one call: wait this long, then do this.
public struct Decision: Sendable, Hashable {
    /// Nanoseconds to wait before answering the call; zero when no delay fired.
    public var delayNanoseconds: UInt64
    /// What to do with the call; `.proceed` when nothing fired.
    public var effect: Effect

    /// Creates a decision.
    public init(delayNanoseconds: UInt64 = 0, effect: Effect = .proceed) {
        self.delayNanoseconds = delayNanoseconds
        self.effect = effect
    }

    /// Nothing fired.
    public static let proceed = Decision()

    /// Whether the call passes through untouched.
    public var isProceed: Bool { delayNanoseconds == 0 && effect == .proceed }
}
