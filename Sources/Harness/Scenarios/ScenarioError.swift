import FaultEngine

/// A scenario (or suite) that cannot be used, with one line saying where and why.
///
/// The description has the shape of `PlanError`'s, so plans and scenarios
/// read alike: `scenarios/exec-004/x.yaml:12: faults.rules[0].bytes: -1 is
/// negative; use a whole number of 0 or more.`
public struct ScenarioError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The scenario file (or directory, for a suite problem).
    public var file: String
    /// The 1-based line of the offending node, if known.
    public var line: Int?
    /// The field, e.g. `expect.files[1].sha256`; empty for a whole-file problem.
    public var field: String
    /// A full sentence saying what is wrong and what to write instead.
    public var message: String

    public init(file: String, line: Int? = nil, field: String, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        var text = file + ":"
        if let line { text += "\(line):" }
        text += " "
        return text + (field.isEmpty ? message : "\(field): \(message)")
    }
}
