/// An armed rule and how often it has matched and fired so far.
public struct RuleStatus: Sendable, Hashable {
    /// The rule's handle.
    public var id: RuleID
    /// The rule's name in the trace.
    public var name: String
    /// The rule as armed.
    public var rule: FaultRule
    /// Calls that passed the rule's path, operation, window, offset and caller filters.
    public var matched: UInt64
    /// Times the rule injected its fault.
    public var fired: UInt64
}
