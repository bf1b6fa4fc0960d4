/// The handle `FaultEngine.arm` returns, used to clear the rule later.
public struct RuleID: Sendable, Hashable, CustomStringConvertible {
    /// Assigned in arming order from 1.
    public let rawValue: UInt64

    /// Creates an id.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public var description: String { String(rawValue) }
}
