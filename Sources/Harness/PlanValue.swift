import Yams

/// A YAML value kept as written (scalars with their quoting), Sendable where
/// `Yams.Node` is not, so that a scenario's rules can be stored once and
/// re-emitted per trial with only their `path` and `name` changed.
public indirect enum PlanValue: Sendable, Hashable {
    /// A scalar's text, and whether it was plain (unquoted): a plain `true`
    /// is a boolean to the plan parser, a quoted one is not.
    case scalar(String, plain: Bool)
    case sequence([PlanValue])
    case mapping([Entry])

    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: PlanValue
        public init(key: String, value: PlanValue) {
            self.key = key
            self.value = value
        }
    }

    /// The value of a node, or nil for an alias-free tree's impossible cases.
    public init(_ node: Node) {
        switch node {
        case .scalar(let scalar):
            self = .scalar(scalar.string, plain: scalar.style == .plain || scalar.style == .any)
        case .sequence(let sequence):
            self = .sequence(sequence.map(PlanValue.init))
        case .mapping(let mapping):
            self = .mapping(mapping.map { Entry(key: $0.key.string ?? "", value: PlanValue($0.value)) })
        case .alias:
            // The loader resolves aliases before it keeps a value.
            self = .scalar("", plain: false)
        }
    }

    /// The node to emit.
    public var node: Node {
        switch self {
        case .scalar(let text, let plain):
            return .scalar(.init(text, .implicit, plain ? .plain : .doubleQuoted))
        case .sequence(let items):
            return .sequence(.init(items.map(\.node)))
        case .mapping(let entries):
            return .mapping(.init(entries.map { (Node($0.key), $0.value.node) }))
        }
    }

    /// The entry's value for `key`, if this is a mapping that has it.
    public subscript(key: String) -> PlanValue? {
        guard case .mapping(let entries) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }

    /// A copy with `key` set to `value` (replaced in place, or appended).
    public func setting(_ key: String, to value: PlanValue) -> PlanValue {
        guard case .mapping(var entries) = self else { return self }
        if let index = entries.firstIndex(where: { $0.key == key }) {
            entries[index].value = value
        } else {
            entries.append(Entry(key: key, value: value))
        }
        return .mapping(entries)
    }
}
