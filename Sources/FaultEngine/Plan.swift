/// A list of rules and an optional seed, usually read from a YAML plan file.
///
/// ```yaml
/// seed: 42
/// rules:
///   - name: flaky-json
///     fault: errno
///     path: "data/**/*.json"
///     ops: [write, fsync]
///     errno: {EIO: 3, ENOSPC: 1}
///     probability: 0.5
///     max: 10
///     after: 500ms
///     for: 2s
///     offset: {from: 0, to: 4096}
///     callers: {exclude: {name: [oracle]}}
/// ```
public struct Plan: Sendable, Hashable {
    /// The run seed, if the plan fixes one.
    public var seed: UInt64?
    /// The rules, in the order they are armed.
    public var rules: [FaultRule]
    /// The file the plan came from, for error messages.
    public var file: String?
    /// The line of each rule in that file, for error messages when arming.
    public var lines: [Int?]

    /// Creates a plan.
    public init(seed: UInt64? = nil, rules: [FaultRule], file: String? = nil, lines: [Int?]? = nil) {
        self.seed = seed
        self.rules = rules
        self.file = file
        self.lines = lines ?? Array(repeating: nil, count: rules.count)
    }

    /// Parses a YAML plan.
    /// - Parameters:
    ///   - yaml: The plan's text.
    ///   - file: The name used in error messages.
    /// - Throws: `PlanError` naming the file, line and field of the first problem.
    public static func parse(yaml: String, file: String = "plan.yaml") throws(PlanError) -> Plan {
        try PlanParser(file: file).parse(yaml)
    }
}
