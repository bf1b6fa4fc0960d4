/// A set of operations as a bit mask, so a rule's operation test is one AND.
public struct OperationSet: Sendable, Hashable, SetAlgebra, ExpressibleByArrayLiteral {
    /// One bit per `FSOperation`, by declaration order.
    public var rawValue: UInt64

    /// Creates a set from its bit mask.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The empty set.
    public init() { rawValue = 0 }

    /// A set holding the given operations.
    public init(arrayLiteral elements: FSOperation...) {
        self.init(elements)
    }

    /// A set holding the given operations.
    public init<S: Sequence>(_ operations: S) where S.Element == FSOperation {
        rawValue = 0
        for op in operations { rawValue |= OperationSet.bit(op) }
    }

    /// Every operation.
    public static let all = OperationSet(FSOperation.allCases)

    @inlinable static func bit(_ op: FSOperation) -> UInt64 { 1 << UInt64(op.ordinal) }

    /// Whether the set holds `op`; one shift and one AND.
    @inlinable public func contains(_ op: FSOperation) -> Bool {
        rawValue & OperationSet.bit(op) != 0
    }

    /// The operations in the set, in declaration order.
    public var operations: [FSOperation] { FSOperation.allCases.filter { contains($0) } }

    public func union(_ other: OperationSet) -> OperationSet { OperationSet(rawValue: rawValue | other.rawValue) }
    public func intersection(_ other: OperationSet) -> OperationSet { OperationSet(rawValue: rawValue & other.rawValue) }
    public func symmetricDifference(_ other: OperationSet) -> OperationSet { OperationSet(rawValue: rawValue ^ other.rawValue) }

    @discardableResult
    public mutating func insert(_ newMember: FSOperation) -> (inserted: Bool, memberAfterInsert: FSOperation) {
        let had = contains(newMember)
        rawValue |= OperationSet.bit(newMember)
        return (!had, newMember)
    }

    @discardableResult
    public mutating func remove(_ member: FSOperation) -> FSOperation? {
        guard contains(member) else { return nil }
        rawValue &= ~OperationSet.bit(member)
        return member
    }

    @discardableResult
    public mutating func update(with newMember: FSOperation) -> FSOperation? {
        let had = contains(newMember)
        rawValue |= OperationSet.bit(newMember)
        return had ? newMember : nil
    }

    public mutating func formUnion(_ other: OperationSet) { rawValue |= other.rawValue }
    public mutating func formIntersection(_ other: OperationSet) { rawValue &= other.rawValue }
    public mutating func formSymmetricDifference(_ other: OperationSet) { rawValue ^= other.rawValue }
}
